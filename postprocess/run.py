"""One post-process run, in steps: plan the inputs, map, reduce, check, write.

Every non-blank line ends in the table, the duplicates count or the rejects file, as
checked before anything is written. ``--workers N`` runs the steps of ``--workers 1``
over byte ranges and partitions in a process pool.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa

from postprocess.chunks import (
    Chunk,
    Reject,
    chunk_size,
    plan_chunks,
    readable_path,
    source_name,
    spool_directory,
)
from postprocess.history import CrawlKey, Crawls, latest_days, merge_crawls
from postprocess.output import Staging, output_lock, write_table
from postprocess.progress import RunProgress
from postprocess.records import Oddities
from postprocess.reduce import Reduced, ReduceOptions, reduce_partition
from postprocess.schema import FILMS, FILMS_ORDER, HISTORY, HISTORY_ORDER
from postprocess.summary import UNSTATED, NoUsableLinesError, Summary, not_feeds
from postprocess.worker import map_in_pool, map_range, start_worker

PROG = "python -m postprocess"


@dataclass
class Inputs:
    """The feeds as byte ranges, and the damage that cut a ``.gz`` feed short."""

    chunks: list[Chunk]
    damage: dict[int, Reject]  # by file index: where a .gz feed stops being readable


@dataclass
class MapTotals:
    """What the map step found in every range, in input order."""

    lines_by_file: list[int]
    blank_lines: int = 0
    rejected: int = 0
    sources: dict[str | None, int] = field(default_factory=dict)
    crawls: Crawls = field(default_factory=dict)
    undated: set[CrawlKey] = field(default_factory=set)
    partitions: list[list[Any]] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(self.lines_by_file)


@dataclass(frozen=True)
class Tables:
    """The outputs, ordered, with what the accounting found."""

    films: pa.Table
    history: pa.Table | None
    duplicates: int
    history_duplicates: int
    history_days: int
    oddities: Oddities


def run(
    feeds: list[str],
    out: Path,
    *,
    workers: int,
    rejects: Path,
    summary_path: Path | None = None,
    history_path: Path | None = None,
    chunk_bytes: int | None = None,
    progress: bool | None = None,
) -> Summary:
    """Post-process ``feeds`` into ``out`` and its companions, published together;
    ``chunk_bytes`` sets the size of the ranges (default: one per worker and file)."""
    started = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    targets = [out, rejects, *(path for path in (summary_path, history_path) if path)]
    with (
        output_lock(targets),
        Staging(targets) as staging,
        spool_directory() as spool,
        contextlib.ExitStack() as later,
    ):
        if staging.leftovers:
            print(
                f"{PROG}: removed {len(staging.leftovers)} unfinished file(s) left by a run "
                f"that was killed: {', '.join(str(p) for p in staging.leftovers)}",
                file=sys.stderr,
            )
        with staging.writer(rejects) as rejects_out:
            inputs = plan_inputs(feeds, spool=spool, workers=workers, chunk_bytes=chunk_bytes)
            for index, damage in inputs.damage.items():
                rejects_out.write(reject_line(source_name(feeds[index]), damage))
                print(f"{PROG}: {feeds[index]}: {damage.reason}", file=sys.stderr)
            size = sum(chunk.end - chunk.start for chunk in inputs.chunks)
            bar = later.enter_context(RunProgress(size, show))
            with worker_pool(min(workers, max(len(inputs.chunks), 1))) as processes:
                mapped = map_step(
                    inputs, workers=processes, files=len(feeds), history=history_path is not None,
                    spool=spool, rejects_out=rejects_out, bar=bar,
                )  # fmt: skip
                options = ReduceOptions(
                    history=history_path is not None,
                    crawls=mapped.crawls,
                    latest=latest_days(mapped.crawls, mapped.undated),
                )
                reduced = reduce_step(
                    mapped.partitions, workers=processes, options=options, bar=bar
                )
        if mapped.lines and mapped.lines == mapped.rejected:  # not one line kept
            raise NoUsableLinesError(not_feeds(feeds, mapped.lines_by_file, mapped.lines))
        tables = checked_tables(reduced, mapped)
        bar.reach(RunProgress.MAP_SHARE + RunProgress.REDUCE_SHARE, f"writing {out.name}")
        write_table(tables.films, FILMS, staging.path(out), out)
        if history_path and tables.history is not None:
            bar.reach(0.95, f"writing {history_path.name}")
            write_table(tables.history, HISTORY, staging.path(history_path), history_path)
        summary = Summary(
            files=len(feeds),
            lines=mapped.lines,
            blank_lines=mapped.blank_lines,
            rejected=mapped.rejected,
            duplicates=tables.duplicates,
            written=tables.films.num_rows,
            unparsed_release=tables.oddities.unparsed_release,
            unparsed_numbers=tables.oddities.unparsed_numbers,
            numbers_hidden=tables.oddities.numbers_hidden,
            sources=dict(sorted((source or UNSTATED, n) for source, n in mapped.sources.items())),
            seconds=round(time.perf_counter() - started, 3),
            workers=workers,
            output=str(out),
            rejects=str(rejects) if mapped.rejected else None,
            history=str(history_path) if history_path else None,
            history_written=tables.history.num_rows if tables.history is not None else 0,
            history_duplicates=tables.history_duplicates,
            history_days=tables.history_days,
        )  # fmt: skip
        if not mapped.rejected:  # no rejects file; one an earlier run of these outputs left goes
            staging.remove(rejects)
        if summary_path:
            with staging.writer(summary_path) as stream:
                stream.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2))
        staging.publish()
        bar.reach(1.0, "done")
    return summary


def plan_inputs(feeds: list[str], *, spool: Path, workers: int, chunk_bytes: int | None) -> Inputs:
    """Each feed as a plain file (a ``.gz`` feed or a stream spooled) cut into ranges."""
    chunks, damaged = [], {}
    for index, feed in enumerate(feeds):
        path, damage = readable_path(feed, spool, index)
        if damage is not None:
            damaged[index] = damage
        size = chunk_bytes or chunk_size(path.stat().st_size, workers)
        chunks += plan_chunks(source_name(feed), path, index, size)
    return Inputs(chunks, damaged)


@dataclass(frozen=True)
class Workers:
    """The run's processes: a pool, or for one worker none (the steps run here)."""

    count: int
    pool: multiprocessing.pool.Pool | None = None
    bytes_read: Any = None  # the bytes the pool's workers have read, shared at the fork


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Workers]:
    """The run's :class:`Workers`; on any error or interrupt the pool ends at once."""
    if workers <= 1:
        yield Workers(1)
        return
    bytes_read, parent_alive = multiprocessing.Value("q", 0), os.pipe()
    # Ctrl-C ignored from the workers' first instruction: one that came while a worker
    # was still starting would print that worker's traceback.
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = multiprocessing.Pool(workers, start_worker, (parent_alive, bytes_read))
    finally:
        signal.signal(signal.SIGINT, handler)
    try:
        with pool:  # terminated on leaving: every result is in by then, or the run failed
            yield Workers(workers, pool, bytes_read)
    finally:
        for end in parent_alive:
            os.close(end)


