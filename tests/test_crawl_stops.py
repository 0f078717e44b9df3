"""How a daily job's crawl ends when it cannot end well, run as cron runs it: a feed it
cannot write (real read-only and full file systems), a job folder run again, an
incomplete crawl with ``-O``, Ctrl-C and SIGTERM, a board shorter than asked for.
Whatever happens, the exit status and the last line say so, and yesterday's feed stays."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from maoyan.extensions import exit_status
from tests.helpers import (
    REPO,
    clean_env,
    crawl_command,
    expected_entries,
    read_jsonl,
    wait_for,
    without_time,
)

YESTERDAY = '{"yesterday": "a good feed"}\n'


def mount_tmpfs(folder: Path, size: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(folder)],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount a small tmpfs of the test's own (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only or full tmpfs needs root; run the suite as root")
    mounted: list[Path] = []

    def mount(size: str = "1m", *, read_only: bool = False, holding: str = "") -> Path:
        folder = tmp_path / f"fs{len(mounted)}"
        folder.mkdir()
        try:
            mount_tmpfs(folder, size)
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            pytest.skip(f"cannot mount a tmpfs here ({error}); needs CAP_SYS_ADMIN")
        mounted.append(folder)
        if holding:
            (folder / "out.jsonl").write_text(holding, encoding="utf-8")
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=REPO, env={**clean_env(), **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def last_line(log: str) -> str:
    return log.rstrip().splitlines()[-1]


def requests_after(log: str, marker: str) -> list[str]:
    """The downloads logged after the line holding ``marker``."""
    after = log.split(marker, 1)[1]
    return [line for line in after.splitlines() if "Crawled (" in line]


@pytest.mark.parametrize(
    ("size", "read_only", "reason"),
    [("1m", True, "[Errno 30] Read-only file system"), ("24k", False, "[Errno 28] No space")],
)
def test_a_feed_that_cannot_be_written_stops_the_crawl(
    standin, tmpfs, size, read_only, reason
) -> None:
    site = standin()
    folder = tmpfs(size, read_only=read_only, holding=YESTERDAY)
    out = folder / "out.jsonl"
    # Pages 0.3 s apart: the next page waits in the downloader when the write fails.
    proc = run(crawl_command(site.url, out, "-s", "DOWNLOAD_DELAY=0.3"))
    log = proc.stderr
    assert proc.returncode == 1
    assert "Spider closed (feed_failed)" in log and "'finish_reason': 'feed_failed'" in log
    [error] = [line for line in log.splitlines() if "Cannot write the feed" in line]
    assert f"Cannot write the feed {out}: {reason}" in error
    assert "finish reason 'feed_failed'" in error and f"existing {out} was left as it was" in error
    assert "Traceback" not in log and "Error storing" not in log and "Stored jsonl" not in log
    # The first failed write stops the crawl: nothing is downloaded after it.
    assert requests_after(log, "Cannot write the feed") == []
    assert len([s for _, s in site.board_requests() if s == 200]) < 10
    assert f"The feed was not written ({out}: {reason}" in last_line(log)
    assert "Board incomplete: the feed could not be written" in last_line(log)
    assert "exits with status 1." in last_line(log)
    assert out.read_text(encoding="utf-8") == YESTERDAY
    assert sorted(p.name for p in folder.iterdir()) == ["out.jsonl"]  # no .partial left


def test_a_failed_store_of_any_feed_storage_is_a_failure() -> None:
    whole = {"finish_reason": "finished", "board/complete": True}
    assert exit_status(whole) == 0
    assert exit_status({**whole, "feedexport/failed_count/S3FeedStorage": 1}) == 1
    assert exit_status({**whole, "feed/failed": "out.jsonl: [Errno 28] No space"}) == 1
    assert exit_status({**whole, "stop/signal": "SIGINT"}) == 130
    assert exit_status({**whole, "stop/signal": "SIGTERM"}) == 143


def test_an_incomplete_crawl_never_replaces_the_feed(standin, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text(YESTERDAY, encoding="utf-8")
    aside = tmp_path / "out.incomplete.jsonl"
    site = standin(ban_after=3, ban_kind="403")
    banned = run(crawl_command(site.url, out))
    assert banned.returncode == 1
    assert out.read_text(encoding="utf-8") == YESTERDAY
    films = read_jsonl(aside)
    assert without_time(films) == expected_entries(site.url)[:30]
    assert (
        f"The crawl was incomplete, so {out} was left as it was; this crawl's 30 film(s) "
        f"are in {aside}." in banned.stderr
    )
    assert "Stored jsonl feed" not in banned.stderr  # Scrapy would name out.jsonl
    assert last_line(banned.stderr).endswith(
        f"The films collected are in {aside}. `scrapy crawl` exits with status 1."
    )
    # The next complete crawl replaces the feed and removes the incomplete films.
    good = run(crawl_command(standin().url, out))
    assert good.returncode == 0, good.stderr
    assert last_line(good.stderr).endswith("Board complete: all 100 films collected.")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 100
    assert not aside.exists()
    assert f"Removed {aside}, the films of an earlier incomplete crawl" in good.stderr


def test_a_symlinked_feed_is_written_through_the_link(standin, tmp_path) -> None:
    (tmp_path / "feeds").mkdir()
    target = tmp_path / "feeds" / "top100.jsonl"
    target.write_text(YESTERDAY, encoding="utf-8")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    proc = run(crawl_command(standin().url, link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 100


def test_a_finished_job_folder_starts_a_new_crawl(standin, tmp_path) -> None:
    site = standin()
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    command = crawl_command(site.url, out, "-s", f"JOBDIR={job}")
    first = run(command)
    assert first.returncode == 0, first.stderr
    asked = len(site.board_requests())
    again = run(command)  # the next morning, the same cron line
    assert again.returncode == 0, again.stderr
    assert (
        f"JOBDIR {job}: its last crawl of the desktop source's top100 board ended complete, "
        "so this is a new crawl (every page is fetched again)." in again.stderr
    )
    fetched = [path for path, status in site.board_requests()[asked:] if status == 200]
    assert fetched == [f"/board/4?offset={offset}" for offset in range(0, 100, 10)]
    assert "dupefilter/filtered" not in again.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 100


def test_a_job_folder_of_another_source_is_a_usage_error(standin, tmp_path) -> None:
    site = standin()
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    assert run(crawl_command(site.url, out, "-s", f"JOBDIR={job}")).returncode == 0
    before = len(site.log.snapshot())
    mobile = crawl_command(site.url, out, "-s", f"JOBDIR={job}", "-a", "source=mobile")
    mobile += [
        "-s",
        f"MAOYAN_MOBILE_BASE_URL={site.url}",
        "-s",
        f"MAOYAN_MOBILE_API_URL={site.url}",
    ]
    proc = run(mobile)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"scrapy crawl board: error: JOBDIR={job} holds a job of the desktop source's top100 "
        "board, and this crawl is of the mobile source's top100 board: give each source and "
        "board a JOBDIR of its own (or remove this folder)"
    )
    assert len(site.log.snapshot()) == before  # not even robots.txt


def test_a_resumed_job_without_its_earlier_films_is_not_complete(standin, tmp_path) -> None:
    site = standin(ban_after=3, ban_kind="403")
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    command = crawl_command(site.url, out, "-s", f"JOBDIR={job}")
    assert run(command).returncode == 1
    (tmp_path / "out.incomplete.jsonl").unlink()  # someone cleaned the folder
    site.behaviour.ban_after = None
    resumed = run(command)
    assert resumed.returncode == 1
    assert "is gone: the feed will hold this run's films only" in resumed.stderr
    assert last_line(resumed.stderr).endswith(
        f"Board incomplete: the films of this job's earlier runs ({tmp_path}/"
        "out.incomplete.jsonl) are not in the feed with 70 of 100 films collected; missing "
        "ranks: 1-30; 0 page(s) failed. The films collected are in "
        f"{tmp_path / 'out.incomplete.jsonl'}. `scrapy crawl` exits with status 1."
    )
    assert len((tmp_path / "out.incomplete.jsonl").read_text().splitlines()) == 70


def wait_for_log(path: Path, text: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    def logged() -> bool:
        assert proc.poll() is None, path.read_text()
        return text in path.read_text(encoding="utf-8", errors="replace")

    wait_for(logged, seconds, f"{text!r} in the log")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_ban_backoff_stops_at_once(standin, tmp_path, signum, status) -> None:
    site = standin(ban_after=3, ban_kind="403")
    out, job, log = tmp_path / "out.jsonl", tmp_path / "job", tmp_path / "crawl.log"
    out.write_text(YESTERDAY, encoding="utf-8")
    command = crawl_command(site.url, out, "-s", f"JOBDIR={job}", "-s", "MAOYAN_BAN_BACKOFF=60")
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, cwd=REPO, env=clean_env(), stderr=sink)
    try:
        wait_for_log(log, "backing off 60.0s", proc)
        asked = len(site.log.snapshot())
        signalled = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=20)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == status
    assert took < 5, f"took {took:.1f}s to stop"
    assert len(site.log.snapshot()) == asked  # no request after the signal
    name = signal.Signals(signum).name
    assert f"Received {name}: stopping the crawl now" in text
    assert "Spider closed (shutdown)" in text
    assert f"offset=30 not fetched: {name} was received" in text
    assert last_line(text).endswith(
        f"Board incomplete: the crawl was stopped by {name} with 30 of 100 films collected; "
        "missing ranks: 31-100; 0 page(s) failed. The films collected are in "
        f"{tmp_path / 'out.incomplete.jsonl'}. `scrapy crawl` exits with status {status}."
    )
    assert out.read_text(encoding="utf-8") == YESTERDAY
    # Resumable with the same command: the ban has lifted, the job fetches only what it
    # lacks, and the whole board, the earlier run's films first, replaces the feed.
    site.behaviour.ban_after = None
    asked = len(site.board_requests())
    resumed = run(command)
    assert resumed.returncode == 0, resumed.stderr
    fetched = [path for path, code in site.board_requests()[asked:] if code == 200]
    assert fetched == [f"/board/4?offset={offset}" for offset in range(30, 100, 10)]
    films = read_jsonl(out)
    assert without_time(films) == expected_entries(site.url)
    assert not (tmp_path / "out.incomplete.jsonl").exists()


def test_a_second_ctrl_c_ends_the_crawl_there_and_then(tmp_path) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    out.write_text(YESTERDAY, encoding="utf-8")
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        command = crawl_command(url, out, "-s", "DOWNLOAD_TIMEOUT=90", "-s", "ROBOTSTXT_OBEY=0")
        with log.open("wb") as sink:
            proc = subprocess.Popen(command, cwd=REPO, env=clean_env(), stderr=sink)
        try:
            wait_for_log(log, "Spider opened", proc)
            time.sleep(1)  # the first page is on the wire, waiting for an answer
            proc.send_signal(signal.SIGINT)
            wait_for_log(log, "Received SIGINT: stopping the crawl now", proc)
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130 and took < 5
    assert "Received SIGINT twice: ending at once" in last_line(log.read_text(encoding="utf-8"))
    assert out.read_text(encoding="utf-8") == YESTERDAY


def test_a_page_that_cannot_be_saved_still_stops_as_unreadable(standin, crawl, tmp_path) -> None:
    site = standin(redesigned=True)
    (tmp_path / "a-file").write_text("not a folder")
    result = crawl(site.url, env={"MAOYAN_UNREADABLE_DIR": str(tmp_path / "a-file" / "pages")})
    assert result.returncode == 1
    assert "Spider closed (unreadable)" in result.log
    [error] = [line for line in result.log_lines("ERROR") if "Not a board page" in line]
    assert f"It could not be saved in {tmp_path / 'a-file' / 'pages'} (" in error
    assert "set MAOYAN_UNREADABLE_DIR to a writable folder" in error
    assert "Traceback" not in result.log
    assert site.board_requests() == [("/board/4?offset=0", 302), ("/board/4?offset=0", 200)]


def test_a_crawl_without_a_contact_says_so_once(standin, crawl) -> None:
    result = crawl(standin().url, env={"MAOYAN_CONTACT": ""})
    assert result.returncode == 0
    [warning] = result.log_lines("WARNING")
    assert "No contact in the User-Agent (Mozilla/5.0 (compatible; maoyan-board-crawler/" in warning
    assert "set MAOYAN_CONTACT to an e-mail address or URL" in warning
    with_contact = crawl(standin().url)
    assert with_contact.log_lines("WARNING") == []
