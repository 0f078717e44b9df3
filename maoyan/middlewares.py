"""Downloader middlewares that keep the crawl polite when the site pushes back.

AutoThrottle adapts to latency but does not slow down on 429/503, and Scrapy's
RetryMiddleware retries at once. Both middlewares here slow the whole site down
instead, by raising the delay of the site's download slot: every later request to
the site waits too, not just the retried one, and AutoThrottle then eases the delay
back down as healthy answers come in.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
    NotConfigured,
)
from scrapy.http import Request, Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.project import data_path
from tldextract import TLDExtract
from twisted.internet.defer import Deferred

from maoyan.bans import TOO_FREQUENT, Ban, detect_ban
from maoyan.sources import answer_kind
from maoyan.sources.base import BOARD_PAGE
from maoyan.stopping import CrawlStopped, stopping

if TYPE_CHECKING:
    from collections.abc import Iterable
    from http.cookiejar import Cookie
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http.cookies import CookieJar
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

    from maoyan.sources import AnswerKind

logger = logging.getLogger(__name__)


#: Request meta key counting how often a page was redirected to itself.
SELF_REDIRECTS = "maoyan_self_redirects"


class BannedPage(IgnoreRequest):
    """A board page Maoyan answered with a ban; it yields nothing."""


class RefusedClient(BannedPage):
    """The site refused this client outright, before serving it any board page."""


class UnreadablePage(IgnoreRequest):
    """A 200 board page that is no board page this crawler knows, and no ban page."""


class SelfRedirectLoop(IgnoreRequest):
    """A page that keeps redirecting to itself: the cookie handshake never completes."""


class SameUrlRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware, also following a redirect to the very same URL.

    Maoyan answers a first visit without its ``uuid`` cookie with a 302 to the URL
    just asked for, setting the cookie; a browser follows it and gets the page.
    Scrapy's duplicate filter drops such a redirect as a page already seen, and the
    page is lost without a word. Here it is followed (with the cookie the jar has
    just stored) at most ``MAOYAN_SELF_REDIRECT_TIMES`` times; a page that still
    redirects to itself fails with a :class:`SelfRedirectLoop` that says so. Any
    other redirect of a board page is followed even to a page seen before, for the
    same reason.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.self_redirect_limit = settings.getint("MAOYAN_SELF_REDIRECT_TIMES", 2)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if not isinstance(result, Request):
            return result
        same_url = result.url == request.url
        if same_url or request.meta.get(BOARD_PAGE):
            # A redirect to a page already fetched would be dropped by the duplicate
            # filter without a word; followed, it ends parsed or failed (a chain is
            # bounded by REDIRECT_MAX_TIMES, a loop on one URL by the limit below).
            result.dont_filter = True
        if not same_url:
            return result
        hops = request.meta.get(SELF_REDIRECTS, 0) + 1
        if hops > self.self_redirect_limit:
            self.crawler.stats.inc_value("redirect/self_loop")
            raise SelfRedirectLoop(
                f"the site redirected it to itself {hops} times in a row, even with the "
                "cookies it set; its cookie handshake never completes (are cookies "
                "enabled? COOKIES_ENABLED must stay True)"
            )
        self.crawler.stats.inc_value("redirect/same_url")
        result.meta[SELF_REDIRECTS] = hops
        # A browser following the redirect keeps the Referer it sent (or none), not
        # the page itself, which Scrapy's referer policy would put there.
        result.headers.pop(b"Referer", None)
        if referer := request.headers.get(b"Referer"):
            result.headers[b"Referer"] = referer
        return result


class SnapshotCookiesMiddleware(CookiesMiddleware):
    """Scrapy's CookiesMiddleware, judging public suffixes by the list tldextract ships.

    Scrapy asks tldextract whether a cookie's domain (``.maoyan.com``) is a public
    suffix; tldextract's default first downloads the public-suffix list, which offline
    or in a sandbox stalls the crawl and logs two warnings. The list it ships is
    enough to tell ``maoyan.com`` from ``com``.
    """

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self.split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

    def _process_cookies(
        self, cookies: Iterable[Cookie], *, jar: CookieJar, request: Request
    ) -> None:
        # Scrapy's own logic (2.19), with the offline suffix list.
        hostname = urlparse_cached(request).hostname
        if hostname is None:
            return
        request_domain = hostname.lower()
        for cookie in cookies:
            cookie_domain = cookie.domain.removeprefix(".")
            if cookie_domain and not self.split_domain(cookie_domain).domain:
                if cookie_domain != request_domain:
                    continue  # a cookie for a public suffix: refused, as browsers do
                cookie.domain = request_domain
            jar.set_cookie_if_ok(cookie, request)


class SiteUnreachable(IgnoreRequest):
    """The site cannot be reached at all (its name does not resolve, its port refuses)."""


class PastTheBoard(IgnoreRequest):
    """A board page after one the site answered 404: the board has ended."""


#: The stats key naming the board page answered 404, after which no page is requested.
BOARD_ENDED = "board/ended_at"


#: The stats key that says the site was declared unreachable, and why.
UNREACHABLE_REASON = "unreachable/reason"
#: Failures that mean the host is not there, not that it is slow: retrying is useless.
HOST_GONE = (CannotResolveHostError, DownloadConnectionRefusedError)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every waiting request seeing the parser, and a
    robots.txt that cannot be reached said as such.

    In Scrapy 2.19, when three or more requests wait for a site's robots.txt, the
    second waiter is handed ``None`` ("no robots.txt") instead of the parser, and its
    page is fetched even when robots.txt forbids it. Once the parser is known, this
    gives it to every request.

    Scrapy logs a robots.txt that fails to download with a traceback, naming the
    board page that waited for it. Here a host that does not resolve or refuses the
    connection stops the crawl at once (finish reason ``unreachable``) with one line
    naming robots.txt; any other failure is one warning, and the crawl goes on as if
    there were no robots.txt, as Scrapy does.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            # Scrapy's fetch, with the failure reported as described above.
            self._parsers[netloc] = Deferred()
            robots_url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
            robots_request = Request(
                robots_url,
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as error:
                self._report(robots_url, error)
                self._robots_error(error, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            parser = await maybe_deferred_to_future(parser)
        if parser is None:
            known = self._parsers.get(netloc)
            if known is not None and not isinstance(known, Deferred):
                return known
        return parser

    def _report(self, robots_url: str, error: Exception) -> None:
        if isinstance(error, IgnoreRequest):
            return
        if isinstance(error, HOST_GONE):
            declare_unreachable(self.crawler, f"{robots_url} (the site's robots.txt)", error)
            return
        logger.warning(
            "Could not fetch %s (%s: %s); going on as if the site had no robots.txt.",
            robots_url,
            type(error).__name__,
            error,
        )


#: Why the crawl stops at once, by how the site failed.
HOST_GONE_WHY = (
    "A name that does not resolve or a port that refuses connections is no passing "
    "fault, so the crawl stops now, without retrying"
)
TIMED_OUT_WHY = "The site keeps timing out even after retries with back-off, so the crawl stops"


def declare_unreachable(
    crawler: Crawler, what: str, error: object, why: str = HOST_GONE_WHY
) -> None:
    """Say once, in one line, that the site cannot be reached, and stop the crawl."""
    stats = crawler.stats
    if stats.get_value(UNREACHABLE_REASON):
        return
    stats.set_value(UNREACHABLE_REASON, f"{what} failed: {error}")
    logger.error(
        "Cannot reach the site: %s failed: %s. %s (finish reason 'unreachable'). Check the "
        "network or proxy and the site's root (MAOYAN_BASE_URL; for -a source=mobile, "
        "MAOYAN_MOBILE_BASE_URL and MAOYAN_MOBILE_API_URL); maoyan.com is often unreachable "
        "from outside mainland China (`python -m standin demo` runs offline).",
        what,
        str(error).rstrip(". "),
        why,
    )
    deferred_from_coro(crawler.engine.close_spider_async(reason="unreachable"))


def unreadable_dir(settings: BaseSettings) -> Path:
    """MAOYAN_UNREADABLE_DIR; else beside the log file (scrapyd's job logs); else the
    project's .scrapy/unreadable; else ./unreadable-pages."""
    if folder := settings.get("MAOYAN_UNREADABLE_DIR"):
        return Path(folder)
    if log_file := settings.get("LOG_FILE"):
        return Path(log_file).parent / "unreadable"
    try:
        return Path(data_path("unreadable"))
    except NotConfigured:  # no scrapy.cfg: not run from a project checkout
        return Path("unreadable-pages")


def save_page(folder: Path, url: str, body: bytes, suffix: str = ".html") -> Path:
    """Keep a page as it came, named by its URL and the time, for a person to inspect."""
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:100]
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}{suffix}"
    path.write_bytes(body)
    return path.resolve()


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
        if self.crawler.stats.get_value(UNREACHABLE_REASON):
            return None  # the crawl is stopping: no retry of a page in flight
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
        #: Board pages the site has served: a 403 before the first is a refusal.
        self.pages_served = 0
        #: Where pages that are no board page are saved for inspection.
        self.unreadable_dir = unreadable_dir(settings)
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        # The last word before the network: once the site is declared unreachable or
        # the crawl is stopping, the requests still queued are not sent.
        stats = self.crawler.stats
        if reason := stats.get_value(UNREACHABLE_REASON):
            raise SiteUnreachable(reason)
        if why := stopping(self.crawler):
            raise CrawlStopped(f"the crawl was stopping ({why})")
        if (ended := stats.get_value(BOARD_ENDED)) and request.meta.get(BOARD_PAGE):
            raise PastTheBoard(f"the board ended at {ended} (HTTP 404)")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        kind = answer_kind(request.meta.get(BOARD_PAGE))
        if kind is None:
            return response
        if response.status == 404:  # no such page: the board ends before it
            self.crawler.stats.set_value(BOARD_ENDED, request.url)
            return response  # the spider names it (HttpError)
        location = response.headers.get(b"Location")
        body = response.text if isinstance(response, TextResponse) else ""
        ban = detect_ban(
            response.status, response.url, body, location.decode("latin-1") if location else None
        )
        if ban is None and 200 <= response.status < 300 and (refusal := kind.refusal(body)):
            ban = Ban("api_refused", f"answered that the request was refused ({refusal})")
        if ban is None:
            if 200 <= response.status < 300:
                if not kind.readable(body):
                    self._unreadable(request, response, kind)
                self.bans_in_a_row = 0
                self.pages_served += 1
            return response
        if response.status == 403 and not self.pages_served:
            self._refuse(request, response, kind)
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
            self._close("banned")
        raise BannedPage(f"Banned by Maoyan: {ban.message} ({request.url})")

    def _unreadable(self, request: Request, response: Response, kind: AnswerKind) -> None:
        """A page that is neither a board nor a ban page: the layout changed or the URL is
        wrong. Backing off would not change it; the page is saved for a person to look at,
        and the crawl stops (finish reason ``unreadable``)."""
        stats = self.crawler.stats
        stats.inc_value("board/pages_unreadable")
        try:
            saved: Path | str = save_page(
                self.unreadable_dir, request.url, response.body, kind.suffix
            )
            kept = f"Saved it as {saved}"
            look = f"open the saved page and run `python -m maoyan.extract {saved}` on it"
        except OSError as error:
            saved = "not saved"
            kept = (
                f"It could not be saved in {self.unreadable_dir} ({error.strerror or error}: "
                "set MAOYAN_UNREADABLE_DIR to a writable folder)"
            )
            look = "save the page from a browser and run `python -m maoyan.extract` on it"
        if not self.closing:
            logger.error(
                "Not a %s: %s answered %d with a page that holds no board this crawler "
                "can read, and is not one of Maoyan's ban or verification pages (so this is no "
                "ban). %s. Stopping the crawl (finish reason 'unreadable'). What to "
                "do: check that %s (%s) is Maoyan's site root; %s; if Maoyan changed its "
                "layout, report it to this project's issue tracker with the page.",
                kind.what,
                request.url,
                response.status,
                kept,
                kind.root_setting,
                self.crawler.settings.get(kind.root_setting),
                look,
            )
            self._close("unreadable")
        raise UnreadablePage(f"not a board page this crawler can read ({saved})")

    def _refuse(self, request: Request, response: Response, kind: AnswerKind) -> None:
        """A 403 before any board page was served: the site refuses this client.

        Nothing was crawled yet, so it is no ban for crawling too fast, and backing
        off for minutes would not change the answer: stop at once, and say what
        the site looks at.
        """
        self.crawler.stats.inc_value("refused/403")
        said = TOO_FREQUENT in response.text if isinstance(response, TextResponse) else False
        if not self.closing:
            user_agent = (request.headers.get(b"User-Agent") or b"").decode("latin-1")
            logger.error(
                "Refused by Maoyan: the first board page %s was answered 403 Forbidden before "
                "the site served any page, so this is not a ban for crawling too fast. "
                "Stopping the crawl (finish reason 'refused'). The site refuses this client "
                "as it is: %sits User-Agent (%r: Maoyan refuses User-Agents that are not a "
                "browser's; keep the default, or put yours in the form 'Mozilla/5.0 "
                "(compatible; name/1.0; +contact)' in MAOYAN_USER_AGENT), or its network "
                "(this IP address, region or proxy may be blocked: try another network). "
                "%sNever forge a browser login.",
                request.url,
                "the page says 访问请求由于过于频繁而被禁止, so this address may still be "
                "banned from an earlier crawl (wait some hours); or "
                if said
                else "",
                user_agent,
                kind.when_refused,
            )
            self._close("refused")
        raise RefusedClient(f"Refused by Maoyan: 403 Forbidden ({request.url})")

    def _close(self, reason: str) -> None:
        self.closing = True
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
