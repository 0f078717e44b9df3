"""Close-time check of a crawl: did we get every board whole, and why did we stop?

The answers go into the stats (``board/*``), into one log line a person can act on
(the crawl's last), into one JSON line a program reads (:class:`Verdict`, read by
``python -m deploy status``), and, through :func:`exit_status`, into the exit status
of ``scrapy crawl``.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals

from maoyan.outcomes import (
    BOARD_COMPLETE,
    BOARD_KEYS,
    FEED_FAILED,
    FEED_INCOMPLETE,
    FEED_LACKS_EARLIER,
    FEED_WRITTEN,
    FILMS_EXPECTED,
    PAGES_FAILED,
    SIGNAL,
    VERDICT,
    WHY_INCOMPLETE,
    board_stat,
)
from maoyan_common.boards import BY_FEED_ID
from maoyan_common.verdict import verdict_line

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def compact_ranges(numbers: set[int] | list[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3, 7, 9-10"``: a readable list of missing ranks."""
    ordered = sorted(set(numbers))
    runs: list[str] = []
    start = prev = None
    for number in [*ordered, None]:
        if number is not None and prev is not None and number == prev + 1:
            prev = number
            continue
        if start is not None:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = number
    return ", ".join(runs)


def feed_failure(stats: dict[str, Any]) -> str | None:
    """Why the feed was not written, or ``None``: this project's own storage says it in
    words; any other storage that failed is counted by Scrapy's ``feedexport/failed_count``."""
    if failure := stats.get(FEED_FAILED):
        return str(failure)
    failed = [key.rsplit("/", 1)[-1] for key, value in stats.items()
              if key.startswith("feedexport/failed_count/") and value]  # fmt: skip
    return f"Scrapy could not store it ({', '.join(failed)})" if failed else None


def signal_status(stats: dict[str, Any]) -> int | None:
    """128 + the signal's number after Ctrl-C (130) or SIGTERM (143); ``None`` when no
    signal stopped the crawl."""
    if signal_name := stats.get(SIGNAL):
        return 128 + int(getattr(signal, signal_name, signal.SIGINT))
    return None


def exit_status(stats: dict[str, Any]) -> int:
    """0 only for a crawl that finished normally, collected the whole board and wrote its
    feed; 128 + the signal's number after a signal; else 1."""
    if (stopped := signal_status(stats)) is not None:
        return stopped
    complete = stats.get("finish_reason") == "finished" and bool(stats.get(BOARD_COMPLETE))
    return 0 if complete and not feed_failure(stats) else 1


def crawl_succeeded(stats: dict[str, Any]) -> bool:
    """True only for a crawl that finished normally, collected the whole board and wrote it."""
    return exit_status(stats) == 0


@dataclass(frozen=True)
class BoardVerdict:
    """How one board of the crawl ended: the films it got of those it should have."""

    source: str
    board: str
    films: int
    expected: int
    requests: int
    pages_failed: int
    missing_ranks: str
    complete: bool

    def line(self) -> str:
        """``desktop top100: 100 of 100 films, 11 request(s): complete``."""
        said = (
            f"{self.source} {self.board}: {self.films} of {self.expected or '?'} films, "
            f"{self.requests} request(s): "
        )
        if self.complete:
            return said + "complete"
        if not self.expected:
            return said + "incomplete (how many films it holds was never read)"
        missing = self.missing_ranks or "none known"
        failed = f", {self.pages_failed} page(s) failed" if self.pages_failed else ""
        return said + f"incomplete (missing ranks: {missing}{failed})"


@dataclass(frozen=True)
class Verdict:
    """How the crawl ended, as a program reads it: one JSON log line just before the
    last line, and the ``board/verdict`` stat. ``written``: the feed file was replaced by
    (or, with ``-o``, added to) this crawl's films; ``line`` is the last line's words;
    ``boards`` each board's own verdict (with its close-time ``line``), in crawl order;
    the counts are the boards' together."""

    spider: str
    finish_reason: str
    complete: bool
    written: bool
    exit_status: int
    films: int
    expected: int
    missing_ranks: str
    line: str
    boards: list[dict[str, Any]] = field(default_factory=list)

    def log_line(self) -> str:
        return verdict_line(asdict(self))


def usage_verdict(spider: str, line: str, why: str) -> str:
    """The JSON line of a crawl refused before it started (exit status 2)."""
    return verdict_line(
        {"spider": spider, "finish_reason": "usage", "exit_status": 2, "line": line, "why": why}
    )


def board_key(item: Any) -> str:
    """The crawl's name of the board a feed line belongs to (``desktop/top100``)."""
    adapter = ItemAdapter(item)
    board = BY_FEED_ID.get(adapter.get("board_id"))
    return f"{adapter.get('source')}/{board.name if board else adapter.get('board_id')}"


