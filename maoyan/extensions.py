"""Close-time check of a crawl: did we get the whole board, and why did we stop?

The answers go into the stats (``board/*``), into one log line a person can act on,
and, through :func:`crawl_succeeded`, into the exit status of ``scrapy crawl``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals

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


def crawl_succeeded(stats: dict[str, Any]) -> bool:
    """True only for a crawl that finished normally and collected the whole board."""
    return stats.get("finish_reason") == "finished" and bool(stats.get("board/complete"))


class BoardCompletenessCheck:
    """Count the films the board should have against the films the feed got."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ranks: set[int] = set()
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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
        earlier = getattr(spider, "state", None) or {}
        self.ranks |= earlier.get("ranks", set())
        expected = int(getattr(spider, "expected_films", 0) or 0)
        missing = sorted(set(range(1, expected + 1)) - self.ranks)
        failed_pages = stats.get_value("board/pages_failed", 0)
        complete = reason == "finished" and expected > 0 and not missing and not failed_pages
        stats.set_value("board/films_expected", expected)
        stats.set_value("board/films_scraped", len(self.ranks))
        stats.set_value("board/missing_ranks", compact_ranges(missing))
        stats.set_value("board/complete", complete)
        if complete:
            logger.info("Board complete: all %d films collected.", expected)
            return
        why = {
            "finished": "the crawl finished",
            "banned": "the crawl was stopped by a ban",
            "refused": "the site refused this client",
            "unreachable": "the site could not be reached",
            "unreadable": "a page was no board page this crawler can read",
        }.get(reason, f"the crawl stopped ({reason})")
        logger.error(
            "Board incomplete: %s with %d of %d films collected; missing ranks: %s; "
            "%d page(s) failed. `scrapy crawl` exits with status 1.",
            why,
            len(self.ranks),
            expected,
            compact_ranges(missing) or "none known",
            failed_pages,
        )
