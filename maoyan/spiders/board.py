"""The ``board`` spider: one board from one source into the feed.

Which URLs a source asks for and what its answers say is the source's business
(:mod:`maoyan.sources`); the spider keeps what every source shares: the arguments
(:mod:`maoyan.arguments`), the board's state as the crawl goes, resuming a job, what a
failed request means, the stats, the log and the feed's shape. The pace is set in
settings; bans are caught by :mod:`maoyan.middlewares.bandetection`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure

from maoyan.arguments import check_arguments
from maoyan.items import BoardEntry, EntryFields
from maoyan.jobdir import Job
from maoyan.outcomes import (
    FILMS_EXPECTED,
    HOST_GONE,
    PAGES_FAILED,
    ROBOTS_FORBIDS,
    TIMED_OUT_WHY,
    UNREACHABLE_REASON,
    BannedPage,
    CrawlStopped,
    PastTheBoard,
    SiteUnreachable,
)
from maoyan.sources import SOURCES
from maoyan.sources.base import BOARD_PAGE, BoardCounts, PageRequest
from maoyan.sources.desktop import PAGE_SIZE
from maoyan.stopping import declare_unreachable

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


#: Request meta key: the board page's URL as first asked for, whatever redirects follow.
PAGE_URL = "maoyan_page_url"
#: Failures that, page after page, mean the site cannot be reached (a host that does
#: not resolve or refuses is declared unreachable at the first page: HOST_GONE).
UNREACHABLE = (DownloadTimeoutError, ConnectError)


@dataclass
class BoardProgress:
    """What the spider knows of its board as the crawl goes."""

    #: How many films the board should have (more if its answers show more ranks).
    expected: int
    counts: BoardCounts = field(default_factory=BoardCounts)
    date_checked: bool = False


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

    def __init__(
        self,
        board: int | str | None = None,
        pages: int | str | None = None,
        source: str | None = None,
        *args: Any,
        top100_pages: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_name, board_found, self.pages = check_arguments(
            source=source, board=board, pages=pages, top100_pages=top100_pages
        )
        self.board = board_found
        expected = self.pages * PAGE_SIZE if self.pages else (board_found.size or 0)
        self.progress = BoardProgress(expected)
        self.cookies: dict[str, str] = {}
        self.unreachable_in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        settings = crawler.settings
        kwargs.setdefault("top100_pages", settings.getint("MAOYAN_TOP100_PAGES"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cookies = parse_cookie_header(settings.get("MAOYAN_COOKIE"))
        spider.unreachable_limit = settings.getint("MAOYAN_UNREACHABLE_PAGES")
        spider.stale_after_days = settings.getint("MAOYAN_STALE_BOARD_DAYS")
        spider.source = SOURCES[spider.source_name](spider.board, settings)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        user_agent = settings.get("USER_AGENT") or ""
        if not settings.get("MAOYAN_CONTACT") and "MAOYAN_CONTACT" in user_agent:
            spider.logger.warning(
                "No contact in the User-Agent (%s): set MAOYAN_CONTACT to an e-mail address "
                "or URL, so that Maoyan can reach whoever runs this crawler instead of "
                "banning it.",
                user_agent,
            )
        return spider

    def opened(self) -> None:
        """The stats are open: say how many films the board should have."""
        self.crawler.stats.set_value(FILMS_EXPECTED, self.progress.expected)

    def page_request(self, wanted: PageRequest) -> scrapy.Request:
        """The Scrapy request for one of the board's pages (or JSON answers), its kind
        in the meta for the ban middleware."""
        self.progress.counts.requests[wanted.kind] += 1
        headers = {}
        if wanted.referer:
            headers["Referer"] = wanted.referer
        if wanted.accept:
            headers["Accept"] = wanted.accept
        meta: dict[str, Any] = {BOARD_PAGE: wanted.kind, PAGE_URL: wanted.url}
        if wanted.slot:
            meta["download_slot"] = wanted.slot
        return scrapy.Request(
            wanted.url,
            callback=self.parse,
            errback=self.page_failed,
            cookies=self.cookies,
            priority=wanted.priority,
            headers=headers or None,
            meta=meta,
        )

    def board_requests(self) -> list[scrapy.Request]:
        """The board's first requests, best rank first."""
        return [self.page_request(wanted) for wanted in self.source.start(self.pages)]

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
            request = self.page_request(self.source.again(url, referer))
            yield request.replace(dont_filter=True)  # the duplicate filter has seen it
        for request in self.board_requests():
            yield request

    def parse(self, response: Response) -> Any:
        crawled_at = utc_now()
        self.unreachable_in_a_row = 0
        self.unfinished.pop(response.meta.get(PAGE_URL, response.url), None)
        stats = self.crawler.stats
        stats.inc_value("board/pages_parsed")
        progress = self.progress
        answer = self.source.read(
            response.text, response.url, response.meta.get(BOARD_PAGE), progress.expected
        )
        if answer.numbers_hidden:
            progress.counts.numbers_hidden.update(name for _, name in answer.numbers_hidden)
            stats.inc_value("board/numbers_hidden", len(answer.numbers_hidden))
        self.check_board_date(answer.board_date)
        expected = max(progress.expected, answer.total or 0)
        for fields in answer.entries:
            if fields.get("rank") is not None:
                expected = max(expected, fields["rank"])
            yield self.entry(fields, crawled_at)
        if expected != progress.expected:
            progress.expected = expected
            stats.set_value(FILMS_EXPECTED, expected)
        for note in answer.notes:
            self.logger.log(note.level, note.message)
        for wanted in answer.follow:
            yield self.page_request(wanted)

    def entry(self, fields: EntryFields, crawled_at: str) -> BoardEntry:
        """The feed line: every field of the contract, null where the source had none."""
        return BoardEntry(**{**fields, "source": self.source_name, "crawled_at": crawled_at})

    def check_board_date(self, board_date: str | None) -> None:
        """Name a board whose date is long past, once: its numbers are not today's."""
        if self.progress.date_checked or not board_date:
            return
        self.progress.date_checked = True
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
        for note in self.source.closing_words(self.progress.counts):
            self.logger.log(note.level, note.message)
        self.crawler.stats.set_value("board/requests", self.progress.counts.requests.total())

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
        self.crawler.stats.inc_value(PAGES_FAILED)
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
            self.logger.error("Not fetching %s: %s.", request.url, ROBOTS_FORBIDS)
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
