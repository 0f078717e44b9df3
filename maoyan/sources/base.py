"""What every source of board data gives the spider: which requests to make, and what
each answer holds.

A source is one way to read Maoyan's boards (the desktop pages, the mobile site and
its JSON). The spider keeps what all sources share -- arguments, politeness, resuming,
failures, the feed's shape -- and asks its source only *which* URLs and *what they
say*. Extraction itself is pure functions in the source's extraction module, so a
third source is one more module here and one more extraction module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from maoyan.boards import Board
    from maoyan.spiders.board import BoardSpider


#: Request meta key the spider sets on a board's pages and JSON answers: only those are
#: checked for bans. Its value names the kind of answer expected (a key of a source's
#: ``answers``).
BOARD_PAGE = "maoyan_board_page"


def never_refused(body: str) -> str | None:
    return None


@dataclass(frozen=True)
class AnswerKind:
    """One kind of answer a source asks for, as the ban middleware must judge it.

    ``readable`` says whether a 200 answer holds what the source reads (else it is
    saved and the crawl stops as ``unreadable``); ``refusal`` gives the answer's own
    words when it says, in its content, that the request was refused (an API's
    ``success: false``): a ban, backed off and never scraped. ``root_setting`` is the
    setting that points the crawl at the site, for the advice when a page is unreadable;
    ``suffix`` the file suffix such an answer is saved with. ``when_refused`` is advice
    for a client the site refuses outright.
    """

    what: str
    readable: Callable[[str], bool]
    root_setting: str
    refusal: Callable[[str], str | None] = never_refused
    suffix: str = ".html"
    when_refused: str = ""


class Source:
    """A source of board entries. Subclasses set ``name`` and ``answers`` and
    implement the three methods."""

    name: ClassVar[str]
    #: The kinds of answer this source's requests expect, by the key the spider puts
    #: in their meta.
    answers: ClassVar[dict[str, AnswerKind]]

    def __init__(self, spider: BoardSpider, board: Board, settings: BaseSettings) -> None:
        self.spider = spider
        self.board = board
        self.board_number = board.ids[self.name]

    def start_requests(self) -> Iterator[scrapy.Request]:
        """The board's first requests, best rank first."""
        raise NotImplementedError

    def parse(self, response: Response) -> Iterator[dict[str, Any] | scrapy.Request]:
        """Entries (the feed's fields this source read; the spider adds the rest and
        ``crawled_at``) and any further request the answer calls for."""
        raise NotImplementedError

    def request_again(self, url: str, referer: str | None) -> scrapy.Request:
        """A request for a URL an earlier run of the job did not finish (resuming)."""
        raise NotImplementedError

    def closed(self, reason: str) -> None:
        """Say, once the crawl is over, what the source noticed on the way."""
