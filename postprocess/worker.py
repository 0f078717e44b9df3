"""What one pool worker does with one chunk, and how the parent merges the results.

A worker reads its own byte range, parses and checks every line, deduplicates within
the range, normalises only the survivors, and returns a compact partial result: per
film the winning row, first and last time seen, and a count. The parent folds those
into one table whose size grows with the number of distinct films, not of lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from postprocess.chunks import Chunk
from postprocess.records import RecordChecker, normalise_record

#: How much of its range a worker reads at a time.
READ_BLOCK_BYTES = 4 * 1024 * 1024
#: A reject's raw text is cut to this many characters; its file and line say where the rest is.
RAW_LIMIT = 2000

Key = tuple[int, int]
#: Where a line stands in the whole input: (file index, chunk index, line in chunk).
Order = tuple[int, int, int]


@dataclass(slots=True)
class FilmState:
    """One film (``board_id``, ``movie_id``) as seen so far."""

    row: Any  # the winning line: its dict until normalised, then the row tuple
    unparsed_release: bool
    #: The latest crawled_at, which is the winning line's: the latest crawl wins.
    last_seen: str
    win_order: Order
    first_seen: str
    times_seen: int

    def absorb(self, other: FilmState) -> None:
        """Fold in the same film seen elsewhere: latest crawled_at wins, ties the later line."""
        if (other.last_seen, other.win_order) > (self.last_seen, self.win_order):
            self.row, self.unparsed_release = other.row, other.unparsed_release
            self.last_seen, self.win_order = other.last_seen, other.win_order
        self.first_seen = min(self.first_seen, other.first_seen)
        self.times_seen += other.times_seen


@dataclass
class ChunkResult:
    file_index: int
    chunk_index: int
    line_count: int = 0  # every line, blank ones too: to number the next chunk's lines
    blank_lines: int = 0
    lines: int = 0  # non-blank
    rejects: list[tuple[int, str, str]] = field(
        default_factory=list
    )  # (line in chunk, reason, raw)
    films: dict[Key, FilmState] = field(default_factory=dict)


def reject_reason(raw: bytes, error: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start + 1} of the line)"
    return f"not valid JSON: {error}"


def raw_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…[cut]"


def read_lines(chunk: Chunk, block_bytes: int = READ_BLOCK_BYTES) -> Iterator[bytes]:
    """The lines of a chunk (without newlines), read a block at a time."""
    with open(chunk.path, "rb") as feed:
        feed.seek(chunk.start)
        remaining = chunk.end - chunk.start
        tail = b""
        while remaining > 0:
            block = feed.read(min(block_bytes, remaining))
            if not block:
                break
            remaining -= len(block)
            lines = (tail + block).split(b"\n")
            tail = lines.pop()
            yield from lines
        if tail:
            yield tail  # a last line without a newline


def process_chunk(chunk: Chunk) -> ChunkResult:
    """Parse, check and deduplicate one chunk; normalise its surviving films."""
    result = ChunkResult(chunk.file_index, chunk.chunk_index)
    films = result.films
    rejects = result.rejects
    check = RecordChecker()
    loads = orjson.loads
    number = 0
    for number, raw in enumerate(read_lines(chunk), start=1):
        if not raw or raw.isspace():
            result.blank_lines += 1
            continue
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as error:
            rejects.append((number, reject_reason(raw, error), raw_text(raw)))
            continue
        reason, when = check(obj)
        if reason is not None:
            rejects.append((number, reason, raw_text(raw)))
            continue
        key = (obj["board_id"], obj["movie_id"])
        state = films.get(key)
        if state is None:
            order = (chunk.file_index, chunk.chunk_index, number)
            films[key] = FilmState(obj, False, when, order, when, 1)
            continue
        state.times_seen += 1
        if when < state.first_seen:
            state.first_seen = when
        if when >= state.last_seen:  # later in the chunk: a tie goes to this line
            state.row, state.last_seen = obj, when
            state.win_order = (chunk.file_index, chunk.chunk_index, number)
    result.line_count = number
    result.lines = number - result.blank_lines
    for state in films.values():
        state.row, state.unparsed_release = normalise_record(state.row)
    return result


def merge_films(total: dict[Key, FilmState], part: dict[Key, FilmState]) -> None:
    """Fold one chunk's films into the running table."""
    for key, state in part.items():
        known = total.get(key)
        if known is None:
            total[key] = state
        else:
            known.absorb(state)
