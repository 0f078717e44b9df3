"""Each source's crawl plan, fed saved answers: which requests follow, and how paced.
(The crawls themselves run against the stand-in in test_crawl*.py.)"""

from __future__ import annotations

from pathlib import Path

import scrapy
from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse

from maoyan.items import FEED_FIELDS, BoardEntry
from maoyan.spiders.board import BoardSpider
from tests.helpers import board_spider, project_crawler

FIXTURES = Path(__file__).parent / "fixtures" / "mobile"
PAGE = "https://m.maoyan.com/asgard/board?id=39&year=0&term=0"


def mobile_spider(**settings: str) -> BoardSpider:
    return board_spider(project_crawler(**settings), source="mobile")


def test_the_json_after_the_page_is_paced_with_it() -> None:
    """The page (m.maoyan.com) and the JSON (i.maoyan.com) share one download slot, so
    the delays and back-off of one apply to the other: Maoyan is paced as one site."""
    spider = mobile_spider(
        MAOYAN_MOBILE_BASE_URL="https://m.maoyan.com", MAOYAN_MOBILE_API_URL="https://i.maoyan.com"
    )
    (first,) = spider.board_requests()
    assert first.url == PAGE
    page = HtmlResponse(
        PAGE,
        body=(FIXTURES / "board39_page_2026.html").read_bytes(),
        encoding="utf-8",
        request=first,
    )
    results = list(spider.parse(page))
    entries = [r for r in results if isinstance(r, BoardEntry)]
    (follow,) = [r for r in results if isinstance(r, scrapy.Request)]
    assert [e.rank for e in entries] == list(range(1, 21))
    assert all(set(ItemAdapter(e).keys()) == set(FEED_FIELDS) for e in entries)  # every field
    assert {e.source for e in entries} == {"mobile"}
    assert follow.url == (
        "https://i.maoyan.com/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/39.json"
        "?ci=1&year=0&term=0&limit=80&offset=20"
    )
    assert follow.meta["download_slot"] == first.meta["download_slot"] == "m.maoyan.com"
    assert follow.headers["Referer"] == PAGE.encode()
    assert follow.headers["Accept"].startswith(b"application/json")
    assert spider.boards["mobile/top100"].expected == 100


def test_the_json_asks_for_a_batch_at_most() -> None:
    spider = mobile_spider(MAOYAN_MOBILE_BATCH="30")
    (first,) = spider.board_requests()
    page = HtmlResponse(
        PAGE,
        body=(FIXTURES / "board39_page_2026.html").read_bytes(),
        encoding="utf-8",
        request=first,
    )
    (follow,) = [r for r in spider.parse(page) if isinstance(r, scrapy.Request)]
    assert follow.url.endswith("&limit=30&offset=20")
