"""The map step: what one pool worker does with one range of a feed.

A worker reads its own byte range, parses and checks every line, deduplicates within
the range, and splits what is left into partitions by film (board_id + movie_id): per
film where its winning line lies, first and last time seen, and a count; with
``--history``, a row per usable line, in columns. The reduce step
(:mod:`postprocess.reduce`) then takes one partition from every range, so each film is
merged and normalised once, by one worker, and the parent only orders and writes.

Normalising in the map step was measured slower once films are many (1,000,000 lines,
100,000 films, 2 workers): each range holds nearly every film, so each worker
normalised every film and the normalised rows cost more to pickle than the raw
winning lines. A pool worker writes each partition to a file in the run's spool
folder, which the reduce step reads: the parent never holds them.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from postprocess.chunks import Chunk
from postprocess.history import CrawlDays, CrawlKey, Crawls, DayRows
from postprocess.records import UNSTATED, RecordChecker

PR_SET_PDEATHSIG = 1
#: How much of its range a worker reads at a time.
READ_BLOCK_BYTES = 4 * 1024 * 1024
#: A reject's raw text is cut to this many characters; its file and line say where the rest is.
RAW_LIMIT = 2000

#: Told how many bytes this process has read, for the progress bar: set per process by
#: :func:`start_worker` (a pool worker) or by the run (when it works alone).
progress: Callable[[int], None] | None = None

Key = tuple[int, int]

#: A film as seen so far, as a list ``[offset, last_seen, order, first_seen, times_seen,
#: length, source, others]``: where the winning line starts in its file, its crawled_at
#: (the latest: the latest crawl wins), where it stands in the input (see
#: :func:`line_order`; it names the file), the earliest crawled_at, how many lines
#: showed the film, the winning line's length and source; ``others`` is ``None``, or
#: for a film that other sources showed too, the latest line of each of them, by
#: source, as ``[offset, crawled_at, order, length]``: the reduce step takes from the
#: one of the same day the fields the winning line lacks (a number one source hides).
#: The reduce step reads the winning line again from the file: holding every film's
#: line until then took 700 bytes a film in every worker. A list, not a dataclass:
#: 100,000 of them pickle in 0.1 s rather than 1.3 s.
Film = list[Any]
OFFSET, LAST_SEEN, ORDER, FIRST_SEEN, TIMES_SEEN, LENGTH, SOURCE, OTHERS = range(8)
#: Where an ``others`` line (see :data:`Film`) holds its offset, crawled_at, order, length.
OTHER_OFFSET, OTHER_WHEN, OTHER_ORDER, OTHER_LENGTH = range(4)


def file_of(order: int) -> int:
    """The file index a line's order (:func:`line_order`) names."""
    return order >> 80


def line_order(file_index: int, chunk_index: int) -> int:
    """Where line 0 of a chunk stands in the whole input, as one integer: add the line's
    number. Ties between equal crawl times go to the later line, whichever range it
    was in (a chunk holds fewer than 2**48 lines)."""
    return (file_index << 80) | (chunk_index << 48)


def partition_of(key: Key, partitions: int) -> int:
    """The partition of a film (board_id, movie_id); the same in every process."""
    return hash(key) % partitions


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
    #: Per partition: the films (``dict[Key, Film]``) and, with the history, the
    #: candidate columns; in a pool worker, the file that holds them (see :func:`unpack`).
    parts: list[Any] = field(default_factory=list)
    #: Usable lines by their ``source`` (``UNSTATED`` where a line states none).
    sources: dict[str, int] = field(default_factory=dict)
    #: The range's crawls: the latest dated line of each, and those with undated lines.
    crawls: Crawls = field(default_factory=dict)
    undated: set[CrawlKey] = field(default_factory=set)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a step builds its many small lists: they
    hold no cycles, and each collection would walk all of them again (a quarter of
    the map step's time with the history)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def unpack(part: Any) -> Any:
    """What a step left for the next: the objects themselves (one process), or the
    file a pool worker wrote them to, read once and removed."""
    if not isinstance(part, str):
        return part
    with open(part, "rb") as stored:
        content = pickle.load(stored)
    os.unlink(part)
    return content


def spool_part(part: Any, spool: str, chunk: Chunk, partition: int) -> str:
    """Write a partition for the reduce step. A file rather than the pool's pipe: the
    parent never holds the partitions nor copies them twice, and the file is written
    as it is pickled."""
    path = os.path.join(spool, f"part-{chunk.file_index}-{chunk.chunk_index}-{partition}.pickle")
    with open(path, "wb") as stored:
        pickle.dump(part, stored, pickle.HIGHEST_PROTOCOL)
    return path


def reject_reason(raw: bytes, error: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start + 1} of the line)"
    return f"not valid JSON: {error}"


