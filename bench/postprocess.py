"""Post-process benchmark: wall time, lines/s and peak memory of all processes, against
the tools a data engineer would use instead.

    python -m bench.postprocess [--lines 1000000] [--rounds 3] [--workdir DIR]

Feeds, generated from the stand-in's films (realistic records, each line a time of its
own, each crawl dated by its day, so the history holds a row per line):
  * 1,000,000 lines, 10,000 distinct films over 100 crawls;
  * 1,000,000 lines, 100,000 distinct films over 10 crawls;
  * 250,000 lines, 10,000 distinct films over 25 crawls (memory against lines).
For each, interleaved round by round: the floor (read and JSON-parse every line in
one process, nothing else), ours with 1 and 2 workers, with and without ``--history``,
the same job in DuckDB (2 threads, with and without the history) and in polars (2
threads), and the script a pandas user writes first (read_json(lines=True),
drop_duplicates, to_json). Before any time is reported: ours with 1 and 2 workers must
write the same bytes, DuckDB's and polars' tables must equal ours on every column they
compute, DuckDB's history ours, and the naive script's films ours. Peak memory is the
largest sum of the proportional set size (PSS) of the process and all its children,
sampled every 20 ms in a round of its own (reading it slows what it reads): pages that
forked workers share with their parent count once, as they take memory once.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from bench.common import markdown_table, median, save
from bench.peers import agree
from standin.feeds import daily_crawls
from standin.films import synthetic_films

REPO = Path(__file__).resolve().parents[1]

FLOOR_SCRIPT = """
import sys, orjson
with open(sys.argv[1], "rb") as feed:
    for line in feed:
        orjson.loads(line)
"""

NAIVE_SCRIPT = """
import sys, pandas as pd
df = pd.read_json(sys.argv[1], lines=True)
df = df.sort_values("crawled_at").drop_duplicates(["board_id", "movie_id"], keep="last")
df.to_json(sys.argv[2], orient="records", lines=True, force_ascii=False)
"""


def generate(path: Path, films: int, crawls: int) -> None:
    with path.open("wb") as feed:
        # Each crawl dated by its own day, as daily crawls are: the history (--history)
        # then holds films x crawls rows. Each line has a time of its own.
        lines = daily_crawls(
            synthetic_films(films), crawls, board_size=films, dated=True, line_times=True
        )
        for line in lines:
            feed.write(line)


#: How often the memory of the process tree is read, in the round that measures memory.
#: Reading PSS walks each process's page tables under its memory lock (every 20 ms it
#: slowed a 3-process run by 15 %), so the timed rounds do not read it.
SAMPLE_SECONDS = 0.02


def tree_memory(process: psutil.Process) -> int:
    """The PSS of a process and its children; processes that end while being read
    are left out of this sample."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_full_info().pss
    return total


def measure(command: list[str], memory: bool = False) -> tuple[float, int]:
    """Wall seconds of the command and, with ``memory``, the peak memory (PSS) of its
    whole process tree (0 without)."""
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while memory and process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, tree_memory(process))
        time.sleep(SAMPLE_SECONDS)
    process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, peak


FLOOR_RUN = "floor: read + JSON-parse"
OURS_1, OURS_2 = "postprocess --workers 1", "postprocess --workers 2"
OURS_1_HISTORY, OURS_2_HISTORY = f"{OURS_1} --history", f"{OURS_2} --history"
DUCKDB, DUCKDB_HISTORY = "DuckDB, 2 threads", "DuckDB, 2 threads, with the history"
POLARS = "polars, 2 threads"
NAIVE = "naive pandas script"


def variants(feed: Path, out: Path) -> dict[str, list[str]]:
    python = sys.executable

    def ours(workers: int, name: str, history: bool = False) -> list[str]:
        return [
            *(python, "-m", "postprocess", str(feed), "-o", str(out / f"{name}.jsonl")),
            *("--workers", str(workers)),
            *(("--history", str(out / f"{name}-history.parquet")) if history else ()),
        ]

    def peer(name: str, history: bool = False) -> list[str]:
        target = name + ("-h" if history else "")
        return [
            *(python, "-m", "bench.peers", name, str(feed), str(out / f"{target}.jsonl")),
            *(("--history", str(out / f"{target}-history.parquet")) if history else ()),
        ]

    return {
        FLOOR_RUN: [python, "-c", FLOOR_SCRIPT, str(feed)],
        OURS_1: ours(1, "w1"),
        OURS_2: ours(2, "w2"),
        OURS_1_HISTORY: ours(1, "h1", history=True),
        OURS_2_HISTORY: ours(2, "h2", history=True),
        DUCKDB: peer("duckdb"),
        DUCKDB_HISTORY: peer("duckdb", history=True),
        POLARS: peer("polars"),
        NAIVE: [python, "-c", NAIVE_SCRIPT, str(feed), str(out / "naive.jsonl")],
    }


def films_of(path: Path) -> set[tuple[int, int, int]]:
    table = pd.read_json(path, lines=True)
    return set(zip(table["board_id"], table["movie_id"], table["rank"], strict=True))


