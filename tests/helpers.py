"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

import maoyan.settings
from maoyan.spiders.board import BoardSpider


def project_settings(**overrides: Any) -> dict[str, Any]:
    """The project's own settings (maoyan/settings.py), with ``overrides`` on top."""
    own = {name: value for name, value in vars(maoyan.settings).items() if name.isupper()}
    return {**own, **overrides}


def project_crawler(spidercls: type = BoardSpider, **overrides: Any) -> Crawler:
    """A crawler with the project's settings, as ``scrapy crawl`` builds it."""
    return get_crawler(spidercls, settings_dict=project_settings(**overrides))


def board_spider(crawler: Crawler | None = None, **arguments: str) -> BoardSpider:
    """The board spider of a project crawler, its stats open, as at a crawl's start."""
    crawler = crawler or project_crawler()
    crawler.stats.open_spider()
    crawler.spider = BoardSpider.from_crawler(crawler, **arguments)
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    return crawler.spider


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, blank lines skipped."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true (returned), for at most
    ``timeout`` seconds; then fail naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        if result := condition():
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
