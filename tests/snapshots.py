"""Feeds made from the 13 real TOP100 snapshots of late 2023 in the shared folder.

Each snapshot becomes the feed one mobile crawl of that day would have written: the
API's own movie objects through the mobile source's extraction, ``crawled_at`` the
archiver's fetch time. As in a real mobile crawl, the 20 films of the board page carry
no board date and the 80 of the JSON answers carry the board's date, where the
archiver kept one (``updatetime`` / ``update``; the later files kept only the fetch
time, so their films carry none).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from maoyan.extract.mobile import movie_entry
from maoyan.items import FEED_FIELDS

MOBILE_ROOT = "https://m.maoyan.com"
JSON_URL = "https://i.maoyan.com/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/39.json"
#: Films the mobile board page shows; the rest come from the JSON answers.
PAGE_FILMS = 20


def fetch_time(wrapper: dict[str, Any]) -> str:
    """The archiver's fetch time as the feed writes times (UTC, ``...Z``)."""
    text = wrapper.get("datetime") or wrapper["update_time"]
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            moment = datetime.strptime(text, form)
        except ValueError:
            continue
        return moment.replace(tzinfo=moment.tzinfo or UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"unknown fetch time {text!r}")


def snapshot_lines(path: Path) -> list[dict[str, Any]]:
    """The feed lines of one snapshot, in board order."""
    wrapper = json.loads(path.read_text(encoding="utf-8"))
    movies = wrapper.get("draft") or wrapper["movies"]  # the API's objects (see the README)
    crawled_at = fetch_time(wrapper)
    board_date = wrapper.get("updatetime") or wrapper.get("update")
    lines = []
    for index, movie in enumerate(movies):
        on_page = index < PAGE_FILMS
        lines.append(
            {
                **dict.fromkeys(FEED_FIELDS),
                **movie_entry(movie, index + 1, MOBILE_ROOT, 4),
                "board_date": None if on_page else board_date,
                "source": "mobile",
                "page_url": f"{MOBILE_ROOT}/asgard/board?id=39"
                if on_page
                else f"{JSON_URL}?offset={index // 40 * 40 + 20}",
                "crawled_at": crawled_at,
            }
        )
    return lines


def write_snapshot_feeds(snapshots: Path, folder: Path) -> list[Path]:
    """One feed file per snapshot (``top100-YYYYMMDD.jsonl``), as a daily cron leaves them."""
    feeds = []
    for path in sorted(snapshots.glob("maoyan-movie-top100-v*.json")):
        feed = folder / f"top100-{path.stem.rsplit('v', 1)[1]}.jsonl"
        with feed.open("w", encoding="utf-8") as out:
            for line in snapshot_lines(path):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        feeds.append(feed)
    return feeds
