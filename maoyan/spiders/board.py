"""The ``board`` spider: one or more boards of one or both sources into one feed.

Which URLs a source asks for and what its answers say is the source's business
(:mod:`maoyan.sources`); the spider keeps what every source shares: the arguments
(:mod:`maoyan.arguments`), each board's state as the crawl goes, resuming a job, what a
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

from maoyan.arguments import Target, check_arguments
from maoyan.items import BoardEntry, EntryFields
from maoyan.outcomes import (
    BOARD_KEYS,
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
    board_stat,
)
from maoyan.sources import SOURCES
from maoyan.sources.base import BOARD, BOARD_PAGE, BoardCounts, PageRequest, Source
from maoyan.stopping import declare_unreachable

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


#: Request meta key: the board page's URL as first asked for, whatever redirects follow.
PAGE_URL = "maoyan_page_url"
#: Each board's requests are that much less urgent than the board's before it, so the
#: boards are crawled one after another, in crawl order (a board's own priorities
#: stay far within it: -offset, ranks below 1,000).
BOARD_PRIORITY_STEP = 10_000
#: Failures that, page after page, mean the site cannot be reached (a host that does
#: not resolve or refuses is declared unreachable at the first page: HOST_GONE).
UNREACHABLE = (DownloadTimeoutError, ConnectError)


@dataclass
class BoardProgress:
    """What the spider knows of one of its boards as the crawl goes."""

    target: Target
    source: Source
    #: The board's place in the crawl order: its requests come after those of the
    #: boards before it.
    index: int
    #: How many films the board should have (more if its answers show more ranks).
    expected: int
    counts: BoardCounts = field(default_factory=BoardCounts)
    date_checked: bool = False

    @property
    def key(self) -> str:
        return self.target.key


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
    """Collect Maoyan boards into the feed: one board, a list, or every board of one
    or both sources, in one crawl paced as one site.

    Arguments (``-a name=value``, or scrapyd's ``schedule.json`` fields):

    * ``source`` -- ``desktop`` (the default: www.maoyan.com/board/N, ten films a
      page), ``mobile`` (m.maoyan.com's board page and the JSON behind it: numbers
      in plain text, a board in one to three requests), or ``all`` (both; also
      ``desktop,mobile``).
    * ``board`` -- the board's name, the same for both sources: ``top100`` (the
      default), ``most-expected``, ``hot``, ``box-office``, ``north-america`` (desktop),
      ``weekly-box-office``, ``ticket-score`` (mobile); or the source's own number
      (desktop 4, 7, 6, 1, 2; mobile 39, 6, 56, 55); a list (``top100,hot``); or
      ``all``: every board of each source.
    * ``pages`` -- how many pages of the desktop TOP100 to walk (default 10, the whole
      board); for a stand-in site of another size, as the benchmarks use.

    The boards are crawled one after another in a fixed order (:mod:`maoyan.arguments`);
    each is judged complete or not on its own when the crawl closes.
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
        self.plan = check_arguments(
            source=source, board=board, pages=pages, top100_pages=top100_pages
        )
        #: Each board's progress, by its key, in crawl order (set by from_crawler, where
        #: the sources get their settings).
        self.boards: dict[str, BoardProgress] = {}
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
        for index, target in enumerate(spider.plan.targets):
            source = SOURCES[target.source](target.board, settings)
            spider.boards[target.key] = BoardProgress(target, source, index, target.expected)
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
        """The stats are open: name the boards and how many films each should have
        (with JOBDIR, as far as an earlier run of the job learnt)."""
        stats = self.crawler.stats
        stats.set_value(BOARD_KEYS, list(self.boards))
        known = self.job_state("expected")
        for progress in self.boards.values():
            progress.expected = max(progress.expected, known.get(progress.key, 0))
            stats.set_value(board_stat(progress.key, "films_expected"), progress.expected)
        self.publish_expected()

    def publish_expected(self) -> None:
        """The films every board should have, together, and each board's, kept in the
        job's state so a resumed run knows a board whose total an earlier run read."""
        stats = self.crawler.stats
        stats.set_value(FILMS_EXPECTED, sum(p.expected for p in self.boards.values()))
        self.job_state("expected").update(
            {key: progress.expected for key, progress in self.boards.items()}
        )

    def job_state(self, name: str) -> dict[str, Any]:
        """A per-board entry of the job's state (JOBDIR), or an empty dict without a job."""
        state = getattr(self, "state", None)
        if state is None:
            return {}
        value = state.get(name)
        if not isinstance(value, dict):
            value = state[name] = {}
        return value

    def page_request(self, progress: BoardProgress, wanted: PageRequest) -> scrapy.Request:
        """The Scrapy request for one of a board's pages (or JSON answers): its kind and
        its board in the meta for the ban middleware, after the requests of the boards
        before it in the crawl order."""
        progress.counts.requests[wanted.kind] += 1
        self.crawler.stats.inc_value("board/requests")
        headers = {}
        if wanted.referer:
            headers["Referer"] = wanted.referer
        if wanted.accept:
            headers["Accept"] = wanted.accept
        meta: dict[str, Any] = {BOARD_PAGE: wanted.kind, PAGE_URL: wanted.url, BOARD: progress.key}
        if slot := self.first.source.slot:  # the whole site in one slot: see Source.slot
            meta["download_slot"] = slot
        return scrapy.Request(
            wanted.url,
            callback=self.parse,
            errback=self.page_failed,
            cookies=self.cookies,
            priority=wanted.priority - progress.index * BOARD_PRIORITY_STEP,
            headers=headers or None,
            meta=meta,
        )

    def board_requests(self) -> list[scrapy.Request]:
        """Every board's first requests, the boards in crawl order, best rank first."""
        return [
            self.page_request(progress, wanted)
            for progress in self.boards.values()
            for wanted in progress.source.start(progress.target.pages)
        ]

    @property
    def unfinished(self) -> dict[str, Any]:
        """Pages an earlier run of this job requested but did not parse (banned, failed,
        not fetched), by URL with their board and Referer: with ``-s JOBDIR=DIR`` Scrapy
        keeps ``self.state`` between runs, and a resumed run fetches these again.
        Scrapy's own queue in JOBDIR keeps the pages never requested."""
        state = getattr(self, "state", None)
        if state is None:  # no JOBDIR: nothing to resume
            return {}
        return state.setdefault("unfinished", {})

    def board_of(self, key: str | None) -> BoardProgress:
        """The board of that key; a request of a job begun before crawls of several
        boards names none: the crawl's only board."""
        return self.boards.get(key or "", self.first)

    @property
    def first(self) -> BoardProgress:
        return next(iter(self.boards.values()))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        state = getattr(self, "state", None)
        if state is not None:  # a job (JOBDIR): which crawl it is (maoyan.jobdir)
            state["job"] = asdict(self.plan.job)
            state["runs"] = state.get("runs", 0) + 1  # more than one: a job resumed
        for url, left in list(self.unfinished.items()):
            # {"board": key, "referer": ...}; a bare Referer in jobs of one board
            if not isinstance(left, dict):
                left = {"referer": left}
            progress, referer = self.board_of(left.get("board")), left.get("referer")
            self.logger.info("Resuming: fetching %s again (not parsed in an earlier run)", url)
            request = self.page_request(progress, progress.source.again(url, referer))
            yield request.replace(dont_filter=True)  # the duplicate filter has seen it
        for request in self.board_requests():
            yield request

    def parse(self, response: Response) -> Any:
        crawled_at = utc_now()
        self.unreachable_in_a_row = 0
        self.unfinished.pop(response.meta.get(PAGE_URL, response.url), None)
        stats = self.crawler.stats
        stats.inc_value("board/pages_parsed")
        progress = self.board_of(response.meta.get(BOARD))
        answer = progress.source.read(
            response.text, response.url, response.meta.get(BOARD_PAGE), progress.expected
        )
        if answer.numbers_hidden:
            progress.counts.numbers_hidden.update(name for _, name in answer.numbers_hidden)
            stats.inc_value("board/numbers_hidden", len(answer.numbers_hidden))
        self.check_board_date(progress, answer.board_date)
        expected = max(progress.expected, answer.total or 0)
        for fields in answer.entries:
            if fields.get("rank") is not None:
                expected = max(expected, fields["rank"])
            yield self.entry(progress, fields, crawled_at)
        if expected != progress.expected:
            progress.expected = expected
            stats.set_value(board_stat(progress.key, "films_expected"), expected)
            self.publish_expected()
        for note in answer.notes:
            self.logger.log(note.level, note.message)
        for wanted in answer.follow:
            yield self.page_request(progress, wanted)

    def entry(self, progress: BoardProgress, fields: EntryFields, crawled_at: str) -> BoardEntry:
        """The feed line: every field of the contract, null where the source had none."""
        return BoardEntry(**{**fields, "source": progress.target.source, "crawled_at": crawled_at})

    def check_board_date(self, progress: BoardProgress, board_date: str | None) -> None:
        """Name a board whose date is long past, once: its numbers are not today's."""
        if progress.date_checked or not board_date:
            return
        progress.date_checked = True
        try:
            age = (datetime.now(UTC).date() - date.fromisoformat(board_date)).days
        except ValueError:  # a date-shaped text that is no date
            return
        if age > self.stale_after_days:
            self.crawler.stats.set_value("board/days_since_update", age)
            self.crawler.stats.set_value(board_stat(progress.key, "days_since_update"), age)
            self.logger.warning(
                "Board %s was last updated on %s, %d days ago: Maoyan no longer updates it, "
                "so its films and numbers are those of that date, not today's.",
                progress.source.board_number,
                board_date,
                age,
            )

    def closed(self, reason: str) -> None:
        for progress in self.boards.values():
            for note in progress.source.closing_words(progress.counts):
                self.logger.log(note.level, note.message)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        progress = self.board_of(request.meta.get(BOARD))
        if getattr(self, "state", None) is not None:
            referer = request.headers.get(b"Referer")
            self.unfinished[request.meta.get(PAGE_URL, request.url)] = {
                "board": progress.key,
                "referer": referer.decode("latin-1") if referer else None,
            }
        if failure.check(BannedPage):
            return  # the ban middleware has said what happened and is closing the crawl
        if failure.check(CrawlStopped):
            self.logger.info("Board page %s not fetched: %s.", request.url, failure.value)
            return
        if failure.check(PastTheBoard):
            self.logger.info("Board page %s not requested: %s.", request.url, failure.value)
            return
        self.crawler.stats.inc_value(PAGES_FAILED)
        self.crawler.stats.inc_value(board_stat(progress.key, "pages_failed"))
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
