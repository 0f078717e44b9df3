"""The mobile site: m.maoyan.com's board page, then the JSON behind its scrolling.

The page (``/asgard/board?id=N&year=0&term=0``) carries the board's first films (and
how many the board holds) in its ``AppData`` script, numbers in plain text; the rest
come from ``i.maoyan.com``'s board JSON, ``offset``/``limit`` windows asked for one
after another, each after the one before has answered. A board takes one to three
requests where the desktop takes ten. The JSON is asked for as the page's own
scrolling asks for it: with the page as Referer and JSON in Accept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar
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
from maoyan.sources.base import (
    Answer,
    AnswerKind,
    BoardCounts,
    Note,
    PageRequest,
    Source,
)

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from maoyan_common.boards import Board

MOBILE_PAGE = "mobile-board"
MOBILE_JSON = "mobile-json"
JSON_PATH = "/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/{board}.json"
JSON_ACCEPT = "application/json, text/plain, */*"
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

    def __init__(self, board: Board, settings: BaseSettings) -> None:
        super().__init__(board, settings)
        self.base_url = settings.get("MAOYAN_MOBILE_BASE_URL").rstrip("/")
        self.api_url = settings.get("MAOYAN_MOBILE_API_URL").rstrip("/")
        #: Films asked for per JSON request; the site may answer fewer.
        self.batch = max(1, settings.getint("MAOYAN_MOBILE_BATCH"))
        self.page_url = self.board_page_url()
        #: The page and the JSON live on two hosts (m. and i.maoyan.com), which Scrapy
        #: would pace as two sites: one download slot for both (and for the desktop
        #: site's pages, in a crawl of both sources) keeps DOWNLOAD_DELAY, AutoThrottle
        #: and the back-off between every request to Maoyan.
        self.slot = urlsplit(self.base_url).netloc

    def request(
        self, url: str, kind: str, priority: int = 0, referer: str | None = None
    ) -> PageRequest:
        accept = JSON_ACCEPT if kind == MOBILE_JSON else None
        return PageRequest(url, kind, priority, referer, accept)

    def board_page_url(self) -> str:
        return f"{self.base_url}/asgard/board?id={self.board_number}&year=0&term=0"

    def json_url(self, offset: int, limit: int) -> str:
        path = JSON_PATH.format(board=self.board_number)
        return f"{self.api_url}{path}?ci=1&year=0&term=0&limit={limit}&offset={offset}"

    def start(self, pages: int | None) -> list[PageRequest]:
        return [self.request(self.page_url, MOBILE_PAGE)]

    def again(self, url: str, referer: str | None) -> PageRequest:
        if urlsplit(url).path.endswith(".json"):
            return self.request(url, MOBILE_JSON, 1, self.page_url)
        return self.request(url, MOBILE_PAGE, 1, referer)

    def read(self, text: str, url: str, kind: str, expected: int) -> Answer:
        feed_id = self.board.feed_id
        if kind == MOBILE_JSON:
            found = parse_board_json(text, url, feed_id, self.base_url)
            offset = query_int(url, "offset")
        else:
            found = parse_board_page(text, url, feed_id)
            offset = 0
        total = found.paging.total if found.paging and found.paging.total else None
        answer = Answer(entries=list(found.entries), board_date=found.board_date, total=total)
        ranks = [entry["rank"] for entry in found.entries if entry.get("rank") is not None]
        expected = max(expected, total or 0, *ranks)
        follow = self.next_request(found, offset, expected, answer)
        if follow is not None:
            answer.follow.append(follow)
        return answer

    def next_request(
        self, found: MobileAnswer, offset: int, expected: int, answer: Answer
    ) -> PageRequest | None:
        """The JSON window after this answer, while the board has films not yet asked for."""
        got = len(found.entries)
        following = offset + got
        paging = found.paging
        if paging is not None and paging.has_more is False:
            more = False
        elif expected:
            more = following < expected
        else:  # no total known: go on while answers come back full
            more = got > 0 and (paging is not None and paging.has_more is True)
        if not more:
            return None
        if got == 0 or following >= MAX_OFFSET:
            answer.note(
                logging.WARNING,
                f"The board answer {found.url} held no films after rank {offset}, though the "
                f"board holds {expected}: stopping there.",
            )
            return None
        limit = min(self.batch, expected - following) if expected else self.batch
        if offset == 0:
            answer.note(
                logging.INFO,
                f"The board page holds {got} of the board's {expected or 'further'} films; "
                f"asking its JSON for the rest, up to {self.batch} at a time.",
            )
        return self.request(self.json_url(following, limit), MOBILE_JSON, referer=self.page_url)

    def closing_words(self, counts: BoardCounts) -> list[Note]:
        pages, answers = counts.requests[MOBILE_PAGE], counts.requests[MOBILE_JSON]
        return [
            Note(
                logging.INFO,
                f"The {self.board.name} board (mobile {self.board_number}) took "
                f"{pages + answers} request(s): {pages} board page(s) and {answers} JSON "
                "answer(s), robots.txt and retries not counted.",
            )
        ]