def in_order(
    workers: Workers, task: Callable, items: list, tick: Callable[[], None]
) -> Iterator[Any]:
    """``task`` over ``items``, results in order, in the pool or here; ``tick`` is
    called about every 0.2 s while a pool's next result is awaited."""
    if workers.pool is None:
        yield from map(task, items)
        return
    results = workers.pool.imap(task, items, chunksize=1)
    while True:
        try:
            yield results.next(timeout=0.2)
        except multiprocessing.TimeoutError:
            tick()
        except StopIteration:
            return


def map_step(
    inputs: Inputs,
    *,
    workers: Workers,
    files: int,
    history: bool,
    spool: Path,
    rejects_out: IO[bytes],
    bar: RunProgress,
) -> MapTotals:
    """Every range read (:func:`~postprocess.worker.map_range`); the rejects written in
    input order, numbered by their file's lines; each range's partitions gathered."""
    totals = MapTotals([0] * files, partitions=[[] for _ in range(workers.count)])
    for index in inputs.damage:  # a damaged .gz feed's broken last line: one reject
        totals.lines_by_file[index] += 1
        totals.rejected += 1
    if workers.pool is None:
        task = functools.partial(map_range, history=history, partitions=1, on_read=bar.read)
    else:
        task = functools.partial(map_in_pool, history=history, partitions=workers.count,
                                 spool=str(spool))  # fmt: skip
    line_offsets = [0] * files

    def tick() -> None:
        bar.read_so_far(workers.bytes_read.value)

    results = in_order(workers, task, inputs.chunks, tick)
    for chunk, mapped in zip(inputs.chunks, results, strict=True):
        offset = line_offsets[chunk.file_index]
        for reject in mapped.rejects:
            rejects_out.write(reject_line(chunk.source, reject._replace(line=offset + reject.line)))
        line_offsets[chunk.file_index] += mapped.line_count
        totals.lines_by_file[chunk.file_index] += mapped.lines
        totals.blank_lines += mapped.blank_lines
        totals.rejected += len(mapped.rejects)
        for source, count in mapped.sources.items():
            totals.sources[source] = totals.sources.get(source, 0) + count
        merge_crawls(totals.crawls, mapped.crawls)
        totals.undated |= mapped.undated
        for partition, part in zip(totals.partitions, mapped.parts, strict=True):
            partition.append(part)
        if workers.pool is not None:
            tick()
        bar.counted(lines=totals.lines)
    bar.reach(RunProgress.MAP_SHARE, "merging")
    return totals


