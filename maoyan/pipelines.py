"""Item pipelines, one concern each: validate entries, then drop repeated films.

Both drop with a warning that names the page and the reason, and count what they
dropped in the crawl stats, so a crawl's numbers add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from maoyan.items import REQUIRED_FIELDS

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


def missing_or_invalid(entry: Mapping[str, Any]) -> list[str]:
    """The required fields an entry lacks or holds with the wrong type, in feed order."""
    problems = []
    for name, kind in REQUIRED_FIELDS.items():
        value = entry.get(name)
        if value is None or value == "":
            problems.append(f"no {name}")
        elif not isinstance(value, kind) or isinstance(value, bool):
            problems.append(f"{name} is not {kind.__name__}: {value!r}")
    return problems


class ValidateEntryPipeline:
    """Drop entries without the fields the feed promises (see ``REQUIRED_FIELDS``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        entry = ItemAdapter(item)  # read in place: asdict() deep-copies every item
        problems = missing_or_invalid(entry)
        if not problems:
            return item
        self.stats.inc_value("validate/dropped")
        for problem in problems:
            self.stats.inc_value(f"validate/dropped/{problem.split(':')[0]}")
        rank = entry.get("rank")
        where = f"rank {rank}" if rank is not None else "an entry"
        raise DropItem(
            f"Unusable board entry ({where}) on {entry.get('page_url')}: {', '.join(problems)}",
            log_level="WARNING",
        )


class DedupeEntryPipeline:
    """Drop a film seen before in this crawl on the same board of the same source
    (key: source, board_id, movie_id).

    The site can shift while a crawl walks its pages, showing a film on two pages. The
    same film on the same board from the other source is no repeat: it is that source's
    line, with the numbers that source shows (the post-process merges them).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: dict[tuple[str, int, int], Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        entry = ItemAdapter(item)
        key = (entry.get("source"), entry["board_id"], entry["movie_id"])
        if key not in self.seen:
            self.seen[key] = entry.get("page_url")
            return item
        self.stats.inc_value("dedupe/dropped")
        raise DropItem(
            f"Repeated film {entry['movie_id']} ({entry.get('title')}) at rank "
            f"{entry.get('rank')} on {entry.get('page_url')}, first seen on {self.seen[key]}",
            log_level="WARNING",
        )
