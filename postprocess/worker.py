"""What one pool worker does with one chunk, and how the parent merges the results.

A worker reads its own byte range, parses and checks every line, deduplicates within
the range, normalises only the survivors, and returns a compact partial result: per
film the winning row, first and last time seen, and a count. The parent folds those
into one table whose size grows with the number of distinct films, not of lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from postprocess.chunks import Chunk
from postprocess.records import check_record, normalise_record

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
    win_time: str
    win_order: Order
    first_seen: str
    last_seen: str
    times_seen: int

    def absorb(self, other: FilmState) -> None:
        """Fold in the same film seen elsewhere: latest crawled_at wins, ties the later line."""
        if (other.win_time, other.win_order) > (self.win_time, self.win_order):
            self.row, self.unparsed_release = other.row, other.unparsed_release
            self.win_time, self.win_order = other.win_time, other.win_order
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
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


def process_chunk(chunk: Chunk) -> ChunkResult:
    """Parse, check and deduplicate one chunk; normalise its surviving films."""
    with open(chunk.path, "rb") as feed:
        feed.seek(chunk.start)
        data = feed.read(chunk.end - chunk.start)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the chunk ends with a newline
    result = ChunkResult(chunk.file_index, chunk.chunk_index, line_count=len(lines))
    films = result.films
    time_keys: dict[str, str | None] = {}
    loads = orjson.loads
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            result.blank_lines += 1
            continue
        result.lines += 1
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as error:
            result.rejects.append((number, reject_reason(raw, error), raw_text(raw)))
            continue
        reason, when = check_record(obj, time_keys)
        if reason is not None:
            result.rejects.append((number, reason, raw_text(raw)))
            continue
        key = (obj["board_id"], obj["movie_id"])
        order = (chunk.file_index, chunk.chunk_index, number)
        state = films.get(key)
        if state is None:
            films[key] = FilmState(obj, False, when, order, when, when, 1)
            continue
        state.times_seen += 1
        if when < state.first_seen:
            state.first_seen = when
        if when > state.last_seen:
            state.last_seen = when
        if (when, order) > (state.win_time, state.win_order):
            state.row, state.win_time, state.win_order = obj, when, order
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
