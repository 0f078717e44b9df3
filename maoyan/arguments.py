"""The board spider's arguments, checked before any request: a wrong one is one line
and exit status 2, never a crawl of another board or a traceback.

A crawl collects one or more boards of one or both sources (:class:`CrawlPlan`):
``-a board=all`` or a list (``top100,hot``), ``-a source=all`` or ``desktop,mobile``.
Its boards are always crawled in one fixed order, whatever order they were named in:
the desktop source's before the mobile source's, and each source's boards in the
order of :data:`maoyan_common.boards.BOARDS` (top100, hot, most-expected, box-office,
north-america, weekly-box-office, ticket-score), so two runs of one cron line send
the same requests in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from maoyan.jobdir import Job
from maoyan.sources import SOURCES
from maoyan.sources.desktop import PAGE_SIZE
from maoyan_common.boards import BOARDS, Board, find_board, offered

#: The spider's arguments; ``_job`` is the job id scrapyd passes to every crawl.
ARGUMENTS = ("source", "board", "pages", "_job")
#: What an argument left out means.
DEFAULTS = {"source": "desktop", "board": "top100", "pages": "the whole board"}
#: The value that names every source, or every board of each source.
ALL = "all"


class ArgumentError(ValueError):
    """A spider argument that cannot be right: said in one line before any request."""


@dataclass(frozen=True)
class Target:
    """One board of one source that a crawl collects.

    ``pages`` is how many of its pages are walked, for a desktop board walked by its
    offsets (``None``: a board read as its answers lead, the mobile site's)."""

    source: str
    board: Board
    pages: int | None

    @property
    def key(self) -> str:
        """``desktop/top100``: how the board is named in stats, logs and job state."""
        return f"{self.source}/{self.board.name}"

    @property
    def expected(self) -> int:
        """How many films the board should have, as far as known before it is read."""
        if self.pages is not None:
            return self.pages * PAGE_SIZE
        return self.board.size or 0


@dataclass(frozen=True)
class CrawlPlan:
    """Every board a crawl collects, in crawl order."""

    targets: tuple[Target, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(target.source for target in self.targets))

    @property
    def job(self) -> Job:
        """Which crawl a job folder (JOBDIR) belongs to: one board of one source keeps
        the name jobs had before crawls of several boards, so those jobs resume."""
        boards = dict.fromkeys(target.board.name for target in self.targets)
        return Job(",".join(self.sources), ",".join(boards))


def words(value: object) -> list[str]:
    """``"top100, hot"`` -> ``["top100", "hot"]``, lowercased."""
    return [part.strip().lower() for part in str(value).split(",") if part.strip()]


def check_arguments(*, top100_pages: int, **arguments: object) -> CrawlPlan:
    """The boards to crawl from the ``-a`` arguments, or an :class:`ArgumentError`
    that says what is wrong: an unknown name (a typo would otherwise crawl TOP100 without
    a word), an empty value (an unset variable in a cron line), a source or board that
    does not exist, a board a named source does not show (with the boards it does;
    under ``board=all`` each source's own boards), a number of pages that is not
    positive or beyond the board (``top100_pages``), or for no desktop TOP100."""
    unknown = sorted(set(arguments) - set(ARGUMENTS))
    if unknown:
        raise ArgumentError(
            f"unknown argument {', '.join(unknown)}: the board spider takes source "
            "(desktop, mobile or all), board (top100, most-expected, ..., or all) and pages "
            "(desktop TOP100 only)"
        )
    for name in ("source", "board", "pages"):
        value = arguments.get(name)
        if value is not None and not words(value):
            raise ArgumentError(
                f"{name}= is empty (an unset variable?): give a value, or leave -a {name} "
                f"out for the default ({DEFAULTS[name]})"
            )
    sources = source_names(str(arguments.get("source") or DEFAULTS["source"]))
    value = arguments.get("board") or DEFAULTS["board"]
    named = words(value)
    boards: dict[str, list[Board]] = {source: [] for source in sources}
    for source in sources:
        if ALL in named:
            boards[source] = [board for board in BOARDS if source in board.ids]
            continue
        for name in named:
            board = find_board(source, name)
            if board is None:
                raise ArgumentError(
                    f"board={name}: the {source} source has no such board"
                    f"{elsewhere(source, name, len(sources) > 1)}; it offers {offered(source)}"
                )
            boards[source].append(board)
    desktop_top100 = any(board.name == "top100" for board in boards.get("desktop", []))
    pages = walked_pages(arguments.get("pages"), desktop_top100, top100_pages)
    targets = []
    for source in sources:
        for board in BOARDS:  # the fixed order, whatever order the boards were named in
            if board not in boards[source]:
                continue
            targets.append(Target(source, board, board_pages(source, board, pages)))
    return CrawlPlan(tuple(targets))


def source_names(value: str) -> list[str]:
    """The sources named, in their fixed order (desktop, then mobile)."""
    named = words(value)
    if ALL in named:
        return list(SOURCES)
    for name in named:
        if name not in SOURCES:
            raise ArgumentError(f"source={name}: no such source; use desktop, mobile or all")
    return [source for source in SOURCES if source in named]


def walked_pages(pages: object, has_top100: bool, top100_pages: int) -> int | None:
    """The ``pages`` argument as a number, or ``None`` when left out."""
    if pages is None:
        return None
    if not has_top100:
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
    return page_count


def board_pages(source: str, board: Board, top100_pages: int | None) -> int | None:
    """How many pages of a desktop board are walked: every page of a board of known
    size (its offsets, whatever its pager shows), ``pages`` of TOP100 when given;
    ``None`` for the mobile site, whose answers say how many films follow."""
    if source != "desktop":
        return None
    if board.name == "top100" and top100_pages is not None:
        return top100_pages
    return -(-(board.size or PAGE_SIZE) // PAGE_SIZE)


def elsewhere(source: str, value: object, several: bool = False) -> str:
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
        if several:
            return (
                f" (the {other} source has {board.name}: crawl it with -a source={other}, or "
                f"give -a board=all for each source's own boards)"
            )
        return f" (the {other} source has {board.name}: -a source={other})"
    return ""