class BoardCompletenessCheck:
    """Count, board by board, the films each should have against the films the feed got.

    The verdict is made when the spider closes, before the feed is stored (the feed
    storage publishes only a complete crawl's feed in place), and said as the crawl's
    last log lines, once the feed's fate is known too: one line per board when the
    crawl has several, the JSON verdict, and the overall line. A board is complete
    when it has every film it should have and no page of it failed, even if the crawl
    stopped afterwards (a ban on a later board); the crawl is complete when it
    finished and every board is."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        #: The ranks collected, by board (``desktop/top100``).
        self.ranks: dict[str, set[int]] = {}
        self.boards: list[BoardVerdict] = []
        self.verdict: tuple[int, str] | None = None
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def item_scraped(self, item: Any) -> None:
        rank = ItemAdapter(item)["rank"]
        key = board_key(item)
        self.ranks.setdefault(key, set()).add(rank)
        state = getattr(self.crawler.spider, "state", None)
        if state is not None:  # a job (JOBDIR): a resumed run counts this run's films too
            earlier_ranks(state, self.board_keys()).setdefault(key, set()).add(rank)

    def board_keys(self) -> list[str]:
        return list(self.crawler.stats.get_value(BOARD_KEYS) or [])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        state = getattr(spider, "state", None)
        keys = self.board_keys()
        # The films of a job's earlier runs count, unless the feed lost them.
        lacking = stats.get_value(FEED_LACKS_EARLIER)
        if not lacking and state is not None:
            for key, ranks in earlier_ranks(state, keys).items():
                self.ranks.setdefault(key, set()).update(ranks)
        for key in keys:
            source, _, board = key.partition("/")
            ranks = self.ranks.get(key, set())
            expected = int(stats.get_value(board_stat(key, "films_expected")) or 0)
            missing = compact_ranges(set(range(1, expected + 1)) - ranks)
            failed = int(stats.get_value(board_stat(key, "pages_failed")) or 0)
            verdict = BoardVerdict(
                source=source,
                board=board,
                films=len(ranks),
                expected=expected,
                requests=int(stats.get_value(board_stat(key, "requests")) or 0),
                pages_failed=failed,
                missing_ranks=missing,
                complete=expected > 0 and not missing and not failed and not lacking,
            )
            self.boards.append(verdict)
            stats.set_value(board_stat(key, "films_scraped"), verdict.films)
            stats.set_value(board_stat(key, "missing_ranks"), missing)
            stats.set_value(board_stat(key, "complete"), verdict.complete)
        expected = int(stats.get_value(FILMS_EXPECTED) or 0)  # kept by the spider
        films = sum(board.films for board in self.boards)
        failed_pages = stats.get_value(PAGES_FAILED, 0)
        whole = bool(self.boards) and all(board.complete for board in self.boards)
        complete = reason == "finished" and whole and not failed_pages
        missing = "; ".join(
            f"{board.source} {board.board} {board.missing_ranks}" if len(self.boards) > 1
            else board.missing_ranks
            for board in self.boards if board.missing_ranks
        )  # fmt: skip
        stats.set_value("board/films_scraped", films)
        stats.set_value("board/missing_ranks", missing)
        stats.set_value(BOARD_COMPLETE, complete)
        if state is not None:  # a job whose crawl ended complete starts anew next time
            state["complete"] = complete
        several = len(self.boards) > 1
        if complete:
            line = (
                f"Boards complete: all {len(self.boards)} boards, {films} films collected."
                if several
                else f"Board complete: all {expected} films collected."
            )
            self.verdict = (logging.INFO, line)
            return
        if reason == "finished" and lacking:
            why = f"the films of this job's earlier runs ({lacking}) are not in the feed"
        else:
            why = WHY_INCOMPLETE.get(reason, f"the crawl stopped ({reason})").format(
                signal=stats.get_value(SIGNAL) or "a shutdown"
            )
        if several:
            done = [f"{b.source} {b.board}" for b in self.boards if b.complete]
            self.verdict = (
                logging.ERROR,
                f"Boards incomplete: {why} with {len(done)} of {len(self.boards)} boards "
                f"complete ({', '.join(done) or 'none'}) and {films} of {expected} films "
                f"collected; {failed_pages} page(s) failed.",
            )
            return
        self.verdict = (
            logging.ERROR,
            f"Board incomplete: {why} with {films} of {expected} films collected; "
            f"missing ranks: {missing or 'none known'}; "
            f"{failed_pages} page(s) failed.",
        )

    def engine_stopped(self) -> None:
        if self.verdict is None:
            return
        stats = self.crawler.stats.get_stats()
        level, line = self.verdict
        if failure := feed_failure(stats):
            level = logging.ERROR
            for complete in ("Board complete: ", "Boards complete: "):
                if line.startswith(complete):
                    line = f"{complete.split()[0]} not written: {line.removeprefix(complete)}"
            line += f" The feed was not written ({failure})."
        if aside := stats.get(FEED_INCOMPLETE):
            line += f" The films collected are in {aside}."
        status = exit_status(stats)
        if status:
            line += f" `scrapy crawl` exits with status {status}."
        verdict = Verdict(
            spider=self.crawler.spidercls.name,
            finish_reason=str(stats.get("finish_reason", "")),
            complete=bool(stats.get(BOARD_COMPLETE)),
            written=failure is None and bool(stats.get(FEED_WRITTEN)),
            exit_status=status,
            films=int(stats.get("board/films_scraped", 0)),
            expected=int(stats.get(FILMS_EXPECTED) or 0),
            missing_ranks=str(stats.get("board/missing_ranks", "")),
            line=line,
            boards=[{**asdict(board), "line": board.line()} for board in self.boards],
        )
        self.crawler.stats.set_value(VERDICT, asdict(verdict))
        if len(self.boards) > 1:
            for board in self.boards:
                logger.log(
                    logging.INFO if board.complete else logging.WARNING, "Board %s", board.line()
                )
        logger.info(verdict.log_line())
        logger.log(level, line)


def earlier_ranks(state: dict[str, Any], keys: list[str]) -> dict[str, set[int]]:
    """The ranks a job's runs collected, by board, as kept in its state; a job of one
    board begun before crawls of several kept one set of ranks: that board's."""
    ranks = state.get("ranks")
    if isinstance(ranks, set):
        ranks = state["ranks"] = {keys[0]: ranks} if keys else {}
    elif not isinstance(ranks, dict):
        ranks = state["ranks"] = {}
    return ranks
