"""Shared test fixtures: the local stand-in site and a crawl run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from standin.server import Behaviour, StandinSite
from tests.helpers import (
    FAST_SETTINGS,
    REPO,
    SCRAPY,
    SNAPSHOTS,
    CrawlResult,
    clean_env,
    read_jsonl,
)
from tests.snapshots import write_snapshot_feeds


@pytest.fixture
def standin() -> Iterator[Callable[..., StandinSite]]:
    """Start stand-in sites with given behaviours; all are stopped after the test."""
    sites: list[StandinSite] = []

    def start(**behaviour: object) -> StandinSite:
        site = StandinSite(Behaviour(**behaviour)).start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


@pytest.fixture
def crawl(tmp_path: Path) -> Callable[..., CrawlResult]:
    """Run ``scrapy crawl board -O FILE`` in a subprocess from the repository root; the
    result's items are the films it published (in ``out.incomplete.jsonl`` when the crawl
    was incomplete, else in ``out.jsonl``)."""

    def run(
        site_url: str,
        *args: str,
        settings: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> CrawlResult:
        out = tmp_path / "out.jsonl"
        command = [SCRAPY, "crawl", "board", "-O", str(out), "-s", f"MAOYAN_BASE_URL={site_url}"]
        for name, value in {**FAST_SETTINGS, **(settings or {})}.items():
            command += ["-s", f"{name}={value}"]
        command += list(args)
        proc = subprocess.run(
            command,
            cwd=REPO,
            env={**clean_env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        # This crawl's films: an incomplete crawl publishes them beside the feed.
        published = out.with_name("out.incomplete.jsonl")
        if not published.exists():
            published = out
        items = read_jsonl(published) if published.exists() else []
        return CrawlResult(proc.returncode, items, proc.stderr + proc.stdout)

    return run


@pytest.fixture(scope="session")
def snapshot_history(tmp_path_factory) -> tuple[pd.DataFrame, dict]:
    """The history the post-process makes of the 13 shared TOP100 snapshots (2023)."""
    if not SNAPSHOTS.is_dir():
        pytest.skip(f"{SNAPSHOTS} is absent")
    folder = tmp_path_factory.mktemp("snapshots")
    feeds = write_snapshot_feeds(SNAPSHOTS, folder)
    history = folder / "history.parquet"
    summary = folder / "summary.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "postprocess", *map(str, feeds)),
            *("-o", str(folder / "films.csv"), "--history", str(history)),
            *("--summary", str(summary), "--workers", "2"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "history rows            1,100" in done.stdout
    assert "(11 board day(s))" in done.stdout
    table = pd.read_parquet(history)
    table["day"] = table["day"].astype(str)  # Parquet holds dates; the facts are written as text
    return table, json.loads(summary.read_text())
