"""robots.txt, obeyed: fetched once per site through the engine, its answer given to
every request that waited for it, and a site that cannot be reached said as such.

Scrapy's RobotsTxtMiddleware (2.19) hands ``None`` ("no robots.txt") to the second of
three or more requests waiting for a site's robots.txt, so that page is fetched even
when robots.txt forbids it; and it logs a robots.txt that fails to download with a
traceback naming a board page. This middleware replaces it, with Scrapy's public
pieces: the engine downloads robots.txt, the ``ROBOTSTXT_PARSER`` (Protego by default)
reads it, ``robots_parsed`` is sent, and the stats keys are Scrapy's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from maoyan.outcomes import HOST_GONE
from maoyan.stopping import declare_unreachable

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware:
    """Drop requests robots.txt forbids (``IgnoreRequest("Forbidden by robots.txt")``).

    A robots.txt whose host does not resolve or refuses the connection stops the crawl
    at once (finish reason ``unreachable``) with one line naming robots.txt; any other
    failure is one warning, and the crawl goes on as if there were no robots.txt, as
    Scrapy does.
    """

    #: Ahead of every page waiting for it (Scrapy's priority for robots.txt).
    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent: str | None = settings.get("ROBOTSTXT_USER_AGENT")
        self.default_user_agent: str = settings.get("USER_AGENT")
        self.parser_class = load_object(settings.get("ROBOTSTXT_PARSER"))
        #: Each site's parser (``None``: no usable robots.txt), once known.
        self.parsers: dict[str, RobotParser | None] = {}
        #: Requests waiting for a site's robots.txt, each with its own Deferred.
        self.waiting: dict[str, list[Deferred]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        parser = await self.robot_parser(request)
        if parser is None:
            return
        user_agent = self.user_agent or request.headers.get(b"User-Agent", self.default_user_agent)
        if not parser.allowed(request.url, user_agent):
            logger.debug("Forbidden by robots.txt: %s", request)
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest("Forbidden by robots.txt")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The site's parser: fetched by the first request, awaited by the others."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc in self.parsers:
            return self.parsers[netloc]
        if netloc in self.waiting:
            waiter: Deferred = Deferred()
            self.waiting[netloc].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self.waiting[netloc] = []
        parser = await self.fetch(f"{url.scheme}://{netloc}/robots.txt", request)
        self.parsers[netloc] = parser
        for waiter in self.waiting.pop(netloc):
            waiter.callback(parser)
        return parser

    async def fetch(self, robots_url: str, request: Request) -> RobotParser | None:
        stats = self.crawler.stats
        robots_request = Request(
            robots_url,
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except Exception as error:
            if not isinstance(error, IgnoreRequest):
                stats.inc_value(f"robotstxt/exception_count/{type(error)}")
                self.report(robots_url, error)
            return None
        finally:
            stats.inc_value("robotstxt/request_count")
        stats.inc_value("robotstxt/response_count")
        stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        parser = build_from_crawler(self.parser_class, self.crawler, response.body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        return parser

    def report(self, robots_url: str, error: Exception) -> None:
        if isinstance(error, HOST_GONE):
            declare_unreachable(self.crawler, f"{robots_url} (the site's robots.txt)", error)
            return
        logger.warning(
            "Could not fetch %s (%s: %s); going on as if the site had no robots.txt.",
            robots_url,
            type(error).__name__,
            error,
        )
