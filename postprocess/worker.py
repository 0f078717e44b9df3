"""The map step: one byte range of a feed, each line checked and folded by film, the
films split by :func:`partition_of` so that the reduce step finds all of a film's."""

from __future__ import annotations

import codecs
import contextlib
import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from postprocess.chunks import Chunk, Reject
from postprocess.history import CrawlDays, CrawlKey, Crawls, DayRows
from postprocess.records import RecordChecker, source_of

#: How often, in bytes read, a range tells the progress bar.
REPORT_BYTES = 4 * 1024 * 1024
#: A reject's raw text is cut to this many characters; its file and line say where the rest is.
RAW_LIMIT = 2000

Key = tuple[int, int]  # (board_id, movie_id)
#: Where a line stands in the input: (file, range, line); a later line is greater.
Place = tuple[int, int, int]


class Line(NamedTuple):
    """A line kept to be read again by the reduce step."""

    when: str  # its crawled_at, as a time key
    place: Place
    raw: bytes


@dataclass(slots=True)
class Film:
    """A film's lines so far: the latest (a tie goes to the later line), when first
    seen, how often, and each other source's latest (to fill in what one source hides)."""

    when: str
    place: Place
    raw: bytes
    source: str | None
    first_seen: str
    times_seen: int = 1
    others: dict[str | None, Line] | None = None

    def __reduce__(self) -> tuple[type, tuple]:
        # As a tuple: the slots' default state pickles at half the speed (bench/README.md).
        state = (self.when, self.place, self.raw, self.source, self.first_seen)
        return Film, (*state, self.times_seen, self.others)

    def add(self, line: Line, source: str | None) -> None:
        """One more line of the film, from anywhere in the input."""
        if (line.when, line.place) > (self.when, self.place):
            if source != self.source:  # the latest line, demoted, stays as its source's
                others = self.others = self.others or {}
                others.pop(source, None)
                others[self.source] = Line(self.when, self.place, self.raw)
            self.when, self.place, self.raw, self.source = *line, source
        elif source != self.source:
            others = self.others = self.others or {}
            kept = others.get(source)
            if kept is None or (line.when, line.place) > (kept.when, kept.place):
                others[source] = line

    def fold(self, other: Film) -> None:
        """The same film as another range saw it."""
        self.add(Line(other.when, other.place, other.raw), other.source)
        for source, line in (other.others or {}).items():
            self.add(line, source)
        self.first_seen = min(self.first_seen, other.first_seen)
        self.times_seen += other.times_seen


def partition_of(key: Key, partitions: int) -> int:
    """The partition of a film; the same in every process."""
    return hash(key) % partitions


@dataclass
class Mapped:
    """What one range held. ``parts``: per partition, the films and the history's
    candidates (or, from a pool worker, the file that holds them: :func:`taken`)."""

    line_count: int = 0  # every line, blank ones too: to number the next range's lines
    blank_lines: int = 0
    rejects: list[Reject] = field(default_factory=list)
    sources: dict[str | None, int] = field(default_factory=dict)  # usable lines by source
    crawls: Crawls = field(default_factory=dict)  # the crawls' latest dated lines
    undated: set[CrawlKey] = field(default_factory=set)  # the crawls with undated lines
    parts: list[Any] = field(default_factory=list)

    @property
    def lines(self) -> int:  # non-blank
        return self.line_count - self.blank_lines


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a step builds its many small objects: they
    hold no cycles, and each collection would walk all of them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def handed_over(part: Any, spool: str | None, name: str) -> Any:
    """What one step leaves for the next: the objects (one process), or in a pool the
    file they are pickled to, so that the parent never holds nor copies them."""
    if spool is None:
        return part
    path = os.path.join(spool, f"{name}.pickle")
    with open(path, "wb") as stored:
        pickle.dump(part, stored, pickle.HIGHEST_PROTOCOL)
    return path


def taken(part: Any) -> Any:
    """What :func:`handed_over` left, its file read once and removed."""
    if not isinstance(part, str):
        return part
    with open(part, "rb") as stored:
        content = pickle.load(stored)
    os.unlink(part)
    return content


def reject_reason(raw: bytes) -> str:
    """Why a line is no JSON: the error read from the line without its newline, so that
    its column and char count only the line."""
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not valid UTF-8 (byte {bad.start + 1} of the line)"
        return f"not valid JSON: {error}"
    raise AssertionError("called for a line that is valid JSON")


