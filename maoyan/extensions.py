"""Close-time check of a crawl: did we get the whole board, and why did we stop?

The answers go into the stats (``board/*``), into one log line a person can act on
(the crawl's last), into one JSON line a program reads (:class:`Verdict`, read by
``python -m deploy status``), and, through :func:`exit_status`, into the exit status
of ``scrapy crawl``.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals

from maoyan.outcomes import (
    BOARD_COMPLETE,
    FEED_FAILED,
    FEED_INCOMPLETE,
    FEED_LACKS_EARLIER,
    FEED_WRITTEN,
    FILMS_EXPECTED,
    PAGES_FAILED,
    SIGNAL,
    VERDICT,
    WHY_INCOMPLETE,
)
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
class Verdict:
    """How the crawl ended, as a program reads it: one JSON log line just before the
    last line, and the ``board/verdict`` stat. ``written``: the feed file was replaced by
    (or, with ``-o``, added to) this crawl's films; ``line`` is the last line's words."""

    spider: str
    finish_reason: str
    complete: bool
    written: bool
    exit_status: int
    films: int
    expected: int
    missing_ranks: str
    line: str

    def log_line(self) -> str:
        return verdict_line(asdict(self))


def usage_verdict(spider: str, line: str, why: str) -> str:
    """The JSON line of a crawl refused before it started (exit status 2)."""
    return verdict_line(
        {"spider": spider, "finish_reason": "usage", "exit_status": 2, "line": line, "why": why}
    )


class BoardCompletenessCheck:
    """Count the films the board should have against the films the feed got.

    The verdict is made when the spider closes, before the feed is stored (the feed
    storage publishes only a complete crawl's feed in place), and said as the crawl's
    last log line, once the feed's fate is known too."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ranks: set[int] = set()
        self.verdict: tuple[int, str] | None = None
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def item_scraped(self, item: Any) -> None:
        rank = ItemAdapter(item)["rank"]
        self.ranks.add(rank)
        state = getattr(self.crawler.spider, "state", None)
        if state is not None:  # a job (JOBDIR): a resumed run counts this run's films too
            state.setdefault("ranks", set()).add(rank)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        state = getattr(spider, "state", None)
        # The films of a job's earlier runs count, unless the feed lost them.
        lacking = stats.get_value(FEED_LACKS_EARLIER)
        if not lacking:
            self.ranks |= (state or {}).get("ranks", set())
        expected = int(stats.get_value(FILMS_EXPECTED) or 0)  # kept by the spider
        missing = sorted(set(range(1, expected + 1)) - self.ranks)
        failed_pages = stats.get_value(PAGES_FAILED, 0)
        complete = reason == "finished" and expected > 0 and not missing and not failed_pages
        stats.set_value("board/films_scraped", len(self.ranks))
        stats.set_value("board/missing_ranks", compact_ranges(missing))
        stats.set_value(BOARD_COMPLETE, complete)
        if state is not None:  # a job whose crawl ended complete starts anew next time
            state["complete"] = complete
        if complete:
            self.verdict = (logging.INFO, f"Board complete: all {expected} films collected.")
            return
        if reason == "finished" and lacking:
            why = f"the films of this job's earlier runs ({lacking}) are not in the feed"
        else:
            why = WHY_INCOMPLETE.get(reason, f"the crawl stopped ({reason})").format(
                signal=stats.get_value(SIGNAL) or "a shutdown"
            )
        self.verdict = (
            logging.ERROR,
            f"Board incomplete: {why} with {len(self.ranks)} of {expected} films collected; "
            f"missing ranks: {compact_ranges(missing) or 'none known'}; "
            f"{failed_pages} page(s) failed.",
        )

    def engine_stopped(self) -> None:
        if self.verdict is None:
            return
        stats = self.crawler.stats.get_stats()
        level, line = self.verdict
        if failure := feed_failure(stats):
            level = logging.ERROR
            if line.startswith("Board complete"):
                line = f"Board not written: {line.removeprefix('Board complete: ')}"
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
        )
        self.crawler.stats.set_value(VERDICT, asdict(verdict))
        logger.info(verdict.log_line())
        logger.log(level, line)
