"""The post-process and the report in a daily job, when the input or the moment is wrong:
files that are no feeds, two runs at once, empty feeds with --history, streams, links,
rejects files, crawl times in the future, a damaged or missing history. Real processes,
real pipes; the good outputs of yesterday survive every failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from standin.feeds import feed_line, feed_record
from tests.helpers import FILMS, REPO, T1, T2, crawl_lines, folder_state, postprocess, read_jsonl


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"".join(crawl_lines(T1)))
    return path


@pytest.fixture
def kept(tmp_path: Path, feed: Path) -> Path:
    """Yesterday's good table, 100 films (101 lines with its header)."""
    table = tmp_path / "keep.csv"
    proc = postprocess(str(feed), "-o", str(table))
    assert proc.returncode == 0, proc.stderr
    assert len(table.read_text(encoding="utf-8-sig").splitlines()) == 101
    return table


def not_a_feed(kind: str, tmp_path: Path, feed: Path) -> Path:
    text = feed.read_text(encoding="utf-8")
    path = tmp_path / f"given.{kind}"
    if kind == "parquet":
        pd.read_json(feed, lines=True).to_parquet(path)
    elif kind == "csv":
        pd.read_json(feed, lines=True).to_csv(path, index=False)
    elif kind == "utf16":
        path.write_bytes(text.encode("utf-16"))
    elif kind == "gb18030":
        path.write_bytes(text.encode("gb18030"))
    else:
        path.write_bytes(os.urandom(20_000).replace(b"\n", b"\n\x00"))
    return path


@pytest.mark.parametrize(
    ("kind", "looks"),
    [
        ("parquet", "a Parquet file: a table, not a feed"),
        ("csv", "a CSV table: a table, not a feed"),
        ("utf16", "UTF-16 text: save it as UTF-8"),
        ("gb18030", "GB18030/GBK text, not UTF-8: convert it (iconv -f GB18030 -t UTF-8)"),
        ("random", "binary data, or text in no encoding it can read"),
    ],
)
def test_a_file_that_is_no_feed_fails_and_keeps_the_table(
    tmp_path, feed, kept, kind, looks
) -> None:
    given = not_a_feed(kind, tmp_path, feed)
    before = folder_state(tmp_path)
    proc = postprocess(str(given), "-o", str(kept), "--history", str(tmp_path / "h.parquet"))
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("python -m postprocess: failed: not one of the ")
    assert f"line(s) read is a feed line: {given} ({looks}) is not a JSON Lines feed" in line
    assert line.endswith(f"{kept} and its companions were left as they were")
    assert folder_state(tmp_path) == before  # the good table, and nothing new


