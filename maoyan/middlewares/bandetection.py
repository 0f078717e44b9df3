"""Bans, refusals and pages no parser can read: said, backed off or stopped on, and
never scraped; and nothing sent once the crawl is stopping or its board has ended."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.project import data_path

from maoyan.bans import TOO_FREQUENT, Ban, detect_ban
from maoyan.middlewares.retry import backoff_delay
from maoyan.outcomes import (
    BAN_ADVICE,
    BAN_REASON,
    BOARD_ENDED,
    REFUSED_ADVICE,
    STILL_BANNED,
    UNREACHABLE_REASON,
    BannedPage,
    CrawlStopped,
    PastTheBoard,
    RefusedClient,
    SiteUnreachable,
    UnreadablePage,
    board_stat,
)
from maoyan.scrapy_compat import slow_down
from maoyan.sources import answer_kind
from maoyan.sources.base import BOARD, BOARD_PAGE
from maoyan.stopping import close_spider, stopping

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from maoyan.sources import AnswerKind

logger = logging.getLogger(__name__)


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


def ended_key(request: Request) -> str:
    """The stats key that records where a request's board ended (its page answered
    404); requests of jobs begun before crawls of several boards name no board."""
    board = request.meta.get(BOARD)
    return board_stat(board, "ended_at") if board else BOARD_ENDED


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
        if not settings.getbool("MAOYAN_BAN_DETECTION_ENABLED"):
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
        if request.meta.get(BOARD_PAGE) and (ended := stats.get_value(ended_key(request))):
            raise PastTheBoard(f"the board ended at {ended} (HTTP 404)")

    def count_sent(self, request: Request) -> None:
        """One more request of a board that reached the site (its redirects and retries
        included): the board's ``requests`` in the close-time lines."""
        if board := request.meta.get(BOARD):
            self.crawler.stats.inc_value(board_stat(board, "requests"))

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, IgnoreRequest):  # refused here: never sent
            self.count_sent(request)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        kind = answer_kind(request.meta.get(BOARD_PAGE))
        if kind is None:
            return response
        self.count_sent(request)
        if response.status == 404:  # no such page: the board ends before it
            self.crawler.stats.set_value(BOARD_ENDED, request.url)
            self.crawler.stats.set_value(ended_key(request), request.url)
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
            stats.set_value(BAN_REASON, f"{ban.kind}: {ban.message}")
            logger.error(
                "Banned by Maoyan: %s for %s, %d times in a row despite slowing down. Stopping the "
                "crawl (finish reason 'banned'); no items were taken from ban pages. %s",
                ban.message,
                request.url,
                attempt,
                BAN_ADVICE,
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
                "Stopping the crawl (finish reason 'refused'). %s",
                request.url,
                REFUSED_ADVICE.format(
                    still_banned=STILL_BANNED if said else "",
                    user_agent=user_agent,
                    elsewhere=kind.when_refused,
                ),
            )
            self._close("refused")
        raise RefusedClient(f"Refused by Maoyan: 403 Forbidden ({request.url})")

    def _close(self, reason: str) -> None:
        self.closing = True
        close_spider(self.crawler, reason)
