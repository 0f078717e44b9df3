"""The post-process stage when things go wrong: colliding paths, damaged feeds, odd
input, kills and interrupts (real processes, real signals), and CSV injection."""

from __future__ import annotations

import csv
import functools
import gzip
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from postprocess.chunks import plan_chunks
from postprocess.worker import REPORT_BYTES, map_in_pool, map_range, start_worker
from standin.feeds import feed_line, feed_record
from tests.helpers import (
    FILMS,
    REPO,
    T1,
    T2,
    crawl_lines,
    folder_state,
    postprocess,
    read_jsonl,
    wait_for,
)


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"".join(crawl_lines(T1)))
    return path


# -- 1, 2: an output that is an input or another output, a missing folder ---------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{feed}", "-o", "{feed}"], "-o {feed} is also an input feed"),
        (["{feed}", "-o", "{dir}/./feed.jsonl"], "is also an input feed"),
        (["{feed}", "-o", "{dir}/link.jsonl"], "is also an input feed"),  # a symlink to it
        (["{feed}", "-o", "{dir}/t.jsonl", "--rejects", "{dir}/t.jsonl"], "are the same file"),
        (["{feed}", "-o", "{dir}/t.jsonl", "--rejects", "{feed}"], "is also an input feed"),
        (["{feed}", "-o", "{dir}/t.jsonl", "--summary", "{dir}/t.rejects.jsonl"], "same file"),
        (["{feed}", "-o", "{dir}/t.jsonl", "--summary", "{dir}/gone/s.json"], "does not exist"),
        (["{feed}", "-o", "{dir}/t.jsonl", "--rejects", "{dir}/gone/r.jsonl"], "does not exist"),
        (["{feed}", "-o", "{dir}"], "unknown output format"),
        (["{feed}", "-o", "{dir}/sub.csv"], "is a folder"),
        (["{dir}/sub.csv", "-o", "{dir}/t.csv"], "is a folder, not a feed file"),
        (["{feed}", "-o", "-"], "-o - (standard output) is not supported"),
        (["{dir}/*.none", "-o", "{dir}/t.csv"], "no feed file matches"),
    ],
)
def test_usage_errors_touch_nothing(tmp_path, feed, args, message) -> None:
    (tmp_path / "link.jsonl").symlink_to(feed)
    (tmp_path / "sub.csv").mkdir()
    (tmp_path / "t.jsonl").write_text("yesterday's table\n", encoding="utf-8")
    (tmp_path / "t.rejects.jsonl").write_text("yesterday's rejects\n", encoding="utf-8")
    before = folder_state(tmp_path)
    proc = postprocess(*(a.format(feed=feed, dir=tmp_path) for a in args))
    assert proc.returncode == 2, proc.stderr
    assert message.format(feed=feed) in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert folder_state(tmp_path) == before


# -- 11: a damaged .gz among several feeds ------------------------------------------------


