"""What every source of board data gives the spider: which requests to make, and what
each answer holds.

A source is one way to read Maoyan's boards (the desktop pages, the mobile site and
its JSON). It never touches the spider: it names the requests a board starts with
(:class:`PageRequest`), and turns each answer into an :class:`Answer` (entries,
follow-up requests, the board's date and total, numbers hidden, what to tell the
user). The spider keeps the state of the board, the stats and the log, and builds
the Scrapy requests. Extraction itself is pure functions in :mod:`maoyan.extract`, so
a third source is one more module here and one more extraction module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from maoyan.items import EntryFields
    from maoyan_common.boards import Board


#: Request meta key the spider sets on a board's pages and JSON answers: only those are
#: checked for bans. Its value names the kind of answer expected (a key of a source's
#: ``answers``).
BOARD_PAGE = "maoyan_board_page"
#: Request meta key: which of the crawl's boards a request is for (``desktop/top100``).
BOARD = "maoyan_board"


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


@dataclass(frozen=True)
class PageRequest:
    """A request a source wants made: ``kind`` names what the answer must hold (a key
    of the source's ``answers``); ``accept`` its Accept header, when not a page's."""

    url: str
    kind: str
    priority: int = 0
    referer: str | None = None
    accept: str | None = None


@dataclass(frozen=True)
class Note:
    """Something a source noticed, for the spider to log."""

    level: int
    message: str


@dataclass
class Answer:
    """What one answer holds: ``entries`` (the feed's fields this source read; the
    spider adds ``source`` and ``crawled_at``), the requests it calls for, the board's
    date and total films when it says them, and the ``(rank, field)`` of each number
    it shows only as web-font glyphs."""

    entries: list[EntryFields] = field(default_factory=list)
    follow: list[PageRequest] = field(default_factory=list)
    board_date: str | None = None
    total: int | None = None
    numbers_hidden: list[tuple[int | None, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def note(self, level: int, message: str) -> None:
        self.notes.append(Note(level, message))


@dataclass
class BoardCounts:
    """What the spider counted of one board, for the source's closing words: requests
    by kind, and the numbers hidden by field."""

    requests: Counter[str] = field(default_factory=Counter)
    numbers_hidden: Counter[str] = field(default_factory=Counter)


class Source:
    """A source of board entries. Subclasses set ``name`` and ``answers`` and
    implement :meth:`start`, :meth:`again` and :meth:`read`."""

    name: ClassVar[str]
    #: The kinds of answer this source's requests expect, by the key the spider puts
    #: in their meta.
    answers: ClassVar[dict[str, AnswerKind]]

    def __init__(self, board: Board, settings: BaseSettings) -> None:
        self.board = board
        self.board_number = board.ids[self.name]
        #: The download slot the source's site is paced in, as Scrapy would name it.
        #: A crawl paces every request in its first board's source's slot: the
        #: desktop and mobile sites are one site, Maoyan, to be asked one thing at a time.
        self.slot = ""

    def start(self, pages: int | None) -> list[PageRequest]:
        """The board's first requests, best rank first (``pages``: of a board walked
        page by page, how many)."""
        raise NotImplementedError

    def again(self, url: str, referer: str | None) -> PageRequest:
        """A request for a URL an earlier run of the job did not finish (resuming)."""
        raise NotImplementedError

    def read(self, text: str, url: str, kind: str, expected: int) -> Answer:
        """What an answer of ``kind`` holds; ``expected`` is how many films the board
        is known to hold so far (0: not known)."""
        raise NotImplementedError

    def closing_words(self, counts: BoardCounts) -> list[Note]:
        """What to say, once the crawl is over, of what the source noticed on the way."""
        return []
