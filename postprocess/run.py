"""One post-process run: plan chunks, fan them out to a process pool, merge, write.

Every non-blank input line ends in exactly one of: the table, the duplicates count,
or the rejects file (with its source and line number). The run checks that identity
before it writes anything.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from postprocess import worker
from postprocess.assemble import assemble
from postprocess.chunks import (
    Chunk,
    chunk_size,
    plan_chunks,
    readable_path,
    source_name,
    spool_directory,
)
from postprocess.history import CrawlKey, Crawls, latest_days, merge_crawls
from postprocess.output import Staging, is_jsonl, output_lock
from postprocess.progress import RunProgress
from postprocess.records import Oddities
from postprocess.reduce import (
    HISTORY_ORDER,
    TABLE_ORDER,
    PartResult,
    reduce_here,
    reduce_to_file,
)
from postprocess.worker import process_chunk, start_worker, unpack

PROG = "python -m postprocess"


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


@contextlib.contextmanager
def worker_map(workers: int, bytes_read: Any) -> Iterator[Callable[..., Iterable[Any]]]:
    """An ordered map over a process pool; one worker runs in this process.

    Workers ignore Ctrl-C and die with this process (see :func:`start_worker`); on
    any error or interrupt here the pool is terminated at once.
    """
    if workers <= 1:
        yield map
        return
    # Forked with Ctrl-C ignored from their first instruction: a Ctrl-C while a worker is
    # still starting (before its initializer) would print that worker's traceback.
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = multiprocessing.Pool(workers, start_worker, (os.getpid(), bytes_read))
    finally:
        signal.signal(signal.SIGINT, handler)
    try:
        yield lambda fn, items: pool.imap(fn, items, chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def as_they_come(results: Iterable[Any], tick: Callable[[], None]) -> Iterator[Any]:
    """The results in order, calling ``tick`` about every 0.2 s while waiting for the
    next one (to move the progress bar while the workers read)."""
    if not isinstance(results, multiprocessing.pool.IMapIterator):
        yield from results
        return
    while True:
        try:
            yield results.next(timeout=0.2)
        except multiprocessing.TimeoutError:
            tick()
        except StopIteration:
            return


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
    """Post-process ``feeds`` into ``out``; rejected lines go to ``rejects``, the
    summary (as JSON) to ``summary_path``, the boards' history to ``history_path``.
    All are published together at the end.

    ``chunk_bytes`` overrides the size of the ranges handed to workers (by default
    one range per worker and file), for tests and tuning.
    """
    started = time.perf_counter()
    summary = Summary(files=len(feeds), workers=workers, output=str(out))
    show = sys.stderr.isatty() if progress is None else progress
    bar_stack = contextlib.ExitStack()
    targets = [out, rejects, *(path for path in (summary_path, history_path) if path)]
    lines_by_file = [0] * len(feeds)
    with (
        bar_stack,
        output_lock(targets),
        Staging(targets) as staging,
        spool_directory() as spool,
    ):
        if staging.leftovers:
            print(
                f"{PROG}: removed {len(staging.leftovers)} unfinished file(s) left by a run "
                f"that was killed: {', '.join(str(p) for p in staging.leftovers)}",
                file=sys.stderr,
            )
        with staging.writer(rejects) as rejects_out:
            chunks = []
            for index, feed in enumerate(feeds):
                path, damage = readable_path(feed, spool, index)
                if damage is not None:
                    rejects_out.write(
                        reject_line(source_name(feed), damage.line, damage.reason, damage.raw)
                    )
                    summary.lines += 1
                    summary.rejected += 1
                    lines_by_file[index] += 1
                    print(f"{PROG}: {feed}: {damage.reason}", file=sys.stderr)
                size = chunk_bytes or chunk_size(path.stat().st_size, workers)
                chunks += plan_chunks(source_name(feed), path, index, size)
            bar = bar_stack.enter_context(
                RunProgress(sum(chunk.end - chunk.start for chunk in chunks), show)
            )
            paths = [""] * len(feeds)
            for chunk in chunks:
                paths[chunk.file_index] = chunk.path
            reduce = {
                "paths": paths,
                "table_lines": is_jsonl(out),
                "history_lines": history_path is not None and is_jsonl(history_path),
            }
            parts = map_reduce(
                chunks,
                len(feeds),
                workers,
                reduce,
                history_path is not None,
                not all(is_jsonl(path) for path in (out, history_path) if path),
                spool,
                summary,
                rejects_out,
                bar,
                lines_by_file,
            )
        if summary.lines and summary.lines == summary.rejected:  # not one line kept
            raise NoUsableLinesError(not_feeds(feeds, lines_by_file, summary.lines))
        summary.written = sum(part.written for part in parts)
        summary.duplicates = sum(part.lines for part in parts) - summary.written
        if summary.lines != summary.rejected + summary.duplicates + summary.written:
            raise RuntimeError(f"line accounting does not add up: {summary}")
        oddities = Oddities()
        for part in parts:
            oddities.add(part.oddities)
        summary.unparsed_release = oddities.unparsed_release
        summary.unparsed_numbers = oddities.unparsed_numbers
        summary.numbers_hidden = oddities.numbers_hidden
        bar.reach(RunProgress.MAP_SHARE + RunProgress.REDUCE_SHARE, f"writing {out.name}")
        assemble([part.films for part in parts], TABLE_ORDER).write(staging.path(out), out)
        if history_path:
            bar.reach(0.95, f"writing {history_path.name}")
            counted = sum(part.history_lines for part in parts)
            history = assemble(
                [part.history for part in parts if part.history is not None], HISTORY_ORDER
            )
            summary.history = str(history_path)
            summary.history_written = history.rows
            summary.history_duplicates = counted - history.rows
            summary.history_days = history.distinct(["board_id", "day"])
            if summary.lines != (
                summary.rejected + summary.history_duplicates + summary.history_written
            ):
                raise RuntimeError(f"history accounting does not add up: {summary}")
            history.write(staging.path(history_path), history_path)
        summary.seconds = round(time.perf_counter() - started, 3)
        if summary.rejected:
            summary.rejects = str(rejects)
        else:  # no rejects file; one an earlier run of these outputs left goes
            staging.remove(rejects)
        if summary_path:
            with staging.writer(summary_path) as stream:
                stream.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2))
        staging.publish()
        bar.reach(1.0, "done")
    return summary


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


def reject_line(source: str, line: int, reason: str, raw: str) -> bytes:
    """One line of the rejects file: where the input line was, why, and its text."""
    record = {"source": source, "line": line, "reason": reason, "raw": raw}
    return orjson.dumps(record) + b"\n"


def map_reduce(
    chunks: list[Chunk],
    files: int,
    workers: int,
    reduce: dict[str, Any],
    history: bool,
    needs_pandas: bool,
    spool: Path,
    summary: Summary,
    rejects_out: IO[bytes],
    bar: RunProgress,
    lines_by_file: list[int],
) -> list[PartResult]:
    """Fan the chunks out to the workers (map), writing their rejects and counting
    their lines in input order; then hand each worker one partition of the films from
    every chunk (reduce, with the options in ``reduce``). With ``history``, the
    candidates of the history too. ``lines_by_file`` counts each file's lines."""
    line_offsets = [0] * files
    bytes_read = multiprocessing.Value("q", 0)
    pool_size = min(workers, max(len(chunks), 1))
    with worker_map(pool_size, bytes_read) as mapper:

        def tick() -> None:
            bar.read_so_far(bytes_read.value)

        if pool_size <= 1:  # this process reads: it moves the bar itself
            worker.progress = bar.read
        try:
            task = functools.partial(
                process_chunk,
                history=history,
                partitions=pool_size,
                spool=str(spool) if pool_size > 1 else None,
            )
            results = mapper(task, chunks)
            if needs_pandas:
                # pandas and pyarrow take most of a second to import and only the parent
                # needs them (for a CSV or Parquet output): the workers, forked before,
                # stay small, and the import overlaps their work.
                import pandas  # noqa: F401
                import pyarrow.compute
                import pyarrow.parquet  # noqa: F401

            partitions: list[list[Any]] = [[] for _ in range(pool_size)]
            crawls: Crawls = {}
            undated: set[CrawlKey] = set()
            for chunk, result in zip(chunks, as_they_come(results, tick), strict=True):
                offset = line_offsets[chunk.file_index]
                for number, reason, raw in result.rejects:
                    rejects_out.write(reject_line(chunk.source, offset + number, reason, raw))
                line_offsets[chunk.file_index] += result.line_count
                summary.lines += result.lines
                lines_by_file[chunk.file_index] += result.lines
                summary.blank_lines += result.blank_lines
                summary.rejected += len(result.rejects)
                for source, count in result.sources.items():
                    summary.sources[source] = summary.sources.get(source, 0) + count
                for partition, part in zip(partitions, result.parts, strict=True):
                    partition.append(part)
                merge_crawls(crawls, result.crawls)
                undated |= result.undated
                if pool_size > 1:
                    tick()
                bar.set_postfix(lines=f"{summary.lines:,}", refresh=False)
            bar.reach(RunProgress.MAP_SHARE, "merging")
            options = {
                "crawls": crawls,
                "latest": latest_days(crawls, undated),
                "history": history,
            }
            if pool_size > 1:
                task = functools.partial(reduce_to_file, spool=str(spool), **options, **reduce)
            else:
                task = functools.partial(reduce_here, **options, **reduce)
            reduced = []
            for result in mapper(task, partitions):
                reduced.append(result)
                done = RunProgress.REDUCE_SHARE * len(reduced) / len(partitions)
                bar.reach(RunProgress.MAP_SHARE + done, "merging")
            kept = sum(written for _, written in reduced)
            bar.set_postfix(lines=f"{summary.lines:,}", kept=f"{kept:,}", refresh=False)
        finally:
            worker.progress = None
    # Read after the pool is gone: the workers' memory is given back first.
    return [unpack(result) for result, _ in reduced]