def rejected_text(line: bytes) -> tuple[str, str]:
    """Why a line is no JSON (the error read from the line without its newline, so
    that its column and char count only the line), and its text."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError as error:
        return reject_reason(line, error), raw_text(line)
    raise AssertionError("called for a line that is valid JSON")


def raw_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…[cut]"


def chunk_lines(chunk: Chunk) -> tuple[int, Iterator[bytes]]:
    """Where a chunk's first line starts in its file, and the chunk's lines, each with
    its newline (the last may have none); a byte-order mark at the start of a file
    (Windows editors write one) is no part of its first line."""
    feed = open(chunk.path, "rb")  # noqa: SIM115 (closed by the generator)
    feed.seek(chunk.start)
    if chunk.start == 0 and feed.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        feed.seek(0)
    return feed.tell(), lines_of(feed, chunk.end - feed.tell())


def lines_of(feed: IO[bytes], remaining: int) -> Iterator[bytes]:
    """The next ``remaining`` bytes of ``feed`` as lines, the file closed at the end.

    The file's own line iterator, which is C: splitting blocks in Python cost a sixth
    of the map step. Progress is told every :data:`READ_BLOCK_BYTES`."""
    with feed:
        unreported = 0
        for line in feed:
            yield line
            remaining -= len(line)
            unreported += len(line)
            if unreported >= READ_BLOCK_BYTES and progress is not None:
                progress(unreported)
                unreported = 0
            if remaining <= 0:
                break
        if unreported and progress is not None:
            progress(unreported)


def without_newline(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\n") else line


def process_chunk(
    chunk: Chunk, history: bool = False, partitions: int = 1, spool: str | None = None
) -> ChunkResult:
    """Parse, check and deduplicate one chunk; with ``history``, also keep a history
    candidate per usable line. What is left is split into ``partitions`` by film;
    with ``spool`` (a folder: in a pool worker), each partition is written there and
    the result names the files."""
    with gc_paused():
        result = ChunkResult(chunk.file_index, chunk.chunk_index)
        days = DayRows(partitions) if history else None
        crawl_days = CrawlDays()
        films: dict[Key, Film] = {}
        rejects = result.rejects
        check = RecordChecker()
        sources = result.sources
        loads = orjson.loads
        base = line_order(chunk.file_index, chunk.chunk_index)
        number = 0
        position, lines = chunk_lines(chunk)
        for number, raw in enumerate(lines, start=1):
            offset = position
            position += len(raw)
            if raw.isspace():  # a line holds at least its newline
                result.blank_lines += 1
                continue
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError:
                rejects.append((number, *rejected_text(without_newline(raw))))
                continue
            reason, when = check(obj)
            if reason is not None:
                rejects.append((number, reason, raw_text(without_newline(raw))))
                continue
            source = obj.get("source")
            if type(source) is not str or not source:
                source = UNSTATED
            sources[source] = sources.get(source, 0) + 1
            key = (obj["board_id"], obj["movie_id"])
            day, crawl_day = crawl_days.add(obj, when, base + number, source)
            if days is not None:
                days.add(obj, when, source, partition_of(key, partitions), day, crawl_day)
            film = films.get(key)
            if film is None:
                films[key] = [offset, when, base + number, when, 1, len(raw), source, None]
                continue
            film[TIMES_SEEN] += 1
            if when < film[FIRST_SEEN]:
                film[FIRST_SEEN] = when
            if source != film[SOURCE]:
                add_line(film, [offset, when, base + number, len(raw)], source)
            elif when >= film[LAST_SEEN]:  # later in the chunk: a tie goes to this line
                film[OFFSET], film[LAST_SEEN], film[ORDER] = offset, when, base + number
                film[LENGTH] = len(raw)
        result.line_count = number
        result.lines = number - result.blank_lines
        if partitions == 1:
            split = [films]
        else:
            split = [{} for _ in range(partitions)]
            for key, film in films.items():
                split[partition_of(key, partitions)][key] = film
        candidates = days.columns() if days is not None else [None] * partitions
        result.crawls, result.undated = crawl_days.crawls, crawl_days.undated
        result.parts = [
            spool_part(part, spool, chunk, index) if spool else part
            for index, part in enumerate(zip(split, candidates, strict=True))
        ]
        return result


def start_worker(parent: int, bytes_read: Any) -> None:
    """Pool initializer: Ctrl-C is the parent's to handle (one message, exit 130,
    no traceback from each worker), SIGTERM ends the worker; the worker dies with its
    parent, so a killed run leaves no orphan; and it counts the bytes it reads in
    ``bytes_read``."""
    global progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Pool.terminate() ends workers with SIGTERM: a handler the parent process installed
    # (a program embedding the post-process, a Twisted reactor) must not outlive the fork.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)

    def count(size: int) -> None:
        with bytes_read.get_lock():
            bytes_read.value += size

    progress = count


def die_with_parent(parent: int) -> None:
    """Linux kills this process when its parent dies (``PR_SET_PDEATHSIG``); elsewhere
    a thread watches for the parent to be gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the call
                    os._exit(1)
                return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def add_line(film: Film, line: list[Any], source: str) -> None:
    """One more line of ``film``, as ``[offset, crawled_at, order, length]``: of the
    winning line's source, it wins if it is later; of another source, it wins if it is
    later (the winning line, demoted, is kept as its source's), else it is kept as its
    source's latest line if it is that."""
    if source == film[SOURCE]:
        if (line[OTHER_WHEN], line[OTHER_ORDER]) > (film[LAST_SEEN], film[ORDER]):
            film[OFFSET], film[LAST_SEEN], film[ORDER], film[LENGTH] = line
        return
    if (line[OTHER_WHEN], line[OTHER_ORDER]) > (film[LAST_SEEN], film[ORDER]):
        demoted = [film[OFFSET], film[LAST_SEEN], film[ORDER], film[LENGTH]]
        demoted_source = film[SOURCE]
        film[OFFSET], film[LAST_SEEN], film[ORDER], film[LENGTH] = line
        film[SOURCE] = source
        others = film[OTHERS]
        if others is not None:
            others.pop(source, None)
        line, source = demoted, demoted_source
    others = film[OTHERS]
    if others is None:
        others = film[OTHERS] = {}
    kept = others.get(source)
    if kept is None or (line[OTHER_WHEN], line[OTHER_ORDER]) > (
        kept[OTHER_WHEN],
        kept[OTHER_ORDER],
    ):
        others[source] = line


def merge_films(total: dict[Key, Film], part: dict[Key, Film]) -> None:
    """Fold one chunk's films into the running table: the latest crawled_at wins
    (ties: the later line), first seen is the earliest, the counts add up; each other
    source's latest line is kept beside the winning one."""
    for key, film in part.items():
        known = total.get(key)
        if known is None:
            total[key] = film
            continue
        if film[SOURCE] != known[SOURCE]:
            add_line(
                known, [film[OFFSET], film[LAST_SEEN], film[ORDER], film[LENGTH]], film[SOURCE]
            )
        elif (film[LAST_SEEN], film[ORDER]) > (known[LAST_SEEN], known[ORDER]):
            # add_line's first case, without a list per film: the common case, one source
            known[OFFSET], known[LAST_SEEN], known[ORDER] = (
                film[OFFSET],
                film[LAST_SEEN],
                film[ORDER],
            )
            known[LENGTH] = film[LENGTH]
        for source, line in (film[OTHERS] or {}).items():
            add_line(known, line, source)
        if film[FIRST_SEEN] < known[FIRST_SEEN]:
            known[FIRST_SEEN] = film[FIRST_SEEN]
        known[TIMES_SEEN] += film[TIMES_SEEN]
