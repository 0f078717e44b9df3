"""The validation and dedupe pipelines: what they keep, drop, say and count."""

from __future__ import annotations

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from maoyan.items import BoardEntry
from maoyan.pipelines import DedupeEntryPipeline, ValidateEntryPipeline, missing_or_invalid
from tests.helpers import project_crawler


def entry(**overrides) -> BoardEntry:
    fields = {
        "board_id": 4,
        "rank": 1,
        "movie_id": 1203,
        "title": "霸王别姬",
        "stars": "张国荣,张丰毅,巩俐",
        "release": "1993-07-26",
        "score": "9.5",
        "poster_url": None,
        "detail_url": "https://www.maoyan.com/films/1203",
        "board_date": "2026-11-23",
        "page_url": "https://www.maoyan.com/board/4?offset=0",
        "source": "desktop",
        "crawled_at": "2026-11-25T08:00:00Z",
    }
    fields.update(overrides)
    return BoardEntry(**fields)


@pytest.fixture
def crawler():
    crawler = project_crawler()
    crawler.stats.open_spider()
    return crawler


def test_good_entry_passes(crawler) -> None:
    item = entry()
    assert ValidateEntryPipeline.from_crawler(crawler).process_item(item) is item


def test_entry_without_required_fields_is_dropped_and_counted(crawler) -> None:
    pipeline = ValidateEntryPipeline.from_crawler(crawler)
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(entry(rank=12, movie_id=None, title=None))
    message = str(dropped.value)
    assert "rank 12" in message
    assert "https://www.maoyan.com/board/4?offset=0" in message
    assert "no movie_id" in message and "no title" in message
    assert crawler.stats.get_value("validate/dropped") == 1
    assert crawler.stats.get_value("validate/dropped/no movie_id") == 1


def test_wrong_types_are_named() -> None:
    assert missing_or_invalid(ItemAdapter(entry(rank="3"))) == ["rank is not int: '3'"]
    assert missing_or_invalid(ItemAdapter(entry(movie_id=True))) == ["movie_id is not int: True"]
    assert missing_or_invalid(ItemAdapter(entry(stars=None, score=None, release=None))) == []


def test_repeated_film_is_dropped_and_counted(crawler) -> None:
    pipeline = DedupeEntryPipeline.from_crawler(crawler)
    pipeline.process_item(entry())
    pipeline.process_item(entry(board_id=7, page_url="https://www.maoyan.com/board/7"))
    with pytest.raises(DropItem, match="Repeated film 1203"):
        pipeline.process_item(entry(rank=11, page_url="https://www.maoyan.com/board/4?offset=10"))
    assert crawler.stats.get_value("dedupe/dropped") == 1
