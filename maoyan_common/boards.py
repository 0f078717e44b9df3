"""Maoyan's boards, by the names users give them, and what each source calls them.

The desktop site and the mobile site number their boards differently (the desktop's
TOP100 is board 4, the mobile site's 经典Top100 is board 39). A user names a board the
same way whatever the source (``-a board=top100``), and the feed's ``board_id`` is the
same for the same board from either source, so the post-process sees one board: the
number Maoyan's desktop site and its app API give it, and for a board only the mobile
site has, the mobile site's own number.

Both sides read these facts: the crawler (which board, which URLs, how many films),
the post-process (the box office's currency) and its report (names, which numbers a
board is about).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The numbers a box-office board is about, and a wish board's.
BOX_OFFICE = ("box_office_total", "box_office_realtime")
WISHES = ("wish_total", "wish_month")


@dataclass(frozen=True)
class Board:
    name: str
    #: ``board_id`` in the feed, whichever source the lines come from.
    feed_id: int
    #: As each source that shows it titles it.
    titles: dict[str, str]
    #: In English, for the report.
    english: str
    #: The board's number on each source that shows it.
    ids: dict[str, int]
    #: How many films the board holds when whole, where it is fixed.
    size: int | None = None
    #: The currency of its box office (None: a board without box office).
    currency: str | None = None
    #: The feed fields the board is about (its numbers drawn over time in the report).
    numbers: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """As Maoyan titles it, every source's title once: "TOP100榜 / 经典Top100"."""
        return " / ".join(dict.fromkeys(self.titles.values()))

    @property
    def chinese(self) -> str:
        """The board's Chinese name, the desktop's where it has one."""
        return next(iter(self.titles.values()))


BOARDS = (
    Board(
        "top100",
        4,
        {"desktop": "TOP100榜", "mobile": "经典Top100"},
        "TOP100",
        {"desktop": 4, "mobile": 39},
        100,
    ),
    Board("hot", 7, {"desktop": "热映口碑榜"}, "Hot films by word of mouth", {"desktop": 7}, 10),
    Board(
        "most-expected",
        6,
        {"desktop": "最受期待榜", "mobile": "想看榜"},
        "Most expected",
        {"desktop": 6, "mobile": 6},
        50,
        numbers=WISHES,
    ),
    Board(
        "box-office",
        1,
        {"desktop": "国内票房榜"},
        "China box office",
        {"desktop": 1},
        10,
        "CNY",
        BOX_OFFICE,
    ),
    Board(
        "north-america",
        2,
        {"desktop": "北美票房榜"},
        "North America box office",
        {"desktop": 2},
        10,
        "USD",
        BOX_OFFICE,
    ),
    Board(
        "weekly-box-office",
        56,
        {"mobile": "周票房榜"},
        "Weekly box office",
        {"mobile": 56},
        currency="CNY",
        numbers=BOX_OFFICE,
    ),
    Board("ticket-score", 55, {"mobile": "购票评分榜"}, "Ticket buyers' score", {"mobile": 55}),
)
#: The boards by their feed ``board_id``.
BY_FEED_ID = {board.feed_id: board for board in BOARDS}


def currency(feed_id: int) -> str | None:
    """The currency of a board's box office, by its feed ``board_id``."""
    board = BY_FEED_ID.get(feed_id)
    return board.currency if board else None


def offered(source: str) -> str:
    """The boards a source offers, as a usage message lists them."""
    return ", ".join(
        f"{board.name} ({board.ids[source]}, {board.title})"
        for board in BOARDS
        if source in board.ids
    )


def find_board(source: str, value: object) -> Board | None:
    """The board a user named for ``source``: by name, or by the source's own number
    (what its URLs show). ``None`` when that source has no such board."""
    text = str(value).strip().lower()
    for board in BOARDS:
        if source not in board.ids:
            continue
        if text == board.name or text == str(board.ids[source]):
            return board
    return None
