"""The report's command line.

Exit status: 0 when the report is written, 2 for a usage error or a history file it
cannot read or that does not exist (one line naming the file), 130 for Ctrl-C, 1 for
any other failure (a damaged history among them), each said in one line; the old
report is left as it was unless a new one is complete.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from postprocess.output import Staging
from postprocess.report.data import HistoryError, load_history
from postprocess.report.labels import LANGS

PROG = "python -m postprocess.report"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Show the boards' history (from `python -m postprocess ... --history`) "
        "as one offline HTML page.",
    )
    parser.add_argument("history", type=Path, metavar="HISTORY", help=".parquet, .csv or .jsonl")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="REPORT.html", help="the page to write"
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="zh-en",
        help="labels in Chinese with English beside them (default), Chinese, or English; "
        "titles and names are shown as the feed has them",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return report(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; {args.output} left as it was", file=sys.stderr)
        return 130


def report(args: argparse.Namespace) -> int:
    out: Path = args.output
    if out.suffix.lower() not in (".html", ".htm"):
        print(f"{PROG}: error: {out} should end in .html", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"{PROG}: error: output folder {out.parent} does not exist", file=sys.stderr)
        return 2
    try:
        history = load_history(args.history)
    except HistoryError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a damaged history: one clear line, not a traceback
        print(f"{PROG}: failed: {error}; {out} left as it was", file=sys.stderr)
        return 1
    if history.empty:
        print(f"{PROG}: error: {args.history} holds no rows: nothing to show", file=sys.stderr)
        return 2
    from postprocess.report.page import render_report  # matplotlib: only when drawing

    try:
        page = render_report(history, args.lang, source=args.history.name)
        with Staging([out]) as staging:
            staging.path(out).write_text(page, encoding="utf-8")
            staging.publish()
    except Exception as error:  # one clear line, not a traceback
        print(
            f"{PROG}: failed: {type(error).__name__}: {error}; {out} left as it was",
            file=sys.stderr,
        )
        return 1
    boards = history.groupby("board_id")["day"].agg(["min", "max", "nunique"])
    for board_id, row in boards.iterrows():
        print(f"{PROG}: board {board_id}: {row['nunique']} day(s), {row['min']} to {row['max']}")
    print(f"{PROG}: wrote {out} ({len(page.encode()) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
