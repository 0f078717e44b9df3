"""Maoyan's boards, by the names users give them, and what each source calls them.

The desktop site and the mobile site number their boards differently (the desktop's
TOP100 is board 4, the mobile site's 经典Top100 is board 39). A user names a board the
same way whatever the source (``-a board=top100``), and the feed's ``board_id`` is the
same for the same board from either source, so the post-process sees one board: the
number Maoyan's desktop site and its app API give it, and for a board only the mobile
site has, the mobile site's own number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    name: str
    #: ``board_id`` in the feed, whichever source the lines come from.
    feed_id: int
    #: As Maoyan titles it.
    title: str
    #: The board's number on each source that shows it.
    ids: dict[str, int]
    #: How many films the board holds when whole, where it is fixed.
    size: int | None = None


BOARDS = (
    Board("top100", 4, "TOP100榜 / 经典Top100", {"desktop": 4, "mobile": 39}, 100),
    Board("hot", 7, "热映口碑榜", {"desktop": 7}, 10),
    Board("most-expected", 6, "最受期待榜 / 想看榜", {"desktop": 6, "mobile": 6}, 50),
    Board("box-office", 1, "国内票房榜", {"desktop": 1}, 10),
    Board("north-america", 2, "北美票房榜", {"desktop": 2}, 10),
    Board("weekly-box-office", 56, "周票房榜", {"mobile": 56}),
    Board("ticket-score", 55, "购票评分榜", {"mobile": 55}),
)


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
