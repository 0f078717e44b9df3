"""Post-process benchmark: wall time, lines/s and peak memory of all processes.

    python -m bench.postprocess [--lines 1000000] [--rounds 3] [--workdir DIR]

Feeds, generated from the stand-in's films (realistic records):
  * 1,000,000 lines, 10,000 distinct films over 100 crawls;
  * 1,000,000 lines, 100,000 distinct films over 10 crawls;
  * 250,000 lines, 10,000 distinct films over 25 crawls (memory against lines).
For each, interleaved round by round: the floor (read and JSON-parse every line in
one process, nothing else), ``--workers 1``, ``--workers 2``, and the script a pandas
user writes first (read_json(lines=True), drop_duplicates, to_json). The naive
script's films must match ours before any time is reported. Peak memory is the
largest sum of the resident memory of the process and all its children, sampled
every 20 ms.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from bench.common import markdown_table, median, save
from standin.feeds import daily_crawls
from standin.films import synthetic_films

REPO = Path(__file__).resolve().parents[1]

FLOOR = """
import sys, orjson
with open(sys.argv[1], "rb") as feed:
    for line in feed:
        orjson.loads(line)
"""

NAIVE = """
import sys, pandas as pd
df = pd.read_json(sys.argv[1], lines=True)
df = df.sort_values("crawled_at").drop_duplicates(["board_id", "movie_id"], keep="last")
df.to_json(sys.argv[2], orient="records", lines=True, force_ascii=False)
"""


def generate(path: Path, films: int, crawls: int) -> None:
    with path.open("wb") as feed:
        # Each crawl dated by its own day, as daily crawls are: the history (--history)
        # then holds films x crawls rows.
        for line in daily_crawls(synthetic_films(films), crawls, board_size=films, dated=True):
            feed.write(line)


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of the command's whole process tree."""
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, peak


def variants(feed: Path, out_dir: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "floor: read + JSON-parse": [python, "-c", FLOOR, str(feed)],
        "postprocess --workers 1": [
            python,
            "-m",
            "postprocess",
            str(feed),
            "-o",
            str(out_dir / "w1.jsonl"),
            "--workers",
            "1",
        ],
        "postprocess --workers 2": [
            python,
            "-m",
            "postprocess",
            str(feed),
            "-o",
            str(out_dir / "w2.jsonl"),
            "--workers",
            "2",
        ],
        "postprocess --workers 2 --history": [
            python,
            "-m",
            "postprocess",
            str(feed),
            "-o",
            str(out_dir / "h2.jsonl"),
            "--workers",
            "2",
            "--history",
            str(out_dir / "history.parquet"),
        ],
        "naive pandas script": [python, "-c", NAIVE, str(feed), str(out_dir / "naive.jsonl")],
    }


def films_of(path: Path) -> set[tuple[int, int, int]]:
    table = pd.read_json(path, lines=True)
    return set(zip(table["board_id"], table["movie_id"], table["rank"], strict=True))


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
        feed = workdir / f"feed-{lines}-{films}.jsonl"
        if not feed.exists():
            print(f"generating {feed.name} ({lines:,} lines, {films:,} films)...", flush=True)
            generate(feed, films, lines // films)
        runs = variants(feed, workdir)
        times: dict[str, list[float]] = {v: [] for v in runs}
        peaks: dict[str, list[int]] = {v: [] for v in runs}
        for _ in range(args.rounds):
            for variant, command in runs.items():
                seconds, peak = measure(command)
                times[variant].append(seconds)
                peaks[variant].append(peak)
            ours = films_of(workdir / "w2.jsonl")
            if ours != films_of(workdir / "naive.jsonl") or ours != films_of(workdir / "w1.jsonl"):
                raise RuntimeError(f"{name}: the outputs disagree; no time reported")
            if len(ours) != films:
                raise RuntimeError(f"{name}: {len(ours)} films written, {films} expected")
            days = pd.read_parquet(workdir / "history.parquet", columns=["day", "movie_id"])
            if len(days) != lines or days.duplicated().any():
                raise RuntimeError(f"{name}: {len(days)} history rows, {lines} expected")
        floor = median(times["floor: read + JSON-parse"])
        figures = {"shape": name, "lines": lines, "films": films, "feed_bytes": feed.stat().st_size}
        for variant in runs:
            seconds, peak = median(times[variant]), max(peaks[variant])
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
                    f"{peak / 2**20:,.0f}",
                ]
            )
        w1 = median(times["postprocess --workers 1"])
        w2 = median(times["postprocess --workers 2"])
        naive = median(times["naive pandas script"])
        history = median(times["postprocess --workers 2 --history"])
        figures["ratios"] = {
            "history_vs_workers2": round(history / w2, 2),
            "workers2_vs_floor": round(w2 / floor, 2),
            "workers1_vs_workers2": round(w1 / w2, 2),
            "naive_vs_workers2": round(naive / w2, 2),
        }
        results.append(figures)
        print(
            f"{name}: 2 workers = {w2 / floor:.2f}x the floor (target <= 3.5x), "
            f"{w1 / w2:.2f}x faster than 1 worker (>= 1.5x), "
            f"{naive / w2:.2f}x faster than naive pandas (>= 4x); "
            f"--history takes {history / w2:.2f}x the time without",
            flush=True,
        )
    print()
    print(
        markdown_table(
            ["feed", "run", "seconds", "lines/s", "vs floor", "peak MiB (all processes)"], rows
        )
    )
    print(f"\nfigures written to {save('postprocess', {'rounds': args.rounds, 'shapes': results})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
