"""Helpers the test modules share: paths, the crawl and post-process commands as a user
types them, the stand-in's expected feed, and small waits (fixtures live in conftest.py).
Test modules import from here, never from each other."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

import maoyan.settings
from maoyan.spiders.board import BoardSpider
from standin.feeds import crawl_time, feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS, STALE_BOARD_DATES
from standin.mobile import JSON_LIMIT, MOBILE_BOARDS, PAGE_FILMS

REPO = Path(__file__).resolve().parents[1]
#: The team's shared material, beside the clone (as CI places it) or where MAOYAN_SHARED says.
SHARED = Path(os.environ.get("MAOYAN_SHARED") or REPO.parent / "shared")
SHARED_PAGES = SHARED / "maoyan-pages"
#: Why a test that reads the shared pages skipped, and how to run it.
SHARED_ABSENT = (
    f"{SHARED_PAGES} is absent: the real saved pages live in the team's shared folder; "
    "clone beside it (../shared) or set MAOYAN_SHARED=/path/to/shared to run this test"
)
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

#: Politeness switched down to test speed; every other setting is the project's own.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_START_DELAY": "0",
    "RETRY_BACKOFF_BASE": "0.05",
    "MAOYAN_BAN_BACKOFF": "0.05",
}


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict]
    log: str

    def log_lines(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if f"] {level}: " in line]


#: The contact a crawl's User-Agent names (without one, each crawl warns).
TEST_CONTACT = "mailto:tests@example.invalid"


def clean_env() -> dict[str, str]:
    """The caller's environment without MAOYAN_* variables that would change a test, with
    a contact for the User-Agent as an operator sets it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAOYAN_")}
    return {**env, "MAOYAN_CONTACT": TEST_CONTACT}


def expected_entries(
    site_url: str,
    board_id: int = 4,
    board_date: str = "2026-11-23",
    numbers_hidden: bool = True,
    films: list | None = None,
) -> list[dict]:
    """What the feed must hold for a board the stand-in serves: every field but crawled_at.

    ``numbers_hidden``: the site drew the numbers with its web font (today's default);
    ``films``: the board as the stand-in serves it (else as written).
    """
    board_date = STALE_BOARD_DATES.get(board_id, board_date)
    films = enumerate(BOARDS[board_id] if films is None else films, start=1)
    return without_time(
        [
            feed_record(film, rank, "", board_id, board_date, site_url, numbers_hidden)
            for rank, film in films
        ]
    )


#: The mobile board JSON's path and fixed query, for a board number.
JSON = "/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/{board}.json?ci=1&year=0&term=0"


def expected_mobile(
    site_url: str,
    mobile_board: int,
    windows: list[tuple[int, int]],
    board_date: str,
    films: list | None = None,
) -> list[dict]:
    """The feed of a mobile board: the page's films, then each JSON window
    ``(offset, limit)`` asked for, with the films it answered (up to 50); ``films``:
    the board as the stand-in serves it (else as written)."""
    films = films if films is not None else BOARDS[MOBILE_BOARDS[mobile_board][0]]
    page = f"{site_url}/asgard/board?id={mobile_board}&year=0&term=0"
    page_of_rank = dict.fromkeys(range(1, min(PAGE_FILMS, len(films)) + 1), (page, None))
    for offset, limit in windows:
        url = f"{site_url}{JSON.format(board=mobile_board)}&limit={limit}&offset={offset}"
        for rank in range(offset + 1, min(offset + JSON_LIMIT, len(films)) + 1):
            page_of_rank[rank] = (url, board_date)
    records = []
    for rank, film in enumerate(films[: len(page_of_rank)], start=1):
        url, date = page_of_rank[rank]
        record = mobile_feed_record(film, rank, "", mobile_board, url, date, site_url)
        records.append(record)
    return without_time(records)


def without_time(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "crawled_at"} for item in items]