def raw_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…[cut]"


def lines_of(chunk: Chunk, on_read: Callable[[int], None] | None) -> Iterator[bytes]:
    """The range's lines, with their newlines, ``on_read`` told the bytes read; a byte-
    order mark at the start of a file (Windows editors write one) is no part of a line."""
    with open(chunk.path, "rb") as feed:
        feed.seek(chunk.start)
        if chunk.start == 0 and feed.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            feed.seek(0)
        remaining, unreported = chunk.end - feed.tell(), 0
        for line in feed:
            yield line
            remaining -= len(line)
            unreported += len(line)
            if unreported >= REPORT_BYTES and on_read is not None:
                on_read(unreported)
                unreported = 0
            if remaining <= 0:
                break
        if unreported and on_read is not None:
            on_read(unreported)


def map_range(
    chunk: Chunk,
    *,
    history: bool,
    partitions: int,
    spool: str | None = None,
    on_read: Callable[[int], None] | None = None,
) -> Mapped:
    """Check every line of ``chunk``, keep each film's lines (:class:`Film`) and, with
    ``history``, a candidate row per usable line; split them into ``partitions``."""
    with gc_paused():
        mapped = Mapped()
        films: dict[Key, Film] = {}
        days = DayRows(partitions) if history else None
        crawl_days = CrawlDays()
        check = RecordChecker()
        loads, sources, rejects = orjson.loads, mapped.sources, mapped.rejects
        number = 0
        for number, raw in enumerate(lines_of(chunk, on_read), start=1):
            if raw.isspace():  # a line holds at least its newline
                mapped.blank_lines += 1
                continue
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError:
                text = raw.rstrip(b"\n")
                rejects.append(Reject(number, reject_reason(text), raw_text(text)))
                continue
            reason, when = check(obj)
            if reason is not None:
                rejects.append(Reject(number, reason, raw_text(raw.rstrip(b"\n"))))
                continue
            source = source_of(obj)
            sources[source] = sources.get(source, 0) + 1
            key = (obj["board_id"], obj["movie_id"])
            place = (chunk.file_index, chunk.chunk_index, number)
            day, crawl_day = crawl_days.add(obj, when, source)
            if days is not None:
                days.add(obj, when, source, partition_of(key, partitions), day, crawl_day)
            film = films.get(key)
            if film is None:
                films[key] = Film(when, place, raw, source, when)
                continue
            film.times_seen += 1
            if when < film.first_seen:
                film.first_seen = when
            if source != film.source:
                film.add(Line(when, place, raw), source)
            elif when >= film.when:  # later in the range: a tie goes to this line
                film.when, film.place, film.raw = when, place, raw
        mapped.line_count = number
        mapped.crawls, mapped.undated = crawl_days.crawls, crawl_days.undated
        split: list[dict[Key, Film]] = [{} for _ in range(partitions)]
        for key, film in films.items():
            split[partition_of(key, partitions)][key] = film
        candidates = days.columns() if days is not None else [None] * partitions
        name = f"map-{chunk.file_index}-{chunk.chunk_index}"
        mapped.parts = [
            handed_over(part, spool, f"{name}-{index}")
            for index, part in enumerate(zip(split, candidates, strict=True))
        ]
        return mapped


#: In a pool worker: the shared count of bytes read, for the parent's progress bar.
_bytes_read: Any = None


def start_worker(parent_alive: tuple[int, int], bytes_read: Any) -> None:
    """Pool initializer: Ctrl-C is the parent's; SIGTERM ends the worker; so does the
    parent's end of ``parent_alive`` closing (the parent gone), so no orphan is left."""
    global _bytes_read
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _bytes_read = bytes_read
    read_end, write_end = parent_alive
    os.close(write_end)  # the fork's copy: only the parent's may keep the pipe open

    def watch() -> None:
        os.read(read_end, 1)  # returns when the parent's end is closed
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def count_read(size: int) -> None:
    with _bytes_read.get_lock():
        _bytes_read.value += size


def map_in_pool(chunk: Chunk, **options: Any) -> Mapped:
    """:func:`map_range` in a pool worker, counting its bytes for the parent."""
    return map_range(chunk, on_read=count_read, **options)
