"""What maoyan.scrapy_compat relies on in Scrapy, checked against the Scrapy installed:
each test fails when a Scrapy release changes it, before a crawl misbehaves."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from typing import Any

import pytest_twisted
from scrapy import signals

from maoyan.outcomes import CrawlStopped
from maoyan.scrapy_compat import (
    FEED_EXPORT_LOGGER,
    FEED_STORED_MESSAGES,
    JOB_FILES,
    SPIDER_STATE_FILE,
    download_slot,
    fail_waiting_downloads,
    slow_down,
)
from maoyan.stopping import close_spider
from tests.helpers import REPO, clean_env, stand_in_crawler


@pytest_twisted.inlineCallbacks
def test_a_slot_delay_can_be_raised_and_its_waiting_request_failed(standin) -> None:
    """The back-off raises the slot's delay; a stop fails the request waiting out that
    delay, so it is never sent."""
    site = standin()
    crawler = stand_in_crawler(site.url, DOWNLOAD_DELAY="0")
    seen: dict[str, Any] = {}

    def first_page(response: Any, request: Any, spider: Any) -> None:
        if seen or response.status != 200 or "/board/" not in response.url:
            return  # robots.txt and the cookie handshake come first
        seen["delay"] = slow_down(crawler, request, 30.0)
        seen["slot_delay"] = download_slot(crawler, request).delay
        from twisted.internet import reactor

        # Half a second on, the next page is waiting out the 30 s in the slot.
        def stop() -> None:
            seen["failed"] = fail_waiting_downloads(crawler, CrawlStopped("a test stops"))
            close_spider(crawler, "shutdown")

        reactor.callLater(0.5, stop)

    crawler.first_page = first_page  # signals hold their receivers weakly
    crawler.signals.connect(first_page, signals.response_received)
    yield crawler.crawl()
    assert seen["delay"] == seen["slot_delay"] == 30.0
    assert seen["failed"] == 1
    assert crawler.stats.get_value("finish_reason") == "shutdown"
    served = [path for path, status in site.board_requests() if status == 200]
    assert served == ["/board/4?offset=0"]  # the waiting page was never sent


@pytest_twisted.inlineCallbacks
def test_a_job_folder_holds_the_files_the_project_resets(standin, tmp_path) -> None:
    site = standin()
    crawler = stand_in_crawler(site.url, JOBDIR=str(tmp_path / "job"), MAOYAN_TOP100_PAGES=10)
    yield crawler.crawl(pages="1")
    assert {path.name for path in (tmp_path / "job").iterdir()} == set(JOB_FILES)
    with (tmp_path / "job" / SPIDER_STATE_FILE).open("rb") as state:
        assert pickle.load(state)["job"] == {"source": "desktop", "board": "top100"}


@pytest_twisted.inlineCallbacks
def test_scrapys_feed_line_is_the_one_the_storage_quiets(standin, tmp_path, caplog) -> None:
    site = standin()
    stock = "scrapy.extensions.feedexport.FileFeedStorage"
    crawler = stand_in_crawler(
        site.url,
        FEEDS={str(tmp_path / "out.jsonl"): {"format": "jsonl"}},
        FEED_STORAGES={"": stock, "file": stock},
    )
    with caplog.at_level(logging.INFO, logger=FEED_EXPORT_LOGGER):
        yield crawler.crawl(pages="1")
    said = [record.msg for record in caplog.records if record.name == FEED_EXPORT_LOGGER]
    assert any(message in FEED_STORED_MESSAGES for message in said), said


def test_cookies_are_judged_offline_with_the_shipped_suffix_list(tmp_path) -> None:
    """Scrapy's cookie middleware, imported after maoyan, keeps a cookie for .maoyan.com
    and sends it back, without trying to download the public-suffix list."""
    script = """
import maoyan
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

middleware = CookiesMiddleware.from_crawler(get_crawler())
page = Request("https://www.maoyan.com/board/4")
answer = Response(page.url, headers={"Set-Cookie": "uuid=1; Domain=.maoyan.com"}, request=page)
middleware.process_response(page, answer)
again = Request("https://www.maoyan.com/board/4?offset=10")
middleware.process_request(again)
print(again.headers.get("Cookie").decode())
"""
    env = {**clean_env(), "TLDEXTRACT_CACHE": str(tmp_path / "cache")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "uuid=1"
    assert done.stderr == ""  # no failed download of the list, no warning
