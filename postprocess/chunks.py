"""Cutting the input into pieces that pool workers read themselves.

Shipping lines through a pool costs more than the work on them, so the parent hands
out only ``(path, start, end)``: byte ranges that begin and end at line boundaries.
Standard input and gzip feeds cannot be read at an offset; they are spooled to a
temporary file first.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

#: Ranges smaller than this are not worth a task of their own.
MIN_CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Chunk:
    """A byte range of one feed; ``source`` is the feed's name as the user gave it."""

    source: str
    path: str
    file_index: int
    chunk_index: int
    start: int
    end: int


def source_name(feed: str) -> str:
    return "<stdin>" if feed == "-" else feed


def readable_path(feed: str, spool_dir: Path, file_index: int) -> Path:
    """A plain file holding the feed's lines: the feed itself, or a spooled copy."""
    if feed != "-" and not feed.endswith(".gz"):
        return Path(feed)
    spooled = spool_dir / f"feed-{file_index}.jsonl"
    with spooled.open("wb") as out:
        if feed == "-":
            shutil.copyfileobj(sys.stdin.buffer, out, 1024 * 1024)
        else:
            with gzip.open(feed, "rb") as source:
                shutil.copyfileobj(source, out, 1024 * 1024)
    return spooled


def chunk_size(size: int, workers: int) -> int:
    """One range per worker: each worker then deduplicates a whole share of the input
    and normalises and returns each of its films once. Small files stay whole."""
    return max(MIN_CHUNK_BYTES, -(-size // max(workers, 1)))


def plan_chunks(source: str, path: Path, file_index: int, chunk_bytes: int) -> list[Chunk]:
    """Ranges of about ``chunk_bytes``, each ending just after a newline (or at EOF)."""
    size = path.stat().st_size
    chunks: list[Chunk] = []
    start = 0
    with path.open("rb") as feed:
        while start < size:
            end = min(start + chunk_bytes, size)
            if end < size:
                feed.seek(end - 1)
                feed.readline()  # to the end of the line that holds byte end-1
                end = feed.tell()
            chunks.append(Chunk(source, str(path), file_index, len(chunks), start, end))
            start = end
    return chunks
