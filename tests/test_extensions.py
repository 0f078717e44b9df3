"""The close-time verdict: expected against scraped films, and the exit status."""

from __future__ import annotations

from maoyan.extensions import (
    BoardCompletenessCheck,
    compact_ranges,
    crawl_succeeded,
    earlier_ranks,
)
from tests.helpers import board_spider


def closed_check(ranks, reason="finished", pages_failed=0):
    spider = board_spider()
    crawler = spider.crawler
    check = BoardCompletenessCheck.from_crawler(crawler)
    for rank in ranks:
        check.item_scraped({"rank": rank, "source": "desktop", "board_id": 4})
    if pages_failed:
        crawler.stats.set_value("board/pages_failed", pages_failed)
        crawler.stats.set_value("boards/desktop/top100/pages_failed", pages_failed)
    check.spider_closed(spider, reason)
    crawler.stats.set_value("finish_reason", reason)
    return crawler.stats.get_stats()


def test_whole_board() -> None:
    stats = closed_check(range(1, 101))
    assert stats["board/complete"] is True
    assert stats["board/films_expected"] == 100
    assert stats["board/films_scraped"] == 100
    assert stats["board/missing_ranks"] == ""
    assert crawl_succeeded(stats)


def test_missing_ranks_are_listed() -> None:
    stats = closed_check([r for r in range(1, 101) if r not in (5, 17, 18, 19)])
    assert stats["board/complete"] is False
    assert stats["board/missing_ranks"] == "5, 17-19"
    assert not crawl_succeeded(stats)


def test_ban_is_never_success_even_with_all_films() -> None:
    stats = closed_check(range(1, 101), reason="banned")
    assert not crawl_succeeded(stats)


def test_failed_page_makes_the_crawl_incomplete() -> None:
    assert not crawl_succeeded(closed_check(range(1, 101), pages_failed=1))


def test_compact_ranges() -> None:
    assert compact_ranges([]) == ""
    assert compact_ranges([3]) == "3"
    assert compact_ranges([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10"


def test_a_job_of_one_board_begun_before_lists_keeps_its_ranks() -> None:
    """Jobs kept one set of ranks before crawls of several boards: the crawl's only board's."""
    state = {"ranks": {1, 2, 3}}
    assert earlier_ranks(state, ["desktop/top100"]) == {"desktop/top100": {1, 2, 3}}
    assert state["ranks"] == {"desktop/top100": {1, 2, 3}}  # kept in the new shape
    assert earlier_ranks({}, ["desktop/top100"]) == {}
