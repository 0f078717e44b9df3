"""Cutting the input into pieces that pool workers read themselves.

Shipping lines through a pool costs more than the work on them, so the parent hands
out only ``(path, start, end)``: byte ranges that begin and end at line boundaries.
Standard input and gzip feeds cannot be read at an offset; they are spooled to a
temporary file first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from maoyan_common.files import process_alive

#: Spool folders are ``postprocess-PID-RANDOM`` in the temporary folder.
SPOOL_PREFIX = "postprocess-"
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


class Reject(NamedTuple):
    """A line that is no usable feed line (or where a ``.gz`` feed stops being readable)."""

    line: int  # in its range (the run adds the lines of the ranges before), or its file
    reason: str
    raw: str


@contextlib.contextmanager
def spool_directory() -> Iterator[Path]:
    """A temporary folder for spooled feeds, named with this run's PID so that a later
    run can remove what a killed run left (it may hold a copy of a large stdin)."""
    base = Path(tempfile.gettempdir())
    for folder in base.glob(f"{SPOOL_PREFIX}*"):
        pid = folder.name.removeprefix(SPOOL_PREFIX).partition("-")[0]
        if folder.is_dir() and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-") as folder:
        yield Path(folder)


def readable_path(feed: str, spool_dir: Path, file_index: int) -> tuple[Path, Reject | None]:
    """A plain file holding the feed's lines (the feed itself, or a spooled copy), and
    the damage that cut a ``.gz`` feed short, if any: the lines before it are kept."""
    stream = feed == "-" or not Path(feed).is_file()  # stdin, a named pipe, /dev/stdin
    if not stream and not feed.endswith(".gz"):
        return Path(feed), None
    spooled = spool_dir / f"feed-{file_index}.jsonl"
    with spooled.open("wb") as out, contextlib.ExitStack() as closing:
        source = sys.stdin.buffer if feed == "-" else closing.enter_context(open(feed, "rb"))
        if feed.endswith(".gz"):
            return spooled, spool_gzip(source, out)
        shutil.copyfileobj(source, out, 1024 * 1024)
        return spooled, None


def spool_gzip(source: IO[bytes], out: IO[bytes]) -> Reject | None:
    """Decompress ``source`` into ``out`` as far as it can be read, its broken last line
    a :class:`Reject` (zlib: :mod:`gzip` drops the data of the read that fails)."""
    lines, tail = 0, b""
    inflate = None  # the decompressor of the gzip member being read, if one is open
    problem = None
    try:
        while block := source.read(1024 * 1024):
            while block:
                inflate = inflate or zlib.decompressobj(wbits=31)
                data = inflate.decompress(block)
                lines += data.count(b"\n")
                head, newline, tail = (tail + data).rpartition(b"\n")
                out.write(head + newline)
                block = b""
                if inflate.eof:  # the end of one gzip member; another may follow
                    block, inflate = inflate.unused_data, None
        if inflate is not None:
            problem = "the gzip data ends early (the file is truncated)"
    except zlib.error as error:
        problem = f"the gzip data is damaged ({error})"
    if problem is None:
        out.write(tail)
        return None
    return Reject(
        lines + 1,
        f"{problem}: the {lines:,} complete line(s) before this point were read, "
        "the rest of the file is lost",
        tail.decode("utf-8", "backslashreplace")[:2000],
    )


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
