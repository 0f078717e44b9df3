"""The board spider's arguments, checked before any request: a wrong one is one line
and exit status 2, never a crawl of another board or a traceback."""

from __future__ import annotations

from maoyan.sources import SOURCES
from maoyan.sources.desktop import PAGE_SIZE
from maoyan_common.boards import Board, find_board, offered

#: The spider's arguments; ``_job`` is the job id scrapyd passes to every crawl.
ARGUMENTS = ("source", "board", "pages", "_job")
#: What an argument left out means.
DEFAULTS = {"source": "desktop", "board": "top100", "pages": "the whole board"}


class ArgumentError(ValueError):
    """A spider argument that cannot be right: said in one line before any request."""


def check_arguments(*, top100_pages: int, **arguments: object) -> tuple[str, Board, int | None]:
    """``(source, board, pages)`` from the ``-a`` arguments (``pages`` only for the desktop
    TOP100, the one board walked page by page), or an :class:`ArgumentError`
    that says what is wrong: an unknown name (a typo would otherwise crawl TOP100 without
    a word), an empty value (an unset variable in a cron line), a source or board that
    does not exist, a board the source does not show (with the boards it does), a number
    of pages that is not positive or beyond the board (``top100_pages``)."""
    unknown = sorted(set(arguments) - set(ARGUMENTS))
    if unknown:
        raise ArgumentError(
            f"unknown argument {', '.join(unknown)}: the board spider takes source "
            "(desktop or mobile), board (top100, most-expected, ...) and pages "
            "(desktop TOP100 only)"
        )
    for name in ("source", "board", "pages"):
        value = arguments.get(name)
        if value is not None and not str(value).strip():
            raise ArgumentError(
                f"{name}= is empty (an unset variable?): give a value, or leave -a {name} "
                f"out for the default ({DEFAULTS[name]})"
            )
    source = str(arguments.get("source") or "desktop").strip().lower()
    if source not in SOURCES:
        raise ArgumentError(f"source={source}: no such source; use desktop or mobile")
    value = arguments.get("board") or "top100"
    board = find_board(source, value)
    if board is None:
        raise ArgumentError(
            f"board={value}: the {source} source has no such board{elsewhere(source, value)}; "
            f"it offers {offered(source)}"
        )
    pages = arguments.get("pages")
    walked = board.name == "top100" and source == "desktop"
    if pages is None:
        return source, board, (board.size or 0) // PAGE_SIZE if walked else None
    if not walked:
        raise ArgumentError(f"pages={pages}: pages applies to the desktop TOP100 only")
    try:
        page_count = int(str(pages).strip())
    except ValueError:
        page_count = 0
    if page_count < 1:
        raise ArgumentError(
            f"pages={pages}: give a whole number of pages, 1 or more ({top100_pages} is all)"
        )
    if page_count > top100_pages:
        raise ArgumentError(
            f"pages={pages}: TOP100 has {top100_pages} pages ({top100_pages * PAGE_SIZE} "
            f"films, {PAGE_SIZE} a page); give 1 to {top100_pages}"
        )
    return source, board, page_count


def elsewhere(source: str, value: object) -> str:
    """Where a board a source lacks can be had, said as a hint for the usage error."""
    for other in SOURCES:
        board = find_board(other, value) if other != source else None
        if board is None:
            continue
        if source in board.ids:
            return (
                f" ({value} is the {other} source's number for {board.name}; "
                f"here use -a board={board.name})"
            )
        return f" (the {other} source has {board.name}: -a source={other})"
    return ""
