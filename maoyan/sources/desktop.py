"""The desktop site: www.maoyan.com/board/<n>, ten films a page, read from its HTML.

Every board is walked over the offsets its size gives (TOP100: 0-90, 最受期待榜:
0-40, the boards of ten: 0) whatever an earlier page held or its pager shows, so one
broken page costs ten films, not the rest of the board, and a pager in a markup not
seen before (2026's bare links, without 下一页) cannot end the walk early. The pager
is only a cross-check: one that promises more pages than the board's size is logged.
Every page after the first carries the page before it as its Referer, as a reader
following the pager would send. Numbers the pages draw with a web font are left null
and named.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from maoyan.bans import is_board_page
from maoyan.extract.desktop import NUMBER_FIELDS, parse_board_page
from maoyan.sources.base import Answer, AnswerKind, BoardCounts, Note, PageRequest, Source

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from maoyan_common.boards import Board

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

    def __init__(self, board: Board, settings: BaseSettings) -> None:
        super().__init__(board, settings)
        self.base_url = settings.get("MAOYAN_BASE_URL").rstrip("/")
        self.slot = urlsplit(self.base_url).hostname or ""  # Scrapy's own slot name
        #: A pager beyond the board's size is said once a crawl.
        self.pager_said = False

    def board_url(self, offset: int) -> str:
        return f"{self.base_url}/board/{self.board_number}?offset={offset}"

    def start(self, pages: int | None) -> list[PageRequest]:
        # Earlier pages first: with one request at a time the feed is in rank order;
        # each page after the first with the page before it as its Referer.
        return [
            PageRequest(
                self.board_url(offset),
                BOARD_HTML,
                -offset,
                self.board_url(offset - PAGE_SIZE) if offset else None,
            )
            for offset in range(0, (pages or 0) * PAGE_SIZE, PAGE_SIZE)
        ]

    def again(self, url: str, referer: str | None) -> PageRequest:
        return PageRequest(url, BOARD_HTML, 1, referer)

    def read(self, text: str, url: str, kind: str, expected: int) -> Answer:
        page = parse_board_page(text, url)
        answer = Answer(
            entries=[{**entry, "board_id": self.board.feed_id} for entry in page.entries],
            board_date=page.board_date,
            numbers_hidden=page.numbers_hidden,
        )
        if not page.entries:
            answer.note(logging.WARNING, f"Board page {url} shows a board with no films")
        size = max(expected, self.board.size or 0)
        last = max(page.pager_offsets, default=0)
        if last >= size > 0 and not self.pager_said:
            self.pager_said = True
            answer.note(
                logging.WARNING,
                f"Board page {url} has a pager that goes on to offset {last}, beyond the "
                f"{size} films board {self.board_number} holds: only its {size} films are "
                "crawled. Has the board grown? (maoyan_common/boards.py holds each board's "
                "size.)",
            )
        return answer

    def closing_words(self, counts: BoardCounts) -> list[Note]:
        hidden = counts.numbers_hidden
        if not hidden:
            return []
        fields = [name for name in NUMBER_FIELDS if name in hidden]
        return [
            Note(
                logging.WARNING,
                f"{hidden.total()} number(s) of board {self.board_number} could not be read "
                f"({', '.join(f'{name} x{hidden[name]}' for name in fields)}): the page draws "
                "their digits with a web font (span.stonefont), so its text does not hold "
                "them. They are null in the feed; the entries are kept. This project does not "
                "decode the font (it is the site's protection of these numbers). "
                f"{MOBILE_ADVICE.get(self.board.name, '')}",
            )
        ]
