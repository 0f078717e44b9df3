"""Shared test fixtures: the local stand-in site and a crawl run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from standin.server import Behaviour, StandinSite

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
        items = []
        if published.exists():
            with published.open(encoding="utf-8") as feed:
                items = [json.loads(line) for line in feed if line.strip()]
        return CrawlResult(proc.returncode, items, proc.stderr + proc.stdout)

    return run
