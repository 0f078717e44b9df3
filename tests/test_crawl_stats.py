"""Crawls run in-process against the stand-in, as Scrapy's own suite runs them
(a crawler built with the project's settings, its ``crawl()`` awaited on the reactor
pytest-twisted runs), with what they counted read from the crawler's stats collector.

The reactor is Twisted's default one, not the asyncio reactor of ``scrapy crawl``: a
running asyncio loop in the test process would stop Playwright's synchronous API,
which the report's browser tests use. The project's code runs on either.

What only a process shows -- exit statuses, signals, kills, the feed file, JOBDIR --
is tested by running ``scrapy crawl`` in test_crawl*.py."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest
import pytest_twisted
from scrapy import signals
from scrapy.crawler import Crawler

from standin.mobile import PAGE_FILMS
from tests.helpers import free_port, read_jsonl, stand_in_crawler


@pytest.fixture
def crawl_in_process(standin) -> Callable[..., Generator[Any, Any, Crawler]]:
    """``crawler = yield from crawl_in_process(behaviour..., arguments=..., **settings)``:
    a whole crawl of a fresh stand-in; the crawler holds its stats and ``items``."""

    def run(
        *,
        arguments: dict[str, str] | None = None,
        settings: dict[str, Any] | None = None,
        **behaviour,
    ) -> Generator[Any, Any, Crawler]:
        site = standin(**behaviour)
        crawler = stand_in_crawler(site.url, **(settings or {}))
        crawler.items = []

        def keep(item: Any) -> None:
            crawler.items.append(item)

        crawler.keep_item = keep  # signals hold their receivers weakly
        crawler.signals.connect(keep, signals.item_scraped)
        yield crawler.crawl(**(arguments or {}))
        return crawler

    return run


@pytest_twisted.inlineCallbacks
def test_a_whole_board_follows_the_cookie_handshake_once(crawl_in_process, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    crawler = yield from crawl_in_process(
        settings={"FEEDS": {str(out): {"format": "jsonl", "overwrite": True}}}
    )
    stats = crawler.stats.get_stats()
    assert stats["redirect/same_url"] == 1
    assert stats["finish_reason"] == "finished" and stats["board/complete"] is True
    assert len(crawler.items) == stats["item_scraped_count"] == 100
    assert stats["board/verdict"]["exit_status"] == 0 and stats["board/verdict"]["written"]
    assert stats["feed/written"] == str(out) and len(read_jsonl(out)) == 100


@pytest_twisted.inlineCallbacks
def test_a_crawl_that_collected_nothing_wrote_nothing(crawl_in_process, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    closed = f"http://127.0.0.1:{free_port()}"
    crawler = yield from crawl_in_process(
        settings={
            "FEEDS": {str(out): {"format": "jsonl", "overwrite": True}},
            "MAOYAN_BASE_URL": closed,
        }
    )
    verdict = crawler.stats.get_value("board/verdict")
    assert verdict["finish_reason"] == "unreachable" and verdict["exit_status"] == 1
    assert verdict["written"] is False and not out.exists()


@pytest_twisted.inlineCallbacks
def test_a_ban_is_the_finish_reason(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(ban_after=3, ban_kind="403")
    stats = crawler.stats.get_stats()
    assert stats["finish_reason"] == "banned"
    assert stats["ban/reason"].startswith("too_frequent: ")
    assert stats["board/complete"] is False and stats["board/films_scraped"] == 30


@pytest_twisted.inlineCallbacks
def test_broken_entries_are_counted_as_dropped(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(broken_ranks=frozenset({5, 17}))
    stats = crawler.stats.get_stats()
    assert stats["validate/dropped"] == 2
    assert stats["validate/dropped/no movie_id"] == 2
    assert stats["board/missing_ranks"] == "5, 17"


@pytest_twisted.inlineCallbacks
def test_a_missing_page_is_one_failed_page_and_ends_the_board(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(missing_offsets=frozenset({20}))
    stats = crawler.stats.get_stats()
    assert stats["board/pages_failed"] == 1
    assert stats["board/ended_at"].endswith("/board/4?offset=20")
    assert stats["board/missing_ranks"] == "21-100"


@pytest_twisted.inlineCallbacks
def test_numbers_drawn_with_the_web_font_are_counted(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(arguments={"board": "6"})
    stats = crawler.stats.get_stats()
    assert stats["board/numbers_hidden"] == 100
    assert stats["board/complete"] is True and stats["board/films_expected"] == 50


@pytest_twisted.inlineCallbacks
def test_a_page_redirecting_to_itself_is_one_failed_page(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(self_redirect_offsets=frozenset({30}))
    stats = crawler.stats.get_stats()
    assert stats["board/pages_failed"] == 1 and stats["redirect/self_loop"] == 1
    assert stats["board/missing_ranks"] == "31-40"


@pytest_twisted.inlineCallbacks
def test_a_mobile_answer_that_refuses_is_counted_as_a_ban(crawl_in_process) -> None:
    crawler = yield from crawl_in_process(
        arguments={"source": "mobile"}, ban_after=1, ban_kind="refuse"
    )
    stats = crawler.stats.get_stats()
    assert stats["ban/detected/api_refused"] == 3
    assert stats["finish_reason"] == "banned" and len(crawler.items) == PAGE_FILMS
    assert stats["board/requests"] == 2  # the page, then the JSON asked for again and again


@pytest_twisted.inlineCallbacks
def test_an_unreadable_page_that_cannot_be_saved_is_counted(crawl_in_process, tmp_path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    crawler = yield from crawl_in_process(
        settings={"MAOYAN_UNREADABLE_DIR": str(tmp_path / "a-file" / "pages")}, redesigned=True
    )
    stats = crawler.stats.get_stats()
    assert stats["board/pages_unreadable"] == 1
    assert stats["finish_reason"] == "unreadable"


@pytest_twisted.inlineCallbacks
def test_each_board_has_its_own_stats(crawl_in_process) -> None:
    """A failed page (a 404 on board 6's third page) costs its own board only: board 6
    ends there, the boards after it are crawled whole."""
    crawler = yield from crawl_in_process(
        arguments={"board": "north-america,most-expected,box-office"},
        missing_offsets=frozenset({20}),
    )
    stats = crawler.stats.get_stats()
    assert stats["board/boards"] == [
        "desktop/most-expected",
        "desktop/box-office",
        "desktop/north-america",
    ]
    board6, box_office, north_america = (f"boards/{key}" for key in stats["board/boards"])
    assert stats[f"{board6}/films_expected"] == 50 and stats[f"{board6}/films_scraped"] == 20
    assert stats[f"{board6}/missing_ranks"] == "21-50" and stats[f"{board6}/complete"] is False
    # offsets 0 (after its cookie handshake), 10 and 20: nothing past the 404
    assert stats[f"{board6}/pages_failed"] == 1 and stats[f"{board6}/requests"] == 4
    assert stats[f"{board6}/ended_at"].endswith("/board/6?offset=20")
    assert stats[f"{box_office}/complete"] is True and stats[f"{box_office}/requests"] == 1
    assert stats[f"{north_america}/complete"] is True
    assert stats[f"{north_america}/films_scraped"] == 10
    assert stats["board/complete"] is False and stats["board/films_expected"] == 70
    assert stats["board/films_scraped"] == 40
    assert stats["board/verdict"]["boards"][0]["missing_ranks"] == "21-50"
    assert len(crawler.items) == 40