def test_a_file_of_bad_lines_among_good_feeds_is_only_rejected(tmp_path, feed) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n")
    proc = postprocess(str(feed), str(bad), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0, proc.stderr
    [reject] = read_jsonl(tmp_path / "t.rejects.jsonl")
    assert reject["source"] == str(bad)


def test_history_over_feeds_without_lines_warns_like_the_table(tmp_path) -> None:
    empty = tmp_path / "empty.jl"
    empty.write_bytes(b"")
    for history in ("h.parquet", "h.csv", "h.jsonl"):
        proc = postprocess(str(empty), "-o", str(tmp_path / "t.csv"), "--history",
                           str(tmp_path / history))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "warning: the feeds hold no lines" in proc.stderr
        assert "Traceback" not in proc.stderr and "failed" not in proc.stderr
    assert len(pd.read_parquet(tmp_path / "h.parquet")) == 0
    assert list(pd.read_parquet(tmp_path / "h.parquet").columns)[:4] == [
        "board_id", "day", "rank", "movie_id",
    ]  # fmt: skip


def test_pipes_and_process_substitution_are_read_as_streams(tmp_path, feed) -> None:
    out = tmp_path / "t.jsonl"
    piped = subprocess.run(
        ["bash", "-c", '"$0" -m postprocess <(cat "$1") /dev/stdin -o "$2" < "$1"',
         sys.executable, str(feed), str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "200 lines from 2 feed file(s)" in piped.stdout
    assert len(read_jsonl(out)) == 100
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "postprocess", str(fifo), "-o", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with open_writer(fifo, proc) as writer:
        writer.write(feed.read_bytes())
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "100 lines from 1 feed file(s)" in stdout


def test_a_symlinked_output_is_written_through_the_link(tmp_path, feed) -> None:
    (tmp_path / "tables").mkdir()
    target = tmp_path / "tables" / "films-2026.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "films.csv"
    link.symlink_to(target)
    proc = postprocess(str(feed), "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 101


def test_no_rejects_file_without_rejects_and_none_shared(tmp_path, feed) -> None:
    stale = tmp_path / "films.csv.rejects.jsonl"
    stale.write_text('{"reason": "yesterday"}\n', encoding="utf-8")
    summary = tmp_path / "s.json"
    proc = postprocess(str(feed), "-o", str(tmp_path / "films.csv"), "--summary", str(summary))
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists()  # an earlier run's rejects are not today's
    numbers = json.loads(summary.read_text())
    assert numbers["rejects"] is None and numbers["history"] is None
    # Two tables of one stem: each has its own rejects file.
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n")
    for table in ("films.csv", "films.parquet"):
        proc = postprocess(str(feed), str(bad), "-o", str(tmp_path / table))
        assert proc.returncode == 0, proc.stderr
    assert [r["source"] for r in read_jsonl(tmp_path / "films.csv.rejects.jsonl")] == [str(bad)]
    assert len(read_jsonl(tmp_path / "films.parquet.rejects.jsonl")) == 1
    assert not (tmp_path / "films.rejects.jsonl").exists()


def test_a_crawl_time_in_the_future_is_a_reject(tmp_path) -> None:
    feed = tmp_path / "f.jsonl"
    future = {**feed_record(FILMS[0], 1, T2), "crawled_at": "2099-01-01T08:00:00Z"}
    feed.write_bytes(feed_line(feed_record(FILMS[0], 1, T1)) + feed_line(future))
    out = tmp_path / "t.jsonl"
    proc = postprocess(str(feed), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    [reject] = read_jsonl(tmp_path / "t.rejects.jsonl")
    assert reject["line"] == 2
    assert reject["reason"].startswith(
        "crawled_at is in the future: '2099-01-01T08:00:00Z' is more than a day ahead of this "
        "run's clock (20"
    )
    [row] = read_jsonl(out)
    assert row["last_seen"] == T1  # the future line did not win


def test_a_second_run_waits_for_the_first(tmp_path, feed) -> None:
    """The first run reads a pipe held open, so it is mid-run when the second starts."""
    out, summary = tmp_path / "t.csv", tmp_path / "s.json"
    fifo = tmp_path / "slow.fifo"
    os.mkfifo(fifo)
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"".join(crawl_lines(T2)[:50]))
    args = ["-o", str(out), "--summary", str(summary), "--workers", "1"]
    first = subprocess.Popen(
        [sys.executable, "-m", "postprocess", str(fifo), *args], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    writer = open_writer(fifo, first)  # the first run has opened the pipe: it holds the lock
    second = subprocess.Popen(
        [sys.executable, "-m", "postprocess", str(small), *args], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline and second.poll() is None:
            time.sleep(0.1)
            if time.monotonic() > deadline - 55:  # 5 s: the second run had time to finish
                break
        assert not out.exists() and second.poll() is None  # it waits
        writer.write(feed.read_bytes())
        writer.close()
        first_out = first.communicate(timeout=120)
        second_out = second.communicate(timeout=120)
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
    assert first.returncode == 0, first_out[1]
    assert second.returncode == 0, second_out[1]
    assert "waiting: another post-process run is writing outputs in" in second_out[1]
    # The published set is the second run's, whole: table and summary agree.
    numbers = json.loads(summary.read_text())
    assert numbers["written"] == 50 and numbers["files"] == 1
    assert len(pd.read_csv(out)) == 50


def open_writer(fifo: Path, reader: subprocess.Popen, seconds: float = 60):
    """The pipe's writing end, once ``reader`` has opened it (bounded: a reader that
    never opens it fails the test instead of hanging it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            handle = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            assert reader.poll() is None, reader.communicate()[1]
            assert time.monotonic() < deadline, "the run never opened the pipe"
            time.sleep(0.05)
            continue
        os.set_blocking(handle, True)
        return os.fdopen(handle, "wb")


def report(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "postprocess.report", *args],
        cwd=REPO, capture_output=True, text=True, timeout=120, **kwargs,
    )  # fmt: skip


def test_the_report_says_in_one_line_what_went_wrong(tmp_path, feed) -> None:
    history, page = tmp_path / "h.parquet", tmp_path / "report.html"
    assert postprocess(str(feed), "-o", str(tmp_path / "t.csv"), "--history",
                       str(history)).returncode == 0  # fmt: skip
    page.write_text("yesterday's report", encoding="utf-8")
    missing = report(str(tmp_path / "gone.parquet"), "-o", str(page))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"python -m postprocess.report: error: {tmp_path / 'gone.parquet'}: no such file"
    )
    table = pd.read_parquet(history)
    table.loc[3, "rank"] = None
    damaged = tmp_path / "damaged.parquet"
    table.to_parquet(damaged)
    broken = report(str(damaged), "-o", str(page))
    assert broken.returncode == 1
    [line] = broken.stderr.strip().splitlines()
    assert f"{damaged}: 1 row(s) have no rank (the first is row 4)" in line
    assert line.endswith(f"{page} left as it was")
    assert page.read_text(encoding="utf-8") == "yesterday's report"


def test_ctrl_c_in_the_report_is_one_line_and_130(tmp_path) -> None:
    fifo = tmp_path / "h.jsonl"
    os.mkfifo(fifo)  # the report waits on it, as on a slow disk
    page = tmp_path / "report.html"
    page.write_text("yesterday's report", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "postprocess.report", str(fifo), "-o", str(page)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with open_writer(fifo, proc):  # it has opened the pipe and waits for its data
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert stderr.strip() == f"python -m postprocess.report: interrupted; {page} left as it was"
    assert page.read_text(encoding="utf-8") == "yesterday's report"
