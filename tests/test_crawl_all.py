"""Every board in one crawl, as the daily job runs it: ``-a board=all``, lists and
``-a source=all`` against the stand-in, each board judged on its own, a ban part-way
and its resume, and the exit status that says whether every board is whole."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import (
    JSON,
    REPO,
    clean_env,
    crawl_command,
    expected_entries,
    expected_mobile,
    read_jsonl,
    without_time,
)

DESKTOP_PAGES = [
    ("/robots.txt", 200),
    ("/board/4?offset=0", 302),  # the first visit's cookie handshake
    *((f"/board/4?offset={offset}", 200) for offset in range(0, 100, 10)),
    ("/board/7?offset=0", 200),
    *((f"/board/6?offset={offset}", 200) for offset in range(0, 50, 10)),
    ("/board/1?offset=0", 200),
    ("/board/2?offset=0", 200),
]
MOBILE_PAGES = [
    ("/asgard/board?id=39&year=0&term=0", 200),
    (f"{JSON.format(board=39)}&limit=80&offset=20", 200),
    (f"{JSON.format(board=39)}&limit=30&offset=70", 200),
    ("/asgard/board?id=6&year=0&term=0", 200),
    (f"{JSON.format(board=6)}&limit=30&offset=20", 200),
    ("/asgard/board?id=56&year=0&term=0", 200),
    ("/asgard/board?id=55&year=0&term=0", 200),
]
#: (source, board, films, requests) of a whole crawl of every board of both sources.
EVERY_BOARD = [
    ("desktop", "top100", 100, 11),
    ("desktop", "hot", 10, 1),
    ("desktop", "most-expected", 50, 5),
    ("desktop", "box-office", 10, 1),
    ("desktop", "north-america", 10, 1),
    ("mobile", "top100", 100, 3),
    ("mobile", "most-expected", 50, 2),
    ("mobile", "weekly-box-office", 10, 1),
    ("mobile", "ticket-score", 10, 1),
]


def run_crawl(site_url: str, out: Path, *arguments: str, **settings: str):
    command = crawl_command(site_url, out, *arguments)
    settings = {"MAOYAN_MOBILE_BASE_URL": site_url, "MAOYAN_MOBILE_API_URL": site_url, **settings}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(
        command, cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stderr


def said(line: str) -> str:
    """A log line's words, without its time, logger and level."""
    return line.split("] ", 1)[-1].split(": ", 1)[-1]


def last_line(log: str) -> str:
    return said(log.strip().splitlines()[-1])


def verdict(log: str) -> dict:
    (line,) = [line for line in log.splitlines() if "Verdict (JSON): " in line]
    return json.loads(line.split("Verdict (JSON): ", 1)[1])


def board_lines(log: str) -> list[str]:
    """The close-time line of each board, in order."""
    return [
        said(line)
        for line in log.splitlines()
        if "[maoyan.extensions]" in line and said(line).startswith("Board ")
    ]


def desktop_feed(site_url: str) -> list[dict]:
    return [entry for board in (4, 7, 6, 1, 2) for entry in expected_entries(site_url, board)]


def mobile_feed(site_url: str, board_date: str = "2026-11-23") -> list[dict]:
    return [
        *expected_mobile(site_url, 39, [(20, 80), (70, 30)], board_date),
        *expected_mobile(site_url, 6, [(20, 30)], board_date),
        *expected_mobile(site_url, 56, [], board_date),
        *expected_mobile(site_url, 55, [], board_date),
    ]


def test_every_desktop_board_in_one_crawl(standin, tmp_path) -> None:
    site = standin()
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "board=all")
    assert status == 0, log
    assert without_time(read_jsonl(out)) == desktop_feed(site.url)
    assert site.log.snapshot() == DESKTOP_PAGES
    assert last_line(log) == "Boards complete: all 5 boards, 180 films collected."


def test_every_mobile_board_in_one_crawl(standin, tmp_path) -> None:
    site = standin()
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "source=mobile", "-a", "board=all")
    assert status == 0, log
    assert without_time(read_jsonl(out)) == mobile_feed(site.url)
    assert site.log.snapshot() == [("/robots.txt", 200), *MOBILE_PAGES]
    assert last_line(log) == "Boards complete: all 4 boards, 170 films collected."


def test_every_board_of_both_sources_one_after_another(standin, tmp_path) -> None:
    site = standin()
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "source=all", "-a", "board=all")
    assert status == 0, log
    assert without_time(read_jsonl(out)) == desktop_feed(site.url) + mobile_feed(site.url)
    # One site, one request at a time: the desktop's boards, then the mobile site's.
    assert site.log.snapshot() == DESKTOP_PAGES + MOBILE_PAGES
    assert board_lines(log) == [
        f"Board {source} {board}: {films} of {films} films, {requests} request(s): complete"
        for source, board, films, requests in EVERY_BOARD
    ]
    assert last_line(log) == "Boards complete: all 9 boards, 350 films collected."
    told = verdict(log)
    assert (told["complete"], told["exit_status"], told["films"], told["expected"]) == (
        True,
        0,
        350,
        350,
    )
    assert [(b["source"], b["board"], b["films"], b["requests"]) for b in told["boards"]] == (
        EVERY_BOARD
    )


def test_a_list_is_crawled_in_the_fixed_order(standin, tmp_path) -> None:
    site = standin()
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "board=north-america,hot")
    assert status == 0, log
    assert without_time(read_jsonl(out)) == (
        expected_entries(site.url, 7) + expected_entries(site.url, 2)
    )
    assert [path for path, _ in site.log.snapshot()] == [
        "/robots.txt",
        "/board/7?offset=0",
        "/board/7?offset=0",
        "/board/2?offset=0",
    ]


