"""The crawl when things go wrong, as a user meets it: a page that is no board, a
site that cannot be reached, a wrong argument, a killed crawl, a crawl resumed."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import (
    REPO,
    SCRAPY,
    clean_env,
    crawl_command,
    expected_entries,
    free_port,
    read_jsonl,
    wait_for,
    without_time,
)


def test_a_page_in_an_unknown_layout_is_not_called_a_ban(standin, crawl, tmp_path) -> None:
    site = standin(redesigned=True)
    saved = tmp_path / "unreadable"
    result = crawl(site.url, env={"MAOYAN_UNREADABLE_DIR": str(saved)})
    assert result.returncode == 1
    assert "Spider closed (unreadable)" in result.log
    assert "Banned" not in result.log and "MAOYAN_COOKIE" not in result.log
    [error] = [line for line in result.log_lines("ERROR") if "Not a board page" in line]
    assert "is not one of Maoyan's ban or verification pages (so this is no ban)" in error
    assert "python -m maoyan.extract" in error and "MAOYAN_BASE_URL" in error
    [page] = saved.iterdir()
    assert str(page) in error and b"rank-list" in page.read_bytes()
    # No back-off and no retry: the first page, once (after the cookie handshake).
    assert site.board_requests() == [("/board/4?offset=0", 302), ("/board/4?offset=0", 200)]
    # The advice works: the extractor runs on the saved page and shows it holds no entry.
    shown = subprocess.run(
        [str(Path(SCRAPY).with_name("python")), "-m", "maoyan.extract", str(page)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(shown.stdout)["entries"] == []


@pytest.mark.parametrize(
    ("base_url", "robots", "failed"),
    [
        ("http://127.0.0.1:{port}", "True", "http://127.0.0.1:{port}/robots.txt (the site's"),
        ("http://no-such-host.invalid", "True", "http://no-such-host.invalid/robots.txt"),
        ("http://127.0.0.1:{port}", "False", "http://127.0.0.1:{port}/board/4?offset=0 failed"),
    ],
)  # fmt: skip
def test_an_unreachable_site_is_declared_at_once(crawl, tmp_path, base_url, robots, failed) -> None:
    port = free_port()  # a loopback port nothing listens on
    feed = tmp_path / "out.jsonl"
    feed.write_text('{"yesterday": "a good feed"}\n', encoding="utf-8")
    started = time.monotonic()
    result = crawl(base_url.format(port=port), settings={"ROBOTSTXT_OBEY": robots})
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "Spider closed (unreachable)" in result.log
    [stop] = [line for line in result.log_lines("ERROR") if "Cannot reach" in line]
    assert f"Cannot reach the site: {failed.format(port=port)}" in stop
    assert "Traceback" not in result.log and "Retrying" not in result.log
    assert "Gave up retrying" not in result.log
    # Nothing is sent after the crawl started closing.
    after = result.log.split("Closing spider (unreachable)")[1]
    assert "Crawled (" not in after and "Slowing down" not in after
    # An unreachable crawl collected nothing: yesterday's feed stays.
    assert feed.read_text(encoding="utf-8") == '{"yesterday": "a good feed"}\n'
    assert "was left as it was" in result.log


def test_a_site_that_keeps_timing_out_is_unreachable_after_two_pages(crawl) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result = crawl(url, settings={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"})
    assert result.returncode == 1
    assert "Spider closed (unreachable)" in result.log
    # robots.txt that times out is a warning, as Scrapy goes on without one; not a traceback.
    assert f"Could not fetch {url}/robots.txt" in result.log and "Traceback" not in result.log
    [stop] = [line for line in result.log_lines("ERROR") if "Cannot reach" in line]
    assert f"{url}/board/4?offset=10 (board page 2 in a row) failed" in stop
    assert "keeps timing out even after retries" in stop
    # Both pages named; a page in flight then is not retried, and nothing more is sent.
    assert sum("Board page" in line for line in result.log_lines("ERROR")) == 2
    after = result.log.split("Closing spider (unreachable)")[1]
    assert "Slowing down" not in after and "Crawled (" not in after


DESKTOP_BOARDS = (
    "top100 (4, TOP100榜 / 经典Top100), hot (7, 热映口碑榜), most-expected (6, 最受期待榜 / "
    "想看榜), box-office (1, 国内票房榜), north-america (2, 北美票房榜)"
)
MOBILE_BOARDS = (
    "top100 (39, TOP100榜 / 经典Top100), most-expected (6, 最受期待榜 / 想看榜), "
    "weekly-box-office (56, 周票房榜), ticket-score (55, 购票评分榜)"
)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            "board=abc",
            f"board=abc: the desktop source has no such board; it offers {DESKTOP_BOARDS}",
        ),
        ("board=99", "board=99: the desktop source has no such board; it offers top100 (4,"),
        ("pages=0", "pages=0: give a whole number of pages, 1 or more"),
        ("pages=-1", "pages=-1: give a whole number of pages, 1 or more"),
        ("boardd=7", "unknown argument boardd: the board spider takes source"),
        ("source=tablet", "source=tablet: no such source; use desktop, mobile or all"),
        # A board one source lacks: what that source offers, and where the board is.
        (
            "source=mobile board=hot",
            "board=hot: the mobile source has no such board (the desktop source has hot: "
            f"-a source=desktop); it offers {MOBILE_BOARDS}",
        ),
        (
            "board=ticket-score",
            "board=ticket-score: the desktop source has no such board (the mobile source has "
            "ticket-score: -a source=mobile); it offers top100 (4,",
        ),
        (
            "source=mobile board=4",
            "board=4: the mobile source has no such board (4 is the desktop source's number "
            "for top100; here use -a board=top100); it offers top100 (39,",
        ),
        ("source=mobile pages=2", "pages=2: pages applies to the desktop TOP100 only"),
        # Never past the board: it would walk 404 pages for hours.
        ("pages=11", "pages=11: TOP100 has 10 pages (100 films, 10 a page); give 1 to 10"),
        ("pages=10000", "pages=10000: TOP100 has 10 pages (100 films, 10 a page); give 1"),
        # An unset variable in a cron line is no default.
        ("board=", "board= is empty (an unset variable?): give a value, or leave -a board out "),
        ("source=", "source= is empty (an unset variable?): give a value, or leave -a source "),
        ("pages=", "pages= is empty (an unset variable?): give a value, or leave -a pages out"),
        ("board=%20", "board= is empty (an unset variable?)"),
    ],
)
def test_wrong_spider_arguments_are_one_line_usage_errors(standin, arguments, message) -> None:
    site = standin()
    command = [SCRAPY, "crawl", "board", "-s", f"MAOYAN_BASE_URL={site.url}"]
    command += [
        "-s",
        f"MAOYAN_MOBILE_BASE_URL={site.url}",
        "-s",
        f"MAOYAN_MOBILE_API_URL={site.url}",
    ]
    for argument in arguments.split():
        command += ["-a", argument.replace("%20", " ")]
    proc = subprocess.run(
        command, cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert errors == [f"scrapy crawl board: error: {message}" + errors[0].split(message, 1)[1]]
    assert "Traceback" not in proc.stderr
    assert site.log.snapshot() == []  # not even robots.txt


def test_a_killed_crawl_leaves_yesterdays_feed(standin, tmp_path) -> None:
    site = standin()
    out = tmp_path / "out.jsonl"
    yesterday = b"".join(json.dumps(e).encode() + b"\n" for e in expected_entries(site.url))
    out.write_bytes(yesterday)
    proc = subprocess.Popen(
        crawl_command(site.url, out, "-s", "DOWNLOAD_DELAY=0.3"),
        cwd=REPO, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(
            lambda: (
                proc.poll() is not None
                or sum(status == 200 for _, status in site.board_requests()) >= 4
            ),
            60,
            "four pages served",
        )
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.read_bytes() == yesterday  # not emptied, not half-written
    [partial] = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert partial.name.startswith(".out.jsonl.") and partial.stat().st_size > 0

    again = subprocess.run(
        crawl_command(site.url, out), cwd=REPO, env=clean_env(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"Removed {partial}, the unfinished feed of a crawl that was killed" in again.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    feed = read_jsonl(out)
    assert without_time(feed) == expected_entries(site.url)


def test_a_banned_crawl_resumes_where_it_stopped(standin, tmp_path) -> None:
    site = standin(ban_after=3, ban_kind="403")
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    command = crawl_command(site.url, out, "-s", f"JOBDIR={job}", overwrite=False)
    first = subprocess.run(
        command, cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 1
    assert "Spider closed (banned)" in first.stderr
    # -o with no feed yet: nothing to add to, so the incomplete crawl's films go aside
    aside = tmp_path / "out.incomplete.jsonl"
    assert not out.exists() and len(read_jsonl(aside)) == 30

    site.behaviour.ban_after = None  # hours later, the ban has lifted
    asked_before = len(site.board_requests())
    second = subprocess.run(
        command, cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert "Board complete: all 100 films collected." in second.stderr
    assert "Resuming: fetching " + f"{site.url}/board/4?offset=30 again" in second.stderr
    # Only what the first run lacked: the banned page first, then the seven never asked.
    fetched = [path for path, status in site.board_requests()[asked_before:] if status == 200]
    assert fetched == [f"/board/4?offset={offset}" for offset in range(30, 100, 10)]
    feed = read_jsonl(out)
    assert without_time(feed) == expected_entries(site.url)  # each film once, in rank order
    assert not aside.exists()
