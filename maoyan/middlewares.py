"""Downloader middlewares that keep the crawl polite when the site pushes back.

AutoThrottle adapts to latency but does not slow down on 429/503, and Scrapy's
RetryMiddleware retries at once. Both middlewares here slow the whole site down
instead, by raising the delay of the site's download slot: every later request to
the site waits too, not just the retried one, and AutoThrottle then eases the delay
back down as healthy answers come in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from maoyan.bans import detect_ban

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

#: Request meta key the spider sets on board pages: only those are checked for bans.
BOARD_PAGE = "maoyan_board_page"


class BannedPage(IgnoreRequest):
    """A board page Maoyan answered with a ban; it yields nothing."""


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every waiting request seeing the parser.

    In Scrapy 2.19, when three or more requests wait for a site's robots.txt, the
    second waiter is handed ``None`` ("no robots.txt") instead of the parser, and its
    page is fetched even when robots.txt forbids it. Once the parser is known, this
    gives it to every request.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            known = self._parsers.get(urlparse_cached(request).netloc)
            if known is not None and not isinstance(known, Deferred):
                return known
        return parser


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: ``base``, ``2*base``, ``4*base``... never above ``cap``."""
    return min(cap, base * 2 ** max(attempt - 1, 0))


def retry_after_seconds(response: Response | None) -> float | None:
    """The server's own ``Retry-After`` in seconds, when it gives one as a number."""
    if response is None:
        return None
    value = response.headers.get(b"Retry-After")
    try:
        return float(value.decode("ascii")) if value else None
    except (UnicodeDecodeError, ValueError):
        return None


def slow_down(crawler: Crawler, request: Request, delay: float) -> float:
    """Make the request's download slot wait at least ``delay`` between requests."""
    slots = crawler.engine.downloader.slots if crawler.engine else {}
    slot = slots.get(request.meta.get("download_slot", ""))
    if slot is None:
        return delay
    slot.delay = max(slot.delay, delay)
    return slot.delay


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, plus a growing slot delay before each retry.

    Settings: ``RETRY_BACKOFF_BASE`` (seconds before the first retry),
    ``RETRY_BACKOFF_MAX`` (the cap); a numeric ``Retry-After`` from the server is
    honoured up to the cap.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self._back_off(result, retry_after_seconds(response))
        return result

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._back_off(result, None)
        return result

    def _back_off(self, retry: Request, retry_after: float | None) -> None:
        delay = backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap)
        if retry_after is not None:
            delay = min(self.cap, max(delay, retry_after))
        slot_delay = slow_down(self.crawler, retry, delay)
        logger.info(
            "Slowing down: %s failed, retrying in %.1fs (retry %d)",
            retry.url,
            slot_delay,
            retry.meta.get("retry_times", 1),
        )


class BanDetectionMiddleware:
    """Stop the crawl, politely, when Maoyan bans it.

    A ban answer (see :func:`maoyan.bans.detect_ban`) never reaches the spider. The
    banned page is retried first, before any other page, after a pause for the whole
    site (``MAOYAN_BAN_BACKOFF`` seconds, doubling with each ban in a row), in case it
    was a passing rate limit; after ``MAOYAN_BAN_RETRY_TIMES`` such retries the crawl
    closes with finish reason ``banned``. The verification page is
    never followed, let alone solved.

    It sits above the redirect middleware, to see the 302 to the verification page
    before it is followed, and above the HTTP cache, so a ban is never cached.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("MAOYAN_BAN_DETECTION_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.max_retries = settings.getint("MAOYAN_BAN_RETRY_TIMES")
        self.backoff = settings.getfloat("MAOYAN_BAN_BACKOFF")
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX")
        #: Bans in a row, whichever pages they hit; a good board page resets it.
        self.bans_in_a_row = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not request.meta.get(BOARD_PAGE):
            return response
        location = response.headers.get(b"Location")
        ban = detect_ban(
            response.status,
            response.url,
            response.text if isinstance(response, TextResponse) else "",
            location.decode("latin-1") if location else None,
        )
        if ban is None:
            self.bans_in_a_row = 0
            return response
        stats = self.crawler.stats
        stats.inc_value("ban/detected")
        stats.inc_value(f"ban/detected/{ban.kind}")
        self.bans_in_a_row += 1
        attempt = self.bans_in_a_row
        if attempt <= self.max_retries and not self.closing:
            delay = slow_down(self.crawler, request, backoff_delay(attempt, self.backoff, self.cap))
            logger.warning(
                "Maoyan %s for %s: backing off %.1fs before trying again (%d of %d)",
                ban.message,
                request.url,
                delay,
                attempt,
                self.max_retries,
            )
            # Retried ahead of the pages not yet fetched: it is the probe of whether
            # the ban has lifted, and nothing else should be sent until it has.
            retry = request.replace(dont_filter=True, priority=request.priority + 1000)
            retry.meta["ban_retry_times"] = request.meta.get("ban_retry_times", 0) + 1
            return retry
        if not self.closing:
            self.closing = True
            stats.set_value("ban/reason", f"{ban.kind}: {ban.message}")
            logger.error(
                "Banned by Maoyan: %s for %s, %d times in a row despite slowing down. Stopping the "
                "crawl (finish reason 'banned'); no items were taken from ban pages. "
                "What to do: wait some hours before crawling again, crawl slower "
                "(raise DOWNLOAD_DELAY / AUTOTHROTTLE_START_DELAY), or set MAOYAN_COOKIE "
                "to the Cookie of a browser session logged in to maoyan.com. Never "
                "automate the verification page.",
                ban.message,
                request.url,
                attempt,
            )
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="banned"))
        raise BannedPage(f"Banned by Maoyan: {ban.message} ({request.url})")
