"""The README's daily recipe, run as cron would run it, for three days of the stand-in.

The commands are read from the README's first ``cron`` block and run by ``/bin/sh``
as they stand; the test changes only where they run: the project checkout and its
virtualenv are this one, ``$DATA`` a temporary folder, the site the stand-in (its
roots in the environment, as settings.py reads them; no delays), and the day: each
morning runs under libfaketime (Debian's ``faketime``) from 08:00 Beijing time of the
day the stand-in serves, so the recipe's ``date``, the crawl times and the boards
without a date of their own (the mobile site's 56 and 55) all say that day.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import need_browser, open_offline
from tests.helpers import FAST_SETTINGS, REPO, TEST_CONTACT, clean_env

BIN = Path(sys.executable).parent
DAYS = ["2026-11-23", "2026-11-24", "2026-11-25"]
#: Board ids and the sources their history rows may name.
SOURCES = {
    4: {"mobile", "desktop+mobile"},
    7: {"desktop"},
    6: {"mobile", "desktop+mobile"},
    1: {"desktop"},
    2: {"desktop"},
    56: {"mobile"},
    55: {"mobile"},
}


def recipe() -> tuple[dict[str, str], str]:
    """The README's first cron block: its environment lines, and its job's command."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```cron\n(.*?)```", text, re.S)
    assert block, "the README has no ```cron block"
    env, commands = {}, []
    for line in block.group(1).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            name, value = line.split("=", 1)
            env[name] = value
            continue
        commands.append(line.split(None, 5)[5].replace("\\%", "%"))  # after the 5 time fields
    (command,) = commands
    return env, command


def test_the_recipe_is_what_the_readme_says() -> None:
    env, command = recipe()
    assert env["CRON_TZ"] == "Asia/Shanghai"
    assert "scrapy crawl board -a board=all -a source=all" in command
    assert "postprocess" in command and "--history" in command
    assert "postprocess.report" in command


def test_three_mornings_of_every_board(standin, tmp_path) -> None:
    cron_env, command = recipe()
    assert command.startswith("cd ~/maoyan && ")
    command = command.replace("cd ~/maoyan", f"cd {REPO}").replace(".venv/bin/", f"{BIN}/")
    fast = " ".join(f"-s {name}={value}" for name, value in FAST_SETTINGS.items())
    command = command.replace("scrapy crawl board ", f"scrapy crawl board {fast} ")
    data = tmp_path / "data"
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("no faketime here (Debian: apt-get install faketime; .ci/debian-packages)")
    for day_number, day in enumerate(DAYS):
        site = standin(day=day_number)
        env = {
            **clean_env(),
            **cron_env,
            "DATA": str(data),
            # Wall-clock time faked, timers not: delays and timeouts run as they do.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "MAOYAN_CONTACT": TEST_CONTACT,
            "MAOYAN_BASE_URL": site.url,
            "MAOYAN_MOBILE_BASE_URL": site.url,
            "MAOYAN_MOBILE_API_URL": site.url,
        }
        morning = f"{day} 00:00:00"  # 08:00 in Beijing (UTC+8), as TZ=UTC says it
        done = subprocess.run(
            [faketime, morning, "/bin/sh", "-c", command],
            env={**env, "TZ": "UTC"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == "" and done.stdout == ""  # cron mails nothing on a good day
        log = (data / "logs" / f"boards-{day}.log").read_text(encoding="utf-8")
        assert (
            log.strip()
            .splitlines()[-1]
            .endswith("Boards complete: all 9 boards, 350 films collected.")
        )
    assert sorted(path.name for path in (data / "crawls").iterdir()) == [
        f"boards-{day}.jsonl" for day in DAYS
    ]

    history = pd.read_parquet(data / "history.parquet")
    days = {
        int(board): sorted(str(day)[:10] for day in group["day"].unique())
        for board, group in history.groupby("board_id")
    }
    assert days == {
        4: DAYS,
        7: DAYS,
        6: DAYS,
        1: DAYS,
        2: ["2018-07-16"],  # North America: the board's own (stale) date, every day
        56: DAYS,
        55: DAYS,
    }
    sizes = history.groupby(["board_id", "day"]).size()
    for (board, _), size in sizes.items():
        assert size == {4: 100, 6: 50}.get(int(board), 10)
    for board, group in history.groupby("board_id"):
        assert set(group["source"]) <= SOURCES[int(board)], board
    # The boards moved between the days: TOP100's order is not the same three times.
    top = history[history["board_id"] == 4].sort_values(["day", "rank"])
    orders = {tuple(group["movie_id"]) for _, group in top.groupby("day")}
    assert len(orders) == 3
    # Board 6's wish counts, which the desktop hides, are there every day.
    assert history.loc[history["board_id"] == 6, "wish_total"].notna().all()

    need_browser()
    with open_offline(data / "report.html") as visit:
        shown = visit.page.locator("section.board").evaluate_all(
            "sections => sections.map(s => Number(s.dataset.board))"
        )
        assert sorted(shown) == sorted(SOURCES)
        assert visit.page_errors == [] and visit.console_errors == []
