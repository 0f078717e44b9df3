"""``python -m postprocess FEED [FEED ...] -o OUT``: the command line.

Exit status: 0 on success (rejected lines included), 2 for a usage error (a missing
feed, an unknown output format) with a one-line message, 1 for any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from postprocess.output import FORMATS, atomic_writer
from postprocess.run import run

PROG = "python -m postprocess"


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
        help="where rejected lines go (default: OUT with .rejects.jsonl)",
    )
    parser.add_argument(
        "--summary", type=Path, metavar="SUMMARY.json", help="also write the run's summary as JSON"
    )
    parser.add_argument("--chunk-bytes", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out: Path = args.output
    if out.suffix.lower() not in FORMATS:
        return usage_error(
            f"unknown output format {out.suffix or '(none)'!r} for {out}: use {', '.join(FORMATS)}"
        )
    if not out.parent.is_dir():
        return usage_error(f"output folder {out.parent} does not exist")
    if args.feeds.count("-") > 1:
        return usage_error("standard input (-) can be read only once")
    for feed in args.feeds:
        if feed != "-" and not Path(feed).is_file():
            return usage_error(f"no such feed file: {feed}")
    if args.workers < 1 or (args.chunk_bytes is not None and args.chunk_bytes < 1):
        return usage_error("--workers must be at least 1")
    rejects = args.rejects or out.with_suffix(".rejects.jsonl")
    try:
        summary = run(
            args.feeds, out, workers=args.workers, rejects=rejects, chunk_bytes=args.chunk_bytes
        )
        if args.summary:
            with atomic_writer(args.summary) as stream:
                stream.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; {out} was left as it was", file=sys.stderr)
        return 1
    except Exception as error:  # a clear line, not a traceback, for the user
        print(
            f"{PROG}: failed: {type(error).__name__}: {error}; {out} was left as it was",
            file=sys.stderr,
        )
        return 1
    print(summary.render())
    return 0
