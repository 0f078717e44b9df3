"""What a run tells its user: the summary of a run, and what a file that is no feed is."""

from __future__ import annotations

import gzip
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from postprocess.chunks import source_name

#: How the summary names lines without a ``source`` (see ``records.source_of``).
UNSTATED = "unstated"


@dataclass
class Summary:
    """What a run did; ``lines == rejected + duplicates + written`` always, and
    ``lines == rejected + history_duplicates + history_written`` when it writes the
    history."""

    files: int = 0
    lines: int = 0
    blank_lines: int = 0
    rejected: int = 0
    duplicates: int = 0
    written: int = 0
    unparsed_release: int = 0
    unparsed_numbers: int = 0
    numbers_hidden: int = 0
    #: Usable lines by the source they came from (``desktop``, ``mobile``; ``unstated``
    #: for lines that name none, as feeds written before the mobile source).
    sources: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1
    output: str = ""
    #: The rejects file; ``None`` when no line was rejected (no file is written then).
    rejects: str | None = None
    #: The history table (one row per board, day and film), when the run writes it.
    history: str | None = None
    history_written: int = 0
    history_duplicates: int = 0
    history_days: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        rows = [
            ("written", self.written, f"-> {self.output}"),
            ("duplicates", self.duplicates, "(same board_id + movie_id; latest crawl kept)"),
            *(
                [
                    (
                        "history rows",
                        self.history_written,
                        f"-> {self.history} ({self.history_days:,} board day(s))",
                    ),
                    (
                        "history dups",
                        self.history_duplicates,
                        "(same board, day and film; latest crawl kept)",
                    ),
                ]
                if self.history
                else []
            ),
            ("rejected", self.rejected, f"-> {self.rejects}" if self.rejected else ""),
            ("unparsed release", self.unparsed_release, "(kept; release_date is null)"),
            ("unparsed numbers", self.unparsed_numbers, "(kept; box office / wish count null)"),
            ("hidden numbers", self.numbers_hidden, "(web-font digits, not decoded; null)"),
            ("blank lines", self.blank_lines, "(skipped)"),
        ]
        head = (
            f"post-process: {self.lines:,} lines from {self.files} feed file(s) "
            f"in {self.seconds:.1f} s with {self.workers} worker(s)"
        )
        by_source = ", ".join(f"{name} {count:,}" for name, count in sorted(self.sources.items()))
        return "\n".join(
            [
                head,
                *(f"  {name:<17}{count:>12,}  {note}".rstrip() for name, count, note in rows),
                *([f"  usable lines by source: {by_source}"] if by_source else []),
            ]
        )


class NoUsableLinesError(Exception):
    """The feeds hold lines, and not one of them is a feed line: not a JSON Lines feed."""


def not_feeds(feeds: list[str], lines_by_file: list[int], lines: int) -> str:
    """Which of the files are no feeds, and what they look like where that is easy to tell."""
    named = [
        f"{source_name(feed)} ({looks_like(feed)})"
        for feed, count in zip(feeds, lines_by_file, strict=True)
        if count
    ]
    return (
        f"not one of the {lines:,} line(s) read is a feed line: {'; '.join(named)} "
        f"{'is' if len(named) == 1 else 'are'} not a JSON Lines feed of `scrapy crawl board` "
        "(give the .jsonl files the crawl wrote)"
    )


def looks_like(feed: str) -> str:
    """What a file that is no feed seems to be, from its first bytes."""
    if feed == "-" or not Path(feed).is_file():
        return "a stream of no JSON lines"
    try:
        with (gzip.open if feed.endswith(".gz") else open)(feed, "rb") as file:
            head = file.read(4096)
    except (OSError, EOFError):
        return "damaged gzip data"
    if head.startswith(b"PAR1"):
        return "a Parquet file: a table, not a feed"
    if head.startswith(b"\x1f\x8b"):
        return "gzip data: name it .gz"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:200:2].count(0) > 50:
        return "UTF-16 text: save it as UTF-8"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the 4 KB mark
            try:
                head.decode("gb18030")
            except UnicodeDecodeError:
                return "binary data, or text in no encoding it can read"
            return "GB18030/GBK text, not UTF-8: convert it (iconv -f GB18030 -t UTF-8)"
        text = head[: error.start].decode("utf-8")
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in first and not first.lstrip().startswith(("{", "[")):
        return "a CSV table: a table, not a feed"
    return "text that is not JSON Lines"