def test_truncated_gzip_keeps_its_lines_and_the_other_feeds(tmp_path, feed) -> None:
    whole = gzip.compress(b"".join(crawl_lines(T2)), compresslevel=1)
    damaged = tmp_path / "b.jsonl.gz"
    damaged.write_bytes(whole[: len(whole) // 2])
    other = tmp_path / "c.jsonl"
    other.write_bytes(feed_line(feed_record(FILMS[0], 1, T2)))
    out, summary = tmp_path / "t.jsonl", tmp_path / "s.json"
    proc = postprocess(
        str(feed), str(damaged), str(other), "-o", str(out), "--summary", str(summary)
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{damaged}: the gzip data ends early (the file is truncated)" in proc.stderr
    assert "Traceback" not in proc.stderr
    [reject] = read_jsonl(tmp_path / "t.rejects.jsonl")
    kept = reject["line"] - 1  # the complete lines before the damage
    assert 0 < kept < 100
    assert reject["source"] == str(damaged) and "truncated" in reject["reason"]
    assert f"the {kept} complete line(s) before this point were read" in reject["reason"]
    numbers = json.loads(summary.read_text())
    assert numbers["lines"] == 100 + kept + 1 + 1  # feed, kept, the damage, other
    assert numbers["rejected"] == 1 and numbers["written"] == 100
    assert numbers["duplicates"] == kept + 1
    table = {row["movie_id"]: row for row in read_jsonl(out)}
    assert table[FILMS[0].movie_id]["times_seen"] == 3  # a.jsonl, b.jsonl.gz and c.jsonl


def test_a_file_that_is_no_gzip_is_a_reject_not_a_crash(tmp_path, feed) -> None:
    fake = tmp_path / "x.jsonl.gz"
    fake.write_bytes(b"".join(crawl_lines(T2)))
    proc = postprocess(str(feed), str(fake), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0, proc.stderr
    [reject] = read_jsonl(tmp_path / "t.rejects.jsonl")
    assert reject["source"] == str(fake) and reject["line"] == 1
    assert "the gzip data is damaged" in reject["reason"]


# -- 12: smaller things a user meets ------------------------------------------------------


def test_unexpanded_pattern_is_expanded_and_an_empty_one_skipped(tmp_path, feed) -> None:
    (tmp_path / "crawls").mkdir()
    feed.rename(tmp_path / "crawls" / "a.jsonl")
    out = tmp_path / "t.jsonl"
    proc = postprocess(
        f"{tmp_path}/crawls/*.jsonl", f"{tmp_path}/crawls/*.jsonl.gz", "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert f"warning: no feed file matches {tmp_path}/crawls/*.jsonl.gz" in proc.stderr
    assert len(read_jsonl(out)) == 100


def test_byte_order_mark_does_not_cost_the_first_line(tmp_path) -> None:
    feed = tmp_path / "bom.jsonl"
    feed.write_bytes(b"\xef\xbb\xbf" + b"".join(crawl_lines(T1)))
    proc = postprocess(str(feed), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert len(read_jsonl(tmp_path / "t.jsonl")) == 100
    assert not (tmp_path / "t.rejects.jsonl").exists()  # nothing rejected, no file


def test_run_without_lines_warns(tmp_path) -> None:
    empty = tmp_path / "out.jsonl"
    empty.write_bytes(b"")
    proc = postprocess(str(empty), "-o", str(tmp_path / "films.csv"))
    assert proc.returncode == 0
    assert "warning: the feeds hold no lines" in proc.stderr


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"rank": 1e30}, "rank is not a whole number written as one (like 7): 1e+30"),
        ({"rank": 3.0}, "rank is not a whole number written as one (like 7): 3.0"),
        ({"movie_id": "1203"}, "movie_id is not an integer: '1203'"),
    ],
)
def test_reject_reasons_say_what_is_wrong(tmp_path, change, reason) -> None:
    feed = tmp_path / "f.jsonl"
    good = feed_line(feed_record(FILMS[1], 2, T1))  # a run that keeps no line fails
    feed.write_bytes(good + feed_line({**feed_record(FILMS[0], 1, T1), **change}))
    proc = postprocess(str(feed), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert [r["reason"] for r in read_jsonl(tmp_path / "t.rejects.jsonl")] == [reason]


def test_release_of_the_wrong_type_is_counted_unparsed(tmp_path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(
        feed_line({**feed_record(FILMS[0], 1, T1), "release": 1994})
        + feed_line({**feed_record(FILMS[1], 2, T1), "release": ["1994"]})
        + feed_line({**feed_record(FILMS[2], 3, T1), "release": None})
    )
    summary = tmp_path / "s.json"
    proc = postprocess(str(feed), "-o", str(tmp_path / "t.jsonl"), "--summary", str(summary))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(summary.read_text())["unparsed_release"] == 2


def test_outputs_keep_the_mode_of_the_file_they_replace(tmp_path, feed) -> None:
    out = tmp_path / "t.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    proc = postprocess(str(feed), "-o", str(out), env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o644
    umask = os.umask(0o022)
    try:
        with_reject = tmp_path / "with-reject.jsonl"
        with_reject.write_bytes(feed.read_bytes() + b"not json\n")
        proc = postprocess(str(with_reject), "-o", str(tmp_path / "new.parquet"))
    finally:
        os.umask(umask)
    assert (tmp_path / "new.parquet").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "new.parquet.rejects.jsonl").stat().st_mode & 0o777 == 0o644


def test_progress_moves_with_the_bytes_read(tmp_path) -> None:
    feed = tmp_path / "big.jsonl"
    lines = crawl_lines(T1)
    with feed.open("wb") as out:
        while out.tell() < 3 * REPORT_BYTES:
            out.write(b"".join(lines))
    [chunk] = plan_chunks(str(feed), feed, 0, 1 << 30)
    steps: list[int] = []
    map_range(chunk, history=False, partitions=1, on_read=steps.append)
    assert len(steps) >= 3 and sum(steps) == feed.stat().st_size
    # Pool workers count into a shared number the parent's bar reads while they work.
    counted = multiprocessing.Value("q", 0)
    chunks = plan_chunks(str(feed), feed, 0, REPORT_BYTES // 2)
    task = functools.partial(map_in_pool, history=False, partitions=1)
    parent_alive = os.pipe()
    with multiprocessing.Pool(2, start_worker, (parent_alive, counted)) as pool:
        pool.map(task, chunks)
    for end in parent_alive:
        os.close(end)
    assert counted.value == feed.stat().st_size


# -- 14: CSV injection ---------------------------------------------------------------------


def test_csv_cells_that_would_be_formulas_are_text(tmp_path) -> None:
    titles = ['=HYPERLINK("http://evil.example","点我")', "+86", "-1", "@SUM(A1)", "霸王别姬"]
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(
        b"".join(
            feed_line({**feed_record(film, rank, T1), "title": title, "stars": "=1+1,张国荣"})
            for rank, (film, title) in enumerate(zip(FILMS, titles, strict=False), start=1)
        )
    )
    assert postprocess(str(feed), "-o", str(tmp_path / "t.csv")).returncode == 0
    assert postprocess(str(feed), "-o", str(tmp_path / "t.jsonl")).returncode == 0
    with (tmp_path / "t.csv").open(encoding="utf-8-sig", newline="") as table:
        rows = list(csv.DictReader(table))
    assert [row["title"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example","点我")',
        "'+86",
        "'-1",
        "'@SUM(A1)",
        "霸王别姬",
    ]
    assert {row["stars"] for row in rows} == {"'=1+1|张国荣"}
    assert [row["title"] for row in read_jsonl(tmp_path / "t.jsonl")] == titles


# -- 4, 12: kills and interrupts, with real processes and signals ---------------------------

#: The real command line, with each chunk's work slowed so that the workers are busy
#: when the signal comes (fork start: the workers run this __main__'s function).
SLOW_RUN = r"""
import os, sys, time
import postprocess.run
from postprocess.worker import map_in_pool

def slow_chunk(chunk, **options):
    os.write(1, b"worker busy\n")  # one write: the two workers' lines never mix
    time.sleep(60)
    return map_in_pool(chunk, **options)

postprocess.run.map_in_pool = slow_chunk
from postprocess.cli import main
sys.exit(main(sys.argv[1:]))
"""


#: Two workers, and chunks small enough that each has one.
SLOW_OPTIONS = ["--workers", "2", "--chunk-bytes", "4096"]


def child_pids(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start_slow_run(tmp_path: Path, feed: Path, out: Path) -> tuple[subprocess.Popen, set[int]]:
    spool = tmp_path / "spool"
    spool.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_RUN, str(feed), "-", "-o", str(out), *SLOW_OPTIONS],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(spool)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell gives a command
    )
    proc.stdin.write(b"".join(crawl_lines(T2)))
    proc.stdin.close()
    proc.stdin = None  # all written: communicate() has nothing to send
    assert proc.stdout.readline() == b"worker busy\n"

    def pool() -> set[int] | None:
        pids = child_pids(proc.pid)
        return pids if len(pids) >= 2 else None

    workers = wait_for(pool, 30, "the pool")
    return proc, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_exits_130_with_one_line_and_no_worker(tmp_path, feed) -> None:
    out = tmp_path / "t.jsonl"
    out.write_text("old\n", encoding="utf-8")
    proc, workers = start_slow_run(tmp_path, feed, out)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.decode().strip().splitlines() == [
        f"python -m postprocess: interrupted; {out} and its companions were left as they were"
    ]
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.jsonl", "spool", "t.jsonl"]
    assert list((tmp_path / "spool").iterdir()) == []
    assert not any(alive(pid) for pid in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_run_leaves_no_worker_and_the_next_run_cleans_up(tmp_path, feed) -> None:
    out = tmp_path / "t.jsonl"
    out.write_text("old\n", encoding="utf-8")
    proc, workers = start_slow_run(tmp_path, feed, out)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    wait_for(
        lambda: not any(alive(pid) for pid in workers), 10, "the workers to end with their parent"
    )
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert leftovers and all(name.startswith(".t.rejects.jsonl.") for name in leftovers)
    assert [p.name.split("-")[0] for p in (tmp_path / "spool").iterdir()] == ["postprocess"]
    assert out.read_text(encoding="utf-8") == "old\n"

    again = postprocess(
        str(feed), "-o", str(out), env={**os.environ, "TMPDIR": str(tmp_path / "spool")}
    )
    assert again.returncode == 0, again.stderr
    assert "removed 1 unfinished file(s) left by a run that was killed" in again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "feed.jsonl",
        "spool",
        "t.jsonl",
    ]  # fmt: skip (nothing was rejected: no rejects file)
    assert list((tmp_path / "spool").iterdir()) == []
    assert len(read_jsonl(out)) == 100
