"""The desktop site: www.maoyan.com/board/<n>, ten films a page, read from its HTML.

TOP100 is walked over all ten offsets 0-90 whatever an earlier page held, so one
broken page costs ten films, not the rest of the board. Other boards follow their
pager (最受期待榜: five pages, 50 films); a board without one is a single page. Every
page after the first carries the page before it as its Referer, as a reader following
the pager would send. Numbers the pages draw with a web font are left null and named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from maoyan.bans import is_board_page
from maoyan.extract.desktop import NUMBER_FIELDS, parse_board_page
from maoyan.sources.base import AnswerKind, Source

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from maoyan.boards import Board
    from maoyan.spiders.board import BoardSpider

PAGE_SIZE = 10
#: The meta key of a desktop board page (``True``: requests of jobs begun before 1.2).
BOARD_HTML = "desktop-board"
#: Where the mobile source shows, as plain text, numbers these boards hide.
MOBILE_ADVICE = {
    "most-expected": "The mobile site shows this board's wish counts as plain text: "
    "`scrapy crawl board -a source=mobile -a board=most-expected -O out.jsonl`.",
    "box-office": "The mobile site has a weekly box-office board (another board, by week): "
    "`scrapy crawl board -a source=mobile -a board=weekly-box-office -O out.jsonl`.",
    "north-america": "The mobile site has no North American board.",
}


class DesktopSource(Source):
    name = "desktop"
    answers: ClassVar[dict[str, AnswerKind]] = {
        BOARD_HTML: AnswerKind(
            "board page",
            is_board_page,
            "MAOYAN_BASE_URL",
            when_refused="Maoyan's mobile site is another way in: "
            "`scrapy crawl board -a source=mobile -a board=top100 -O out.jsonl`. ",
        )
    }
    #: The site root; the MAOYAN_BASE_URL setting overrides it.
    base_url = "https://www.maoyan.com"

    def __init__(self, spider: BoardSpider, board: Board, settings: BaseSettings) -> None:
        super().__init__(spider, board, settings)
        self.base_url = (settings.get("MAOYAN_BASE_URL") or self.base_url).rstrip("/")
        #: Numbers the pages draw with a web font, by feed field.
        self.numbers_hidden: Counter[str] = Counter()

    def board_url(self, offset: int) -> str:
        return f"{self.base_url}/board/{self.board_number}?offset={offset}"

    def start_requests(self) -> Iterator[scrapy.Request]:
        spider = self.spider
        if self.board.name != "top100":
            yield spider.page_request(self.board_url(0), BOARD_HTML)
            return
        for offset in range(0, spider.pages * PAGE_SIZE, PAGE_SIZE):
            # Earlier pages first: with one request at a time the feed is in rank order.
            referer = self.board_url(offset - PAGE_SIZE) if offset else None
            yield spider.page_request(self.board_url(offset), BOARD_HTML, -offset, referer)

    def request_again(self, url: str, referer: str | None) -> scrapy.Request:
        return self.spider.page_request(url, BOARD_HTML, 1, referer)

    def parse(self, response: Response) -> Iterator[dict[str, Any] | scrapy.Request]:
        spider = self.spider
        page = parse_board_page(response.text, response.url)
        if not page.entries:
            spider.logger.warning("Board page %s shows a board with no films", response.url)
        self.numbers_hidden.update(name for _, name in page.numbers_hidden)
        if page.numbers_hidden:
            spider.crawler.stats.inc_value("board/numbers_hidden", len(page.numbers_hidden))
        spider.check_board_date(page.board_date)
        for entry in page.entries:
            yield {**entry, "board_id": self.board.feed_id}
        if self.board.name != "top100" and page.next_url:
            yield spider.page_request(page.next_url, BOARD_HTML, referer=response.url)

    def closed(self, reason: str) -> None:
        if not self.numbers_hidden:
            return
        fields = [name for name in NUMBER_FIELDS if name in self.numbers_hidden]
        self.spider.logger.warning(
            "%d number(s) of board %d could not be read (%s): the page draws their digits "
            "with a web font (span.stonefont), so its text does not hold them. They are null "
            "in the feed; the entries are kept. This project does not decode the font (it is "
            "the site's protection of these numbers). %s",
            self.numbers_hidden.total(),
            self.board_number,
            ", ".join(f"{name} x{self.numbers_hidden[name]}" for name in fields),
            MOBILE_ADVICE.get(self.board.name, ""),
        )
