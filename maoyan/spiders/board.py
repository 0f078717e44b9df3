"""The ``board`` spider: which board pages to fetch, in what order, and what to do
with each answer. Turning HTML into entries is :mod:`maoyan.extract`'s job; the
pace is set in settings; bans are caught by :mod:`maoyan.middlewares`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError
from twisted.python.failure import Failure

from maoyan.extract import NUMBER_FIELDS, BoardPage, parse_board_page
from maoyan.items import BoardEntry
from maoyan.middlewares import (
    BOARD_PAGE,
    HOST_GONE,
    TIMED_OUT_WHY,
    UNREACHABLE_REASON,
    BannedPage,
    SiteUnreachable,
    declare_unreachable,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

TOP100 = 4
#: Request meta key: the board page's URL as first asked for, whatever redirects follow.
PAGE_URL = "maoyan_page_url"
PAGE_SIZE = 10
TOP100_SIZE = 100
#: How many films each board holds when whole (TOP100's follows the ``pages`` argument).
BOARD_SIZES = {7: 10, 6: 50, 1: 10, 2: 10}
#: Failures that, page after page, mean the site cannot be reached (a host that does
#: not resolve or refuses is declared unreachable at the first page: HOST_GONE).
UNREACHABLE = (DownloadTimeoutError, ConnectError)


#: The spider's arguments; ``_job`` is the job id scrapyd passes to every crawl.
ARGUMENTS = ("board", "pages", "_job")


class ArgumentError(ValueError):
    """A spider argument that cannot be right: said in one line before any request."""


def check_arguments(**arguments: object) -> tuple[int, int]:
    """``(board, pages)`` from the ``-a`` arguments, or an :class:`ArgumentError` that says
    what is wrong: an unknown name (a typo would otherwise crawl TOP100 without a word),
    a board that does not exist, a number of pages that is not positive."""
    unknown = sorted(set(arguments) - set(ARGUMENTS))
    if unknown:
        raise ArgumentError(
            f"unknown argument {', '.join(unknown)}: the board spider takes "
            "board (4, 7, 6, 1 or 2) and pages (TOP100 only)"
        )
    board, pages = arguments.get("board", TOP100), arguments.get("pages")
    boards = (TOP100, *BOARD_SIZES)
    try:
        board_id = int(str(board).strip())
    except ValueError:
        board_id = None
    if board_id not in boards:
        raise ArgumentError(
            f"board={board}: no such board; use one of {', '.join(map(str, boards))} "
            "(4 TOP100, 7 热映口碑榜, 6 最受期待榜, 1 国内票房榜, 2 北美票房榜)"
        )
    if pages is None:
        return board_id, TOP100_SIZE // PAGE_SIZE
    if board_id != TOP100:
        raise ArgumentError(f"pages={pages}: pages applies to TOP100 (board 4) only")
    try:
        page_count = int(str(pages).strip())
    except ValueError:
        page_count = 0
    if page_count < 1:
        raise ArgumentError(f"pages={pages}: give a whole number of pages, 1 or more (10 is all)")
    return board_id, page_count


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

    * ``board`` -- board number: 4 (TOP100, the default), 7 (热映口碑榜), 6 (最受期待榜),
      1 (国内票房榜), 2 (北美票房榜).
    * ``pages`` -- how many pages of TOP100 to walk (default 10, the whole board); for
      a stand-in site of another size, as the benchmarks use.

    TOP100 is walked over all ten offsets 0-90 whatever an earlier page held, so one
    broken page costs ten films, not the rest of the board. Other boards follow their
    pager (board 6: five pages, 50 films); a board without one is a single page.
    Every page after the first carries the page before it as its Referer, as a
    reader following the pager would send.
    """

    name = "board"
    #: The site root; the MAOYAN_BASE_URL setting overrides it.
    base_url = "https://www.maoyan.com"
    #: Board pages in a row that cannot connect before the crawl stops as unreachable;
    #: the MAOYAN_UNREACHABLE_PAGES setting overrides it.
    unreachable_limit = 2
    #: A board dated more than this many days ago is named in the log as not updated;
    #: the MAOYAN_STALE_BOARD_DAYS setting overrides it.
    stale_after_days = 31

    def __init__(
        self,
        board: int | str = TOP100,
        pages: int | str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.board_id, self.pages = check_arguments(board=board, pages=pages)
        #: How many films the board should have (more if its pages show more ranks).
        self.expected_films = (
            self.pages * PAGE_SIZE if self.board_id == TOP100 else BOARD_SIZES.get(self.board_id, 0)
        )
        self.cookies: dict[str, str] = {}
        self.unreachable_in_a_row = 0
        #: Numbers the pages draw with a web font, by feed field.
        self.numbers_hidden: Counter[str] = Counter()
        self.board_date_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = (crawler.settings.get("MAOYAN_BASE_URL") or cls.base_url).rstrip("/")
        spider.cookies = parse_cookie_header(crawler.settings.get("MAOYAN_COOKIE"))
        spider.unreachable_limit = crawler.settings.getint(
            "MAOYAN_UNREACHABLE_PAGES", cls.unreachable_limit
        )
        spider.stale_after_days = crawler.settings.getint(
            "MAOYAN_STALE_BOARD_DAYS", cls.stale_after_days
        )
        return spider

    def board_url(self, offset: int) -> str:
        return f"{self.base_url}/board/{self.board_id}?offset={offset}"

    def page_request(
        self, url: str, priority: int = 0, referer: str | None = None
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.page_failed,
            cookies=self.cookies,
            priority=priority,
            headers={"Referer": referer} if referer else None,
            meta={BOARD_PAGE: True, PAGE_URL: url},
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
        for url, referer in list(self.unfinished.items()):
            self.logger.info("Resuming: fetching %s again (not parsed in an earlier run)", url)
            request = self.page_request(url, 1, referer)
            yield request.replace(dont_filter=True)  # the duplicate filter has seen it
        if self.board_id == TOP100:
            for offset in range(0, self.pages * PAGE_SIZE, PAGE_SIZE):
                # Earlier pages first: with one request at a time the feed is in rank order.
                referer = self.board_url(offset - PAGE_SIZE) if offset else None
                yield self.page_request(self.board_url(offset), -offset, referer)
        else:
            yield self.page_request(self.board_url(0))

    def parse(self, response: Response) -> Any:
        crawled_at = utc_now()
        self.unreachable_in_a_row = 0
        self.unfinished.pop(response.meta.get(PAGE_URL, response.url), None)
        page = parse_board_page(response.text, response.url)
        self.crawler.stats.inc_value("board/pages_parsed")
        if not page.entries:
            self.logger.warning("Board page %s shows a board with no films", response.url)
        self.note_hidden_numbers(page)
        self.check_board_date(page)
        for entry in page.entries:
            if entry["rank"] is not None:
                self.expected_films = max(self.expected_films, entry["rank"])
            yield BoardEntry(**entry, crawled_at=crawled_at)
        if self.board_id != TOP100 and page.next_url:
            yield self.page_request(page.next_url, referer=response.url)

    def note_hidden_numbers(self, page: BoardPage) -> None:
        self.numbers_hidden.update(name for _, name in page.numbers_hidden)
        if page.numbers_hidden:
            self.crawler.stats.inc_value("board/numbers_hidden", len(page.numbers_hidden))

    def check_board_date(self, page: BoardPage) -> None:
        """Name a board whose date is long past, once: its numbers are not today's."""
        if self.board_date_checked or not page.board_date:
            return
        self.board_date_checked = True
        try:
            age = (datetime.now(UTC).date() - date.fromisoformat(page.board_date)).days
        except ValueError:  # a date-shaped text that is no date
            return
        if age > self.stale_after_days:
            self.crawler.stats.set_value("board/days_since_update", age)
            self.logger.warning(
                "Board %d was last updated on %s, %d days ago: Maoyan no longer updates it, "
                "so its films and numbers are those of that date, not today's.",
                self.board_id,
                page.board_date,
                age,
            )

    def closed(self, reason: str) -> None:
        if not self.numbers_hidden:
            return
        fields = [name for name in NUMBER_FIELDS if name in self.numbers_hidden]
        self.logger.warning(
            "%d number(s) of board %d could not be read (%s): the page draws their digits "
            "with a web font (span.stonefont), so its text does not hold them. They are null "
            "in the feed; the entries are kept. This project does not decode the font (it is "
            "the site's protection of these numbers). Maoyan's mobile pages show them as plain "
            "text; a mobile source for this crawler is planned.",
            self.numbers_hidden.total(),
            self.board_id,
            ", ".join(f"{name} x{self.numbers_hidden[name]}" for name in fields),
        )

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        if getattr(self, "state", None) is not None:
            referer = request.headers.get(b"Referer")
            self.unfinished[request.meta.get(PAGE_URL, request.url)] = (
                referer.decode("latin-1") if referer else None
            )
        if failure.check(BannedPage):
            return  # the ban middleware has said what happened and is closing the crawl
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
            reason = f"the site answered HTTP {failure.value.response.status}"
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