def check_outputs(name: str, out: Path, lines: int, films: int) -> None:
    """Every run did the same job: raise before any time is reported if not."""
    for one, two in [
        ("w1.jsonl", "w2.jsonl"),
        ("h1.jsonl", "h2.jsonl"),
        ("h1-history.parquet", "h2-history.parquet"),
        ("w2.jsonl", "h2.jsonl"),
    ]:
        if (out / one).read_bytes() != (out / two).read_bytes():
            raise RuntimeError(f"{name}: {one} and {two} differ; no time reported")
    ours = pd.read_json(out / "w2.jsonl", lines=True, dtype=False)
    if len(ours) != films:
        raise RuntimeError(f"{name}: {len(ours)} films written, {films} expected")
    for peer in ("duckdb.jsonl", "duckdb-h.jsonl", "polars.jsonl"):
        theirs = pd.read_json(out / peer, lines=True, dtype=False)
        agree(ours, theirs, f"{name}: {peer}")
    history = pd.read_parquet(out / "h2-history.parquet")
    if len(history) != lines or history.duplicated(["board_id", "day", "movie_id"]).any():
        raise RuntimeError(f"{name}: {len(history)} history rows, {lines} expected")
    agree(history, pd.read_parquet(out / "duckdb-h-history.parquet"), f"{name}: DuckDB history")
    if films_of(out / "naive.jsonl") != films_of(out / "w2.jsonl"):
        raise RuntimeError(f"{name}: the naive script's films differ; no time reported")


def ratios(times: dict[str, list[float]], peaks: dict[str, list[int]]) -> dict[str, float]:
    """The issue's targets: time and peak memory against DuckDB, 1 worker against 2."""

    def ratio(one: str, two: str) -> float:
        return round(median(times[one]) / median(times[two]), 2)

    def memory(one: str, two: str) -> float:
        return round(max(peaks[one]) / max(peaks[two]), 2)

    return {
        "workers2_vs_duckdb": ratio(OURS_2, DUCKDB),
        "workers1_vs_workers2": ratio(OURS_1, OURS_2),
        "memory_workers2_vs_duckdb": memory(OURS_2, DUCKDB),
        "history_workers2_vs_duckdb": ratio(OURS_2_HISTORY, DUCKDB_HISTORY),
        "history_workers1_vs_workers2": ratio(OURS_1_HISTORY, OURS_2_HISTORY),
        "history_memory_workers2_vs_duckdb": memory(OURS_2_HISTORY, DUCKDB_HISTORY),
        "workers2_vs_polars": ratio(OURS_2, POLARS),
        "naive_vs_workers2": ratio(NAIVE, OURS_2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.postprocess")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the generated feeds here")
    args = parser.parse_args(argv)
    shapes = [
        ("10k films", args.lines, 10_000),
        ("100k films", args.lines, 100_000),
        ("10k films, a quarter of the lines", args.lines // 4, 10_000),
    ]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-postprocess-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results, rows = [], []
    for name, lines, films in shapes:
        feed = workdir / f"feed-{lines}-{films}-line-times.jsonl"
        if not feed.exists():
            print(f"generating {feed.name} ({lines:,} lines, {films:,} films)...", flush=True)
            generate(feed, films, lines // films)
        runs = variants(feed, workdir)
        times: dict[str, list[float]] = {v: [] for v in runs}
        peaks: dict[str, list[int]] = {v: [] for v in runs}
        for _ in range(args.rounds):
            for variant, command in runs.items():
                times[variant].append(measure(command)[0])
            check_outputs(name, workdir, lines, films)
        for variant, command in runs.items():  # one more round, for memory only
            peaks[variant].append(measure(command, memory=True)[1])
        floor = median(times[FLOOR_RUN])
        duckdb = median(times[DUCKDB])
        duckdb_history = median(times[DUCKDB_HISTORY])
        figures = {"shape": name, "lines": lines, "films": films, "feed_bytes": feed.stat().st_size}
        for variant in runs:
            seconds, peak = median(times[variant]), max(peaks[variant])
            against = duckdb_history if "history" in variant else duckdb
            figures[variant] = {
                "seconds": round(seconds, 2),
                "rounds_seconds": [round(t, 2) for t in times[variant]],
                "peak_mib": round(peak / 2**20),
            }
            rows.append(
                [
                    name,
                    variant,
                    f"{seconds:.2f}",
                    f"{lines / seconds:,.0f}",
                    f"{seconds / floor:.2f}x",
                    f"{seconds / against:.2f}x",
                    f"{peak / 2**20:,.0f}",
                ]
            )
        figures["ratios"] = ratios(times, peaks)
        results.append(figures)
        print(f"{name}: {figures['ratios']}", flush=True)
    print()
    print(
        markdown_table(
            [
                "feed",
                "run",
                "seconds",
                "lines/s",
                "vs floor",
                "vs DuckDB",
                "peak MiB (PSS, all processes)",
            ],
            rows,
        )
    )
    print(f"\nfigures written to {save('postprocess', {'rounds': args.rounds, 'shapes': results})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