def test_a_ban_part_way_stops_every_board_and_the_job_resumes_only_what_lacks(
    standin, tmp_path
) -> None:
    """A ban on the 13th board page stops the whole crawl (one site); the log says which
    boards were whole before it; the same command, once the ban has lifted, fetches
    only the pages each board lacks and publishes every board."""
    site = standin(ban_after=12, ban_kind="403")
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    arguments = ("-a", "source=all", "-a", "board=all")
    status, log = run_crawl(site.url, out, *arguments, JOBDIR=str(job))
    assert status == 1
    assert "Spider closed (banned)" in log
    lines = board_lines(log)
    assert lines[:2] == [
        "Board desktop top100: 100 of 100 films, 11 request(s): complete",
        "Board desktop hot: 10 of 10 films, 1 request(s): complete",
    ]
    # Page 2 of board 6 was banned (and retried), the rest never sent.
    assert lines[2].startswith(
        "Board desktop most-expected: 10 of 50 films, 4 request(s): incomplete "
        "(missing ranks: 11-50)"
    )
    assert lines[3] == (
        "Board desktop box-office: 0 of 10 films, 0 request(s): incomplete (missing ranks: 1-10)"
    )
    assert lines[-1] == (
        "Board mobile ticket-score: 0 of ? films, 0 request(s): incomplete (how many films "
        "it holds was never read)"
    )
    assert last_line(log).startswith(
        "Boards incomplete: the crawl was stopped by a ban with 2 of 9 boards complete "
        "(desktop top100, desktop hot) and 120 of 330 films collected"
    )
    assert not out.exists() and len(read_jsonl(tmp_path / "out.incomplete.jsonl")) == 120

    site.behaviour.ban_after = None  # the ban has lifted
    asked_before = len(site.log.snapshot())
    status, log = run_crawl(site.url, out, *arguments, JOBDIR=str(job))
    assert status == 0, log
    fetched = site.log.snapshot()[asked_before:]
    assert fetched == [
        ("/robots.txt", 200),
        ("/board/6?offset=10", 302),  # a new process: the cookie handshake again
        *((f"/board/6?offset={offset}", 200) for offset in range(10, 50, 10)),
        ("/board/1?offset=0", 200),
        ("/board/2?offset=0", 200),
        *MOBILE_PAGES,
    ]
    assert last_line(log) == "Boards complete: all 9 boards, 350 films collected."
    feed = without_time(read_jsonl(out))
    assert sorted(feed, key=order) == sorted(
        desktop_feed(site.url) + mobile_feed(site.url), key=order
    )
    assert not (tmp_path / "out.incomplete.jsonl").exists()


def order(entry: dict) -> tuple:
    return (entry["source"], entry["board_id"], entry["rank"])


def test_a_job_of_other_boards_is_a_usage_error(standin, tmp_path) -> None:
    site = standin(ban_after=3)
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    status, _ = run_crawl(site.url, out, "-a", "board=all", JOBDIR=str(job))
    assert status == 1
    status, log = run_crawl(site.url, out, "-a", "board=top100,hot", JOBDIR=str(job))
    assert status == 2
    assert f"JOBDIR={job} holds a job of the desktop source's top100, hot, most-expected, " in log
    assert "and this crawl is of the desktop source's top100, hot boards" in log


@pytest.mark.parametrize("bare_pager", [True, False])
def test_board_6_is_walked_by_its_offsets_whatever_its_pager(standin, tmp_path, bare_pager) -> None:
    """2026's pager (bare links, no 下一页) and the pager before it alike: all 50 films."""
    site = standin(bare_pager=bare_pager)
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "board=most-expected")
    assert status == 0, log
    assert without_time(read_jsonl(out)) == expected_entries(site.url, 6)
    assert [path for path, _ in site.board_requests()][1:] == [
        f"/board/6?offset={offset}" for offset in range(0, 50, 10)
    ]
    assert "pager" not in log


def test_a_pager_that_promises_more_than_the_board_holds_is_said(standin, tmp_path) -> None:
    site = standin()
    site.boards[6] = site.boards[6] + site.boards[4][:20]  # the board grew to 70 films
    out = tmp_path / "out.jsonl"
    status, log = run_crawl(site.url, out, "-a", "board=most-expected")
    assert status == 0, log  # the 50 films the board is known to hold
    assert len(read_jsonl(out)) == 50
    assert log.count("has a pager that goes on to offset 60, beyond the 50 films board 6") == 1


def test_with_the_log_in_a_file_a_failed_crawl_says_its_last_line_on_stderr(
    standin, tmp_path
) -> None:
    """What cron mails: one line on a bad day, nothing on a good one."""
    out, log_file = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    site = standin()
    status, stderr = run_crawl(site.url, out, "-a", "board=hot", LOG_FILE=str(log_file))
    assert status == 0 and stderr == ""
    banned = standin(ban_after=3, ban_kind="403")
    status, stderr = run_crawl(banned.url, out, "-a", "board=all", LOG_FILE=str(log_file))
    assert status == 1
    (line,) = stderr.splitlines()
    assert line.startswith(
        "scrapy crawl board: Boards incomplete: the crawl was stopped by a ban with 0 of 5 "
        "boards complete (none) and 30 of 180 films collected"
    )
    assert line.endswith(f"`scrapy crawl` exits with status 1. (log: {log_file})")
    assert last_line(log_file.read_text(encoding="utf-8")) in line