def reduce_step(
    partitions: list[list[Any]],
    *,
    workers: Workers,
    options: ReduceOptions,
    bar: RunProgress,
) -> list[Reduced]:
    """Each partition folded and normalised (:func:`~postprocess.reduce.reduce_partition`)."""
    task = functools.partial(reduce_partition, options=options)
    reduced = []
    for result in in_order(workers, task, partitions, lambda: None):
        reduced.append(result)
        kept = sum(part.films.num_rows for part in reduced)
        bar.counted(lines=bar.lines, kept=kept)
        done = RunProgress.REDUCE_SHARE * len(reduced) / len(partitions)
        bar.reach(RunProgress.MAP_SHARE + done, "merging")
    return reduced


def checked_tables(reduced: list[Reduced], mapped: MapTotals) -> Tables:
    """The partitions' tables joined and ordered, once the lines add up:
    ``lines == rejected + duplicates + written`` (and the same for the history)."""
    films = ordered(pa.concat_tables([part.films for part in reduced]), FILMS_ORDER)
    usable = mapped.lines - mapped.rejected
    if sum(part.lines for part in reduced) != usable:
        raise RuntimeError(f"line accounting does not add up: {mapped.lines:,} lines read")
    oddities = Oddities()
    for part in reduced:
        oddities.add(part.oddities)
    history, history_duplicates, days = None, 0, 0
    if reduced[0].history is not None:
        history = ordered(pa.concat_tables([part.history for part in reduced]), HISTORY_ORDER)
        if sum(part.history_lines for part in reduced) != usable:
            raise RuntimeError(f"history accounting does not add up: {mapped.lines:,} lines")
        history_duplicates = usable - history.num_rows
        days = history.group_by(["board_id", "day"]).aggregate([]).num_rows
    return Tables(films, history, usable - films.num_rows, history_duplicates, days, oddities)


def ordered(table: pa.Table, order_by: tuple[str, ...]) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in order_by]).combine_chunks()


def reject_line(source: str, reject: Reject) -> bytes:
    """One line of the rejects file: where the input line was, why, and its text."""
    record = {"source": source, "line": reject.line, "reason": reject.reason, "raw": reject.raw}
    return orjson.dumps(record) + b"\n"
