"""``python -m postprocess FEED [FEED ...] -o OUT``: the command line.

Exit status: 0 on success (rejected lines included), 2 for a usage error (a missing
feed, an unknown output format, an output that is also an input or another output)
with a one-line message, 130 for Ctrl-C, 1 for any other failure.
"""

from __future__ import annotations

import argparse
import glob
import os
import stat
import sys
from pathlib import Path

from postprocess.output import FORMATS
from postprocess.run import PROG, NoUsableLinesError, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Normalise and deduplicate Maoyan board feeds (JSON Lines from "
        "`scrapy crawl board -O`) into one table.",
    )
    parser.add_argument(
        "feeds", nargs="+", metavar="FEED", help="feed file, FILE.gz, or - for stdin"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="OUT",
        help="output table: .jsonl, .csv (UTF-8 with BOM) or .parquet",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes (default: the number of CPUs)",
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        metavar="REJECTS.jsonl",
        help="where rejected lines go, written only when a line is rejected (default: "
        "t.rejects.jsonl for -o t.jsonl, films.csv.rejects.jsonl for -o films.csv)",
    )
    parser.add_argument(
        "--summary", type=Path, metavar="SUMMARY.json", help="also write the run's summary as JSON"
    )
    parser.add_argument(
        "--history",
        type=Path,
        metavar="HISTORY",
        help="also write the boards' history, one row per board, day and film "
        "(.jsonl, .csv or .parquet); `python -m postprocess.report HISTORY` shows it",
    )
    parser.add_argument("--chunk-bytes", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


class UsageError(Exception):
    """A usage error: one line, exit 2, nothing touched."""


def expand_feeds(given: list[str]) -> tuple[list[str], list[str]]:
    """The feed files named, with shell patterns the shell left as they were expanded
    here (``crawls/*.jsonl.gz`` when there is no ``.gz``): a pattern that matches
    nothing is skipped (and returned, to warn of), as long as some feed is left."""
    feeds: list[str] = []
    unmatched: list[str] = []
    for name in given:
        path = Path(name)
        if name == "-" or path.is_file() or is_stream(path):
            feeds.append(name)
        elif path.is_dir():
            raise UsageError(f"{name} is a folder, not a feed file (give its files: {name}/*)")
        elif glob.has_magic(name):
            matches = sorted(p for p in glob.glob(name) if Path(p).is_file())
            if not matches:
                unmatched.append(name)
            feeds += matches
        else:
            raise UsageError(f"no such feed file: {name}")
    if not feeds:
        raise UsageError(f"no feed file matches {' '.join(given)}")
    if feeds.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    return feeds, unmatched


def is_stream(path: Path) -> bool:
    """A named pipe or a character device (``/dev/stdin``, ``<(zcat feed.gz)``): read
    once, as ``-`` is."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def default_rejects(out: Path) -> Path:
    """``t.jsonl`` -> ``t.rejects.jsonl``; ``films.csv`` -> ``films.csv.rejects.jsonl``:
    outputs of one stem in several formats never share a rejects file."""
    if out.suffix.lower() == ".jsonl":
        return out.with_suffix(".rejects.jsonl")
    return out.with_name(f"{out.name}.rejects.jsonl")


def same_file(a: Path, b: Path) -> bool:
    """The same file, through links and relative paths (and hard links, when both exist)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(feeds: list[str], outputs: dict[str, Path]) -> None:
    """Every output in an existing folder, none a folder, none the same file as an
    input or as another output: checked before any work, so a mistake costs nothing."""
    for option, path in outputs.items():
        if not path.parent.is_dir():
            raise UsageError(f"{option}: output folder {path.parent} does not exist")
        if path.is_dir():
            raise UsageError(f"{option}: {path} is a folder; give a file name")
    names = list(outputs.items())
    for index, (option, path) in enumerate(names):
        for other_option, other in names[index + 1 :]:
            if same_file(path, other):
                raise UsageError(f"{option} and {other_option} are the same file ({path})")
        for feed in feeds:
            if feed != "-" and same_file(path, Path(feed)):
                raise UsageError(
                    f"{option} {path} is also an input feed: the run would overwrite its own "
                    "input; write to another file"
                )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out: Path = args.output
    try:
        if str(out) == "-":
            raise UsageError(
                "-o - (standard output) is not supported: name a file ending in "
                f"{', '.join(FORMATS)}"
            )
        for option, path in (("-o", out), ("--history", args.history)):
            if path is not None and path.suffix.lower() not in FORMATS:
                raise UsageError(
                    f"{option}: unknown output format {path.suffix or '(none)'!r} for {path}: "
                    f"use {', '.join(FORMATS)}"
                )
        if args.workers < 1 or (args.chunk_bytes is not None and args.chunk_bytes < 1):
            raise UsageError("--workers must be at least 1")
        feeds, unmatched = expand_feeds(args.feeds)
        rejects = args.rejects or default_rejects(out)
        outputs = {"-o": out, "--rejects": rejects}
        if args.summary:
            outputs["--summary"] = args.summary
        if args.history:
            outputs["--history"] = args.history
        check_outputs(feeds, outputs)
    except UsageError as error:
        return usage_error(str(error))
    for pattern in unmatched:
        print(f"{PROG}: warning: no feed file matches {pattern}; going on without", file=sys.stderr)
    try:
        summary = run(
            feeds,
            out,
            workers=args.workers,
            rejects=rejects,
            summary_path=args.summary,
            history_path=args.history,
            chunk_bytes=args.chunk_bytes,
        )
    except NoUsableLinesError as error:
        print(f"{PROG}: failed: {error}; {out} and its companions were left as they were",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; {out} and its companions were left as they were", file=sys.stderr
        )
        return 130
    except Exception as error:  # a clear line, not a traceback, for the user
        print(
            f"{PROG}: failed: {type(error).__name__}: {error}; {out} and its companions were "
            "left as they were",
            file=sys.stderr,
        )
        return 1
    print(summary.render())
    if summary.lines == 0:
        print(
            f"{PROG}: warning: the feeds hold no lines, so {out} is an empty table. Was the "
            "crawl empty? Its log says why (`scrapy crawl` exits 1 for an incomplete board).",
            file=sys.stderr,
        )
    return 0
