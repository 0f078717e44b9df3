"""The ``board`` spider: one board from one source into the feed.

Which URLs a source asks for and what its answers say is the source's business
(:mod:`maoyan.sources`); the spider keeps what every source shares: the arguments,
resuming a job, what a failed request means, and the feed's shape. The pace is set
in settings; bans are caught by :mod:`maoyan.middlewares`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure

from maoyan.boards import Board, find_board, offered
from maoyan.items import FEED_FIELDS, BoardEntry
from maoyan.jobdir import Job
from maoyan.middlewares import (
    BOARD_PAGE,
    HOST_GONE,
    TIMED_OUT_WHY,
    UNREACHABLE_REASON,
    BannedPage,
    PastTheBoard,
    SiteUnreachable,
    declare_unreachable,
)
from maoyan.sources import SOURCES
from maoyan.sources.desktop import PAGE_SIZE
from maoyan.stopping import CrawlStopped

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

#: Request meta key: the board page's URL as first asked for, whatever redirects follow.
PAGE_URL = "maoyan_page_url"
#: Failures that, page after page, mean the site cannot be reached (a host that does
#: not resolve or refuses is declared unreachable at the first page: HOST_GONE).
UNREACHABLE = (DownloadTimeoutError, ConnectError)


#: The spider's arguments; ``_job`` is the job id scrapyd passes to every crawl.
ARGUMENTS = ("source", "board", "pages", "_job")
#: What an argument left out means.
DEFAULTS = {"source": "desktop", "board": "top100", "pages": "the whole board"}
#: Pages of the desktop TOP100 (the MAOYAN_TOP100_PAGES setting; benchmarks raise it
#: for a larger stand-in).
TOP100_PAGES = 10


class ArgumentError(ValueError):
    """A spider argument that cannot be right: said in one line before any request."""


def check_arguments(
    *, top100_pages: int = TOP100_PAGES, **arguments: object
) -> tuple[str, Board, int | None]:
    """``(source, board, pages)`` from the ``-a`` arguments (``pages`` only for the desktop
    TOP100, the one board walked page by page), or an :class:`ArgumentError`
    that says what is wrong: an unknown name (a typo would otherwise crawl TOP100 without
    a word), an empty value (an unset variable in a cron line), a source or board that
    does not exist, a board the source does not show (with the boards it does), a number
    of pages that is not positive or beyond the board (``top100_pages``)."""
    unknown = sorted(set(arguments) - set(ARGUMENTS))
    if unknown:
        raise ArgumentError(
            f"unknown argument {', '.join(unknown)}: the board spider takes source "
            "(desktop or mobile), board (top100, most-expected, ...) and pages "
            "(desktop TOP100 only)"
        )
    for name in ("source", "board", "pages"):
        value = arguments.get(name)
        if value is not None and not str(value).strip():
            raise ArgumentError(
                f"{name}= is empty (an unset variable?): give a value, or leave -a {name} "
                f"out for the default ({DEFAULTS[name]})"
            )
    source = str(arguments.get("source") or "desktop").strip().lower()
    if source not in SOURCES:
        raise ArgumentError(f"source={source}: no such source; use desktop or mobile")
    value = arguments.get("board") or "top100"
    board = find_board(source, value)
    if board is None:
        raise ArgumentError(
            f"board={value}: the {source} source has no such board{elsewhere(source, value)}; "
            f"it offers {offered(source)}"
        )
    pages = arguments.get("pages")
    walked = board.name == "top100" and source == "desktop"
    if pages is None:
        return source, board, (board.size or 0) // PAGE_SIZE if walked else None
    if not walked:
        raise ArgumentError(f"pages={pages}: pages applies to the desktop TOP100 only")
    try:
        page_count = int(str(pages).strip())
    except ValueError:
        page_count = 0
    if page_count < 1:
        raise ArgumentError(
            f"pages={pages}: give a whole number of pages, 1 or more ({top100_pages} is all)"
        )
    if page_count > top100_pages:
        raise ArgumentError(
            f"pages={pages}: TOP100 has {top100_pages} pages ({top100_pages * PAGE_SIZE} "
            f"films, {PAGE_SIZE} a page); give 1 to {top100_pages}"
        )
    return source, board, page_count


def elsewhere(source: str, value: object) -> str:
    """Where a board a source lacks can be had, said as a hint for the usage error."""
    for other in SOURCES:
        board = find_board(other, value) if other != source else None
        if board is None:
            continue
        if source in board.ids:
            return (
                f" ({value} is the {other} source's number for {board.name}; "
                f"here use -a board={board.name})"
            )
        return f" (the {other} source has {board.name}: -a source={other})"
    return ""


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """``"a=1; b=2"`` (as copied from a browser's request headers) -> ``{"a": "1", "b": "2"}``."""
    cookies = {}
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            cookies[name.strip()] = value.strip()
    return cookies


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BoardSpider(scrapy.Spider):
    """Collect one Maoyan board into the feed.

    Arguments (``-a name=value``, or scrapyd's ``schedule.json`` fields):

    * ``source`` -- ``desktop`` (the default: www.maoyan.com/board/N, ten films a
      page) or ``mobile`` (m.maoyan.com's board page and the JSON behind it: numbers
      in plain text, a board in one to three requests).
    * ``board`` -- the board's name, the same for both sources: ``top100`` (the
      default), ``most-expected``, ``hot``, ``box-office``, ``north-america`` (desktop),
      ``weekly-box-office``, ``ticket-score`` (mobile); or the source's own number
      (desktop 4, 7, 6, 1, 2; mobile 39, 6, 56, 55).
    * ``pages`` -- how many pages of the desktop TOP100 to walk (default 10, the whole
      board); for a stand-in site of another size, as the benchmarks use.
    """

    name = "board"
    #: Board pages in a row that cannot connect before the crawl stops as unreachable;
    #: the MAOYAN_UNREACHABLE_PAGES setting overrides it.
    unreachable_limit = 2
    #: A board dated more than this many days ago is named in the log as not updated;
    #: the MAOYAN_STALE_BOARD_DAYS setting overrides it.
    stale_after_days = 31

    def __init__(
        self,
        board: int | str | None = None,
        pages: int | str | None = None,
        source: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_name, self.board, self.pages = check_arguments(
            source=source,
            board=board,
            pages=pages,
            top100_pages=int(kwargs.pop("top100_pages", TOP100_PAGES)),
        )
        #: How many films the board should have (more if its answers show more ranks).
        self.expected_films = self.pages * PAGE_SIZE if self.pages else (self.board.size or 0)
        self.cookies: dict[str, str] = {}
        self.unreachable_in_a_row = 0
        self.board_date_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        settings = crawler.settings
        kwargs.setdefault("top100_pages", settings.getint("MAOYAN_TOP100_PAGES", TOP100_PAGES))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cookies = parse_cookie_header(settings.get("MAOYAN_COOKIE"))
        spider.unreachable_limit = settings.getint(
            "MAOYAN_UNREACHABLE_PAGES", cls.unreachable_limit
        )
        spider.stale_after_days = settings.getint("MAOYAN_STALE_BOARD_DAYS", cls.stale_after_days)
        spider.source = SOURCES[spider.source_name](spider, spider.board, settings)
        user_agent = settings.get("USER_AGENT") or ""
        if not settings.get("MAOYAN_CONTACT") and "MAOYAN_CONTACT" in user_agent:
            spider.logger.warning(
                "No contact in the User-Agent (%s): set MAOYAN_CONTACT to an e-mail address "
                "or URL, so that Maoyan can reach whoever runs this crawler instead of "
                "banning it.",
                user_agent,
            )
        return spider

    def page_request(
        self, url: str, kind: str, priority: int = 0, referer: str | None = None
    ) -> scrapy.Request:
        """A request for one of the board's pages (or JSON answers): ``kind`` names
        what it must hold (a key of its source's ``answers``), for the ban middleware."""
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.page_failed,
            cookies=self.cookies,
            priority=priority,
            headers={"Referer": referer} if referer else None,
            meta={BOARD_PAGE: kind, PAGE_URL: url},
        )

    @property
    def unfinished(self) -> dict[str, str | None]:
        """Pages an earlier run of this job requested but did not parse (banned, failed,
        not fetched), by URL with their Referer: with ``-s JOBDIR=DIR`` Scrapy keeps
        ``self.state`` between runs, and a resumed run fetches these again. Scrapy's
        own queue in JOBDIR keeps the pages never requested."""
        state = getattr(self, "state", None)
        if state is None:  # no JOBDIR: nothing to resume
            return {}
        return state.setdefault("unfinished", {})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        state = getattr(self, "state", None)
        if state is not None:  # a job (JOBDIR): which crawl it is (maoyan.jobdir)
            state["job"] = asdict(Job(self.source_name, self.board.name))
            state["runs"] = state.get("runs", 0) + 1  # more than one: a job resumed
        for url, referer in list(self.unfinished.items()):
            self.logger.info("Resuming: fetching %s again (not parsed in an earlier run)", url)
            request = self.source.request_again(url, referer)
            yield request.replace(dont_filter=True)  # the duplicate filter has seen it
        for request in self.source.start_requests():
            yield request

    def parse(self, response: Response) -> Any:
        crawled_at = utc_now()
        self.unreachable_in_a_row = 0
        self.unfinished.pop(response.meta.get(PAGE_URL, response.url), None)
        self.crawler.stats.inc_value("board/pages_parsed")
        for result in self.source.parse(response):
            if isinstance(result, scrapy.Request):
                yield result
                continue
            if result.get("rank") is not None:
                self.expected_films = max(self.expected_films, result["rank"])
            yield self.entry(result, crawled_at)

    def entry(self, fields: dict[str, Any], crawled_at: str) -> BoardEntry:
        """The feed line: every field of the contract, null where the source had none."""
        blank = dict.fromkeys(FEED_FIELDS)
        return BoardEntry({**blank, **fields, "source": self.source_name, "crawled_at": crawled_at})

    def check_board_date(self, board_date: str | None) -> None:
        """Name a board whose date is long past, once: its numbers are not today's."""
        if self.board_date_checked or not board_date:
            return
        self.board_date_checked = True
        try:
            age = (datetime.now(UTC).date() - date.fromisoformat(board_date)).days
        except ValueError:  # a date-shaped text that is no date
            return
        if age > self.stale_after_days:
            self.crawler.stats.set_value("board/days_since_update", age)
            self.logger.warning(
                "Board %s was last updated on %s, %d days ago: Maoyan no longer updates it, "
                "so its films and numbers are those of that date, not today's.",
                self.source.board_number,
                board_date,
                age,
            )

    def closed(self, reason: str) -> None:
        self.source.closed(reason)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        if getattr(self, "state", None) is not None:
            referer = request.headers.get(b"Referer")
            self.unfinished[request.meta.get(PAGE_URL, request.url)] = (
                referer.decode("latin-1") if referer else None
            )
        if failure.check(BannedPage):
            return  # the ban middleware has said what happened and is closing the crawl
        if failure.check(CrawlStopped):
            self.logger.info("Board page %s not fetched: %s.", request.url, failure.value)
            return
        if failure.check(PastTheBoard):
            self.logger.info("Board page %s not requested: %s.", request.url, failure.value)
            return
        self.crawler.stats.inc_value("board/pages_failed")
        if failure.check(SiteUnreachable):
            # Said once, in one line, by declare_unreachable; each page only named.
            self.logger.info("Board page %s not fetched: the site is unreachable.", request.url)
            return
        if self.crawler.stats.get_value(UNREACHABLE_REASON):
            self.logger.info(
                "Board page %s failed (%s) as the crawl stopped: the site is unreachable.",
                request.url,
                failure.getErrorMessage(),
            )
            return
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            self.logger.error(
                "Not fetching %s: the site's robots.txt forbids it, and this project obeys "
                "robots.txt (ROBOTSTXT_OBEY = True).",
                request.url,
            )
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"the site answered HTTP {status}"
            if status == 404:  # no such page: the ban middleware has ended the walk
                self.logger.error(
                    "Board page %s failed (the site answered HTTP 404 Not Found: the board "
                    "has no such page); its films are missing from this crawl, and the "
                    "board's later pages are not requested.",
                    request.url,
                )
                return
        else:
            reason = failure.getErrorMessage()
        if failure.check(*HOST_GONE):
            declare_unreachable(self.crawler, request.url, reason)
            return
        self.logger.error(
            "Board page %s failed (%s); its films are missing from this crawl.", request.url, reason
        )
        if failure.check(*UNREACHABLE):
            self.unreachable_in_a_row += 1
            if self.unreachable_in_a_row >= self.unreachable_limit:
                declare_unreachable(
                    self.crawler,
                    f"{request.url} (board page {self.unreachable_in_a_row} in a row)",
                    reason,
                    TIMED_OUT_WHY,
                )
