"""Post-process benchmark: wall time, lines/s and peak memory of all processes, against
the tools a data engineer would use instead.

    python -m bench.postprocess [--lines 1000000] [--rounds 3] [--workdir DIR]

Feeds, generated from the stand-in's films (realistic records, each line a time of its
own, each crawl dated by its day, so the history holds a row per line):
  * today's crawler feed (the 21 fields of ``maoyan.items.BoardEntry``), 1,000,000
    lines: 10,000 distinct films over 100 crawls, and 100,000 over 10 crawls;
  * ``--lines / 4`` lines each of: the first round's 12-field feed (no genres, numbers,
    source or blurb), a mobile feed (TOP100, most-expected and weekly box office, the
    first 20 films of each board page undated), every desktop board (box office in
    yuan and dollars, wish counts), and today's feed with 5 % of its lines cut short.
For each, interleaved round by round: the floor (read and JSON-parse every line in
one process, nothing else), ours with 1 and 2 workers, with and without ``--history``,
the same job in DuckDB (2 threads, with and without the history) and in polars (2
threads; not on the feed with bad lines, where it stops at the first), and on today's
feed the script a pandas user writes first (read_json(lines=True), drop_duplicates,
to_json). Before any time is reported: ours with 1 and 2 workers must write the same
bytes, DuckDB's and polars' tables must equal ours on every column they compute,
DuckDB's history ours, and the naive script's films ours. Peak memory is the
largest sum of the proportional set size (PSS) of the process and all its children,
sampled every 20 ms in a round of its own (reading it slows what it reads): pages that
forked workers share with their parent count once, as they take memory once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psutil

from bench.common import markdown_table, median, save
from bench.peers import agree
from standin.feeds import crawl_time, daily_crawls, feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS, synthetic_films

REPO = Path(__file__).resolve().parents[1]

FLOOR_SCRIPT = """
import sys, orjson
with open(sys.argv[1], "rb") as feed:
    for line in feed:
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
"""

NAIVE_SCRIPT = """
import sys, pandas as pd
df = pd.read_json(sys.argv[1], lines=True)
df = df.sort_values("crawled_at").drop_duplicates(["board_id", "movie_id"], keep="last")
df.to_json(sys.argv[2], orient="records", lines=True, force_ascii=False)
"""


@dataclass(frozen=True)
class Shape:
    name: str
    lines: int
    films: int  # distinct films of today's feed; of the others, as many as the boards hold
    kind: str = "today"  # today, first-round, mobile, all-boards, bad-lines

    @property
    def feed_name(self) -> str:
        if self.kind == "today":  # the name earlier runs gave it: --workdir reuses it
            return f"feed-{self.lines}-{self.films}-line-times.jsonl"
        return f"feed-{self.lines}-{self.kind}.jsonl"


#: The fields of the first round's feed (before numbers, sources and the mobile site).
FIRST_ROUND_FIELDS = (
    *("board_id", "rank", "movie_id", "title", "stars", "release", "score", "poster_url"),
    *("detail_url", "board_date", "page_url", "crawled_at"),
)


#: The first day of the feeds of small boards: a quarter of a million lines is years of
#: daily crawls, and a crawl time ahead of the clock is a reject (not so for the peers).
SMALL_BOARDS_START = datetime(2020, 1, 1, 2, tzinfo=UTC)


def shape_lines(shape: Shape) -> Iterator[bytes]:
    """The feed lines of ``shape``, each crawl a day of its own."""
    if shape.kind in ("today", "first-round", "bad-lines"):
        lines = daily_crawls(
            synthetic_films(shape.films), shape.lines // shape.films,
            board_size=shape.films, dated=True, line_times=True,
        )  # fmt: skip
        for number, line in enumerate(lines):
            if shape.kind == "first-round":
                record = json.loads(line)
                line = feed_line({name: record[name] for name in FIRST_ROUND_FIELDS})
            elif shape.kind == "bad-lines" and number % 20 == 19:
                line = line[: len(line) // 2] + b"\n"  # a line cut short: not JSON
            yield line
        return
    mobile = {39: BOARDS[4], 6: BOARDS[6], 56: BOARDS[1]}  # site board number: its films
    boards = mobile if shape.kind == "mobile" else BOARDS
    day_size = sum(len(films) for films in boards.values())
    for crawl in range(shape.lines // day_size):  # from 2020: years of days, none ahead
        day = crawl_time(crawl, SMALL_BOARDS_START)[:10]
        seconds = 0
        for board, films in boards.items():
            for rank, film in enumerate(films, start=1):
                when, seconds = crawl_time(crawl, SMALL_BOARDS_START, seconds), seconds + 1
                if shape.kind == "mobile":
                    undated = rank <= 20  # the board page's films; the JSON dates the rest
                    record = mobile_feed_record(film, rank, when, mobile_board=board,
                                                board_date=None if undated else day)  # fmt: skip
                else:
                    record = feed_record(film, rank, when, board_id=board, board_date=day)
                yield feed_line(record)


def generate(path: Path, shape: Shape) -> None:
    with path.open("wb") as feed:
        feed.writelines(shape_lines(shape))


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


def variants(feed: Path, out: Path, shape: Shape) -> dict[str, list[str]]:
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

    runs = {
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
    if shape.kind == "bad-lines":
        del runs[POLARS], runs[NAIVE]  # both stop at the first bad line
    elif shape.kind != "today":
        del runs[NAIVE]  # 18 s a round on today's feed, and no different elsewhere
    return runs


def films_of(path: Path) -> set[tuple[int, int, int]]:
    table = pd.read_json(path, lines=True)
    return set(zip(table["board_id"], table["movie_id"], table["rank"], strict=True))


def check_outputs(name: str, out: Path, runs: dict[str, list[str]]) -> None:
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
    for peer in ("duckdb.jsonl", "duckdb-h.jsonl", *(["polars.jsonl"] if POLARS in runs else [])):
        theirs = pd.read_json(out / peer, lines=True, dtype=False)
        agree(ours, theirs, f"{name}: {peer}")
    history = pd.read_parquet(out / "h2-history.parquet")
    if history.duplicated(["board_id", "day", "movie_id"]).any():
        raise RuntimeError(f"{name}: two history rows of one board, day and film")
    agree(history, pd.read_parquet(out / "duckdb-h-history.parquet"), f"{name}: DuckDB history")
    if NAIVE in runs and films_of(out / "naive.jsonl") != films_of(out / "w2.jsonl"):
        raise RuntimeError(f"{name}: the naive script's films differ; no time reported")


def ratios(times: dict[str, list[float]], peaks: dict[str, list[int]]) -> dict[str, float]:
    """The issue's targets: time and peak memory against DuckDB, 1 worker against 2."""

    def ratio(one: str, two: str) -> float | None:
        return (
            round(median(times[one]) / median(times[two]), 2)
            if one in times and two in times
            else None
        )

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
    small = args.lines // 4
    shapes = [
        Shape("today's feed, 10k films", args.lines, 10_000),
        Shape("today's feed, 100k films", args.lines, 100_000),
        Shape("first round's 12 fields", small, 10_000, "first-round"),
        Shape("mobile boards", small, 0, "mobile"),
        Shape("every desktop board", small, 0, "all-boards"),
        Shape("today's feed, 5 % bad lines", small, 10_000, "bad-lines"),
    ]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-postprocess-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results, rows = [], []
    for shape in shapes:
        name, lines = shape.name, shape.lines
        feed = workdir / shape.feed_name
        if not feed.exists():
            print(f"generating {feed.name} ({shape.name}, {lines:,} lines)...", flush=True)
            generate(feed, shape)
        runs = variants(feed, workdir, shape)
        times: dict[str, list[float]] = {v: [] for v in runs}
        peaks: dict[str, list[int]] = {v: [] for v in runs}
        for _ in range(args.rounds):
            for variant, command in runs.items():
                times[variant].append(measure(command)[0])
            check_outputs(name, workdir, runs)
        for variant, command in runs.items():  # one more round, for memory only
            peaks[variant].append(measure(command, memory=True)[1])
        floor = median(times[FLOOR_RUN])
        duckdb = median(times[DUCKDB])
        duckdb_history = median(times[DUCKDB_HISTORY])
        figures = {"shape": name, "lines": lines, "feed_bytes": feed.stat().st_size}
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
                    f"{name} ({lines:,} lines)",
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