def crawl_command(site_url: str, out: Path, *extra: str, overwrite: bool = True) -> list[str]:
    command = [SCRAPY, "crawl", "board", "-O" if overwrite else "-o", str(out)]
    for name, value in {**FAST_SETTINGS, "MAOYAN_BASE_URL": site_url}.items():
        command += ["-s", f"{name}={value}"]
    return command + list(extra)


# -- the post-process's feeds and command ----------------------------------------

FILMS = BOARDS[4]
T1, T2, T3 = crawl_time(0), crawl_time(1), crawl_time(2)


def crawl_lines(when: str, films=FILMS, rank_shift: int = 0) -> list[bytes]:
    return [
        feed_line(feed_record(film, (rank + rank_shift) % len(films) + 1, when))
        for rank, film in enumerate(films)
    ]


def daily_feeds(folder: Path, days: list, board_id: int = 4) -> list[str]:
    """One desktop feed per day of ``days`` (``(day, films)``, oldest first): each a
    crawl at 08:00 Beijing time of the board as it stood that day, dated by it."""
    feeds = []
    for day, films in days:
        feed = folder / f"board{board_id}-{day}.jsonl"
        when = f"{day}T00:00:00Z"
        feed.write_bytes(
            b"".join(
                feed_line(feed_record(film, rank, when, board_id, board_date=day))
                for rank, film in enumerate(films, 1)
            )
        )
        feeds.append(str(feed))
    return feeds


def read_jsonl(path: Path) -> list[dict]:
    """Every line of a JSON Lines file as an object (a blank line fails: feeds hold none)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def postprocess(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "postprocess", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# -- the shared snapshots --------------------------------------------------------

SNAPSHOTS = SHARED / "maoyan-api" / "top100-2023"
needs_snapshots = pytest.mark.skipif(
    not SNAPSHOTS.is_dir(),
    reason=f"{SNAPSHOTS} is absent: clone beside the team's shared folder or set MAOYAN_SHARED",
)

#: The Beijing days of the 13 snapshots: the board's date where the archiver kept it
#: (10-09 twice, 10-16 twice), else the fetch time (UTC) in Beijing: 2023-11-08T22:08Z
#: is the morning of 11-09 there.
SNAPSHOT_DAYS = [
    "2023-10-09",
    "2023-10-16",
    "2023-10-25",
    "2023-10-26",
    "2023-11-09",
    "2023-11-12",
    "2023-11-19",
    "2023-11-23",
    "2023-11-30",
    "2023-12-03",
    "2023-12-07",
]


# -- crawlers in-process, and waiting --------------------------------------------


def project_settings(**overrides: Any) -> dict[str, Any]:
    """The project's own settings (maoyan/settings.py), with ``overrides`` on top."""
    own = {name: value for name, value in vars(maoyan.settings).items() if name.isupper()}
    return {**own, **overrides}


def project_crawler(spidercls: type = BoardSpider, **overrides: Any) -> Crawler:
    """A crawler with the project's settings, as ``scrapy crawl`` builds it."""
    return get_crawler(spidercls, settings_dict=project_settings(**overrides))


def stand_in_crawler(site_url: str, **settings: Any) -> Crawler:
    """A project crawler for an in-process crawl of the stand-in at ``site_url`` (both
    sources' roots), at test speed, on the reactor pytest-twisted runs."""
    roots = {
        "MAOYAN_BASE_URL": site_url,
        "MAOYAN_MOBILE_BASE_URL": site_url,
        "MAOYAN_MOBILE_API_URL": site_url,
    }
    return project_crawler(
        BoardSpider,
        TWISTED_REACTOR=None,  # the reactor pytest-twisted installed
        MAOYAN_CONTACT=TEST_CONTACT,
        **{**FAST_SETTINGS, **roots, **settings},
    )


def board_spider(crawler: Crawler | None = None, **arguments: str) -> BoardSpider:
    """The board spider of a project crawler, its stats open, as at a crawl's start."""
    crawler = crawler or project_crawler()
    crawler.stats.open_spider()
    crawler.spider = BoardSpider.from_crawler(crawler, **arguments)
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    return crawler.spider


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
