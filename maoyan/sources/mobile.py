"""The mobile site: m.maoyan.com's board page, then the JSON behind its scrolling.

The page (``/asgard/board?id=N&year=0&term=0``) carries the board's first films (and
how many the board holds) in its ``AppData`` script, numbers in plain text; the rest
come from ``i.maoyan.com``'s board JSON, ``offset``/``limit`` windows asked for one
after another, each after the one before has answered. A board takes one to three
requests where the desktop takes ten. The JSON is asked for as the page's own
scrolling asks for it: with the page as Referer and JSON in Accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from maoyan.extract.mobile import (
    MobileAnswer,
    has_board_data,
    has_movies,
    parse_board_json,
    parse_board_page,
    query_int,
    refusal,
)
from maoyan.sources.base import BOARD_PAGE, AnswerKind, Source

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from maoyan.boards import Board
    from maoyan.spiders.board import BoardSpider

MOBILE_PAGE = "mobile-board"
MOBILE_JSON = "mobile-json"
JSON_PATH = "/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/{board}.json"
#: No board is this long: a site that keeps answering is not followed past it.
MAX_OFFSET = 1000


class MobileSource(Source):
    name = "mobile"
    answers: ClassVar[dict[str, AnswerKind]] = {
        MOBILE_PAGE: AnswerKind(
            "mobile board page", has_board_data, "MAOYAN_MOBILE_BASE_URL", refusal
        ),
        MOBILE_JSON: AnswerKind(
            "board JSON answer", has_movies, "MAOYAN_MOBILE_API_URL", refusal, ".json"
        ),
    }
    #: The MAOYAN_MOBILE_BASE_URL and MAOYAN_MOBILE_API_URL settings override these.
    base_url = "https://m.maoyan.com"
    api_url = "https://i.maoyan.com"
    #: Films asked for per JSON request (MAOYAN_MOBILE_BATCH); the site may answer fewer.
    batch = 100

    def __init__(self, spider: BoardSpider, board: Board, settings: BaseSettings) -> None:
        super().__init__(spider, board, settings)
        self.base_url = (settings.get("MAOYAN_MOBILE_BASE_URL") or self.base_url).rstrip("/")
        self.api_url = (settings.get("MAOYAN_MOBILE_API_URL") or self.api_url).rstrip("/")
        self.batch = max(1, settings.getint("MAOYAN_MOBILE_BATCH", self.batch))
        #: Requests this board took: ``[pages, JSON]`` (retries not counted).
        self.requests = [0, 0]
        self.page_url = self.board_page_url()
        #: The page and the JSON live on two hosts (m. and i.maoyan.com), which Scrapy
        #: would pace as two sites: one download slot for both keeps DOWNLOAD_DELAY,
        #: AutoThrottle and the back-off between every request to Maoyan.
        self.slot = urlsplit(self.base_url).netloc

    def request(
        self, url: str, kind: str, priority: int = 0, referer: str | None = None
    ) -> scrapy.Request:
        self.requests[kind == MOBILE_JSON] += 1
        request = self.spider.page_request(url, kind, priority, referer)
        request.meta["download_slot"] = self.slot
        if kind == MOBILE_JSON:
            request.headers["Accept"] = "application/json, text/plain, */*"
        return request

    def board_page_url(self) -> str:
        return f"{self.base_url}/asgard/board?id={self.board_number}&year=0&term=0"

    def json_url(self, offset: int, limit: int) -> str:
        path = JSON_PATH.format(board=self.board_number)
        return f"{self.api_url}{path}?ci=1&year=0&term=0&limit={limit}&offset={offset}"

    def start_requests(self) -> Iterator[scrapy.Request]:
        yield self.request(self.page_url, MOBILE_PAGE)

    def request_again(self, url: str, referer: str | None) -> scrapy.Request:
        if urlsplit(url).path.endswith(".json"):
            return self.request(url, MOBILE_JSON, 1, self.page_url)
        return self.request(url, MOBILE_PAGE, 1, referer)

    def parse(self, response: Response) -> Iterator[dict[str, Any] | scrapy.Request]:
        feed_id = self.board.feed_id
        if response.meta.get(BOARD_PAGE) == MOBILE_JSON:
            answer = parse_board_json(response.text, response.url, feed_id, self.base_url)
            offset = query_int(response.url, "offset")
        else:
            answer = parse_board_page(response.text, response.url, feed_id)
            offset = 0
        spider = self.spider
        spider.check_board_date(answer.board_date)
        if answer.paging and answer.paging.total:
            spider.expected_films = max(spider.expected_films, answer.paging.total)
        yield from answer.entries
        if next_request := self.next_request(answer, offset):
            yield next_request

    def next_request(self, answer: MobileAnswer, offset: int) -> scrapy.Request | None:
        """The JSON window after this answer, while the board has films not yet asked for."""
        got = len(answer.entries)
        following = offset + got
        expected = self.spider.expected_films
        paging = answer.paging
        if paging is not None and paging.has_more is False:
            more = False
        elif expected:
            more = following < expected
        else:  # no total known: go on while answers come back full
            more = got > 0 and (paging is not None and paging.has_more is True)
        if not more:
            return None
        if got == 0 or following >= MAX_OFFSET:
            self.spider.logger.warning(
                "The board answer %s held no films after rank %d, though the board holds %d: "
                "stopping there.",
                answer.url,
                offset,
                expected,
            )
            return None
        limit = min(self.batch, expected - following) if expected else self.batch
        if offset == 0:
            self.spider.logger.info(
                "The board page holds %d of the board's %s films; asking its JSON for the "
                "rest, up to %d at a time.",
                got,
                expected or "further",
                self.batch,
            )
        return self.request(self.json_url(following, limit), MOBILE_JSON, referer=self.page_url)

    def closed(self, reason: str) -> None:
        pages, answers = self.requests
        self.spider.crawler.stats.set_value("board/requests", pages + answers)
        self.spider.logger.info(
            "The %s board (mobile %d) took %d request(s): %d board page(s) and %d JSON "
            "answer(s), robots.txt and retries not counted.",
            self.board.name,
            self.board_number,
            pages + answers,
            pages,
            answers,
        )
