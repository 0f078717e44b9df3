"""One post-process run: plan chunks, fan them out to a process pool, merge, write.

Every non-blank input line ends in exactly one of: the table, the duplicates count,
or the rejects file (with its source and line number). The run checks that identity
before it writes anything.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import multiprocessing.pool
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson
from tqdm import tqdm

from postprocess import worker
from postprocess.chunks import (
    Chunk,
    chunk_size,
    plan_chunks,
    readable_path,
    source_name,
    spool_directory,
)
from postprocess.history import (
    COUNT,
    DAY_COLUMNS,
    FILM_COLUMNS,
    HISTORY_COLUMNS,
    VALUES,
    WHEN,
    DayValues,
    HistoryParts,
    merge_parts,
    resolve_days,
)
from postprocess.output import Staging, write_table
from postprocess.records import COLUMNS, UNSTATED, Oddities, display_time, normalise_record

if TYPE_CHECKING:
    import pandas as pd

from postprocess.worker import (
    FIRST_SEEN,
    LAST_SEEN,
    LINE,
    TIMES_SEEN,
    Film,
    Key,
    merge_films,
    process_chunk,
    start_worker,
)

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
    rejects: str = ""
    #: The history table (one row per board, day and film), when the run writes it.
    history: str = ""
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
    pool = multiprocessing.Pool(workers, start_worker, (os.getpid(), bytes_read))
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


#: The dtypes of the numeric columns of both tables (counts nullable: a board without
#: wish counts leaves them empty).
COLUMN_TYPES = {
    "board_id": "int64",
    "rank": "int64",
    "movie_id": "int64",
    "times_seen": "int64",
    "score": "float64",
    "box_office_realtime": "float64",
    "box_office_total": "float64",
    "wish_month": "Int64",
    "wish_total": "Int64",
}


def with_types(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype({name: kind for name, kind in COLUMN_TYPES.items() if name in table})


def build_table(films: dict[Key, Film]) -> tuple[pd.DataFrame, Oddities]:
    """The output table, each surviving film normalised once; and what of the
    surviving lines' text could not become values."""
    import pandas as pd  # see run(): imported while the workers work

    rows, oddities = [], Oddities()
    for film in films.values():
        row, odd = normalise_record(orjson.loads(film[LINE]))
        oddities.add(odd)
        rows.append(
            (*row, display_time(film[FIRST_SEEN]), display_time(film[LAST_SEEN]), film[TIMES_SEEN])
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table = with_types(table)
    table = table.sort_values(["board_id", "rank", "movie_id"], kind="stable", ignore_index=True)
    return table, oddities


def build_history(parts: HistoryParts, table: pd.DataFrame) -> pd.DataFrame:
    """The history table: each day's values from that day's winning line; the film's
    title, release and link (which do not change from day to day) from the films table."""
    import pandas as pd

    records = []
    day_values = DayValues()
    for (board_id, movie_id, day), (entry, day_from) in resolve_days(parts).items():
        records.append(
            (
                board_id,
                day,
                movie_id,
                *day_values(board_id, entry[VALUES]),
                day_from,
                display_time(entry[WHEN]),
            )
        )
    days = pd.DataFrame(
        records, columns=["board_id", "day", "movie_id", *DAY_COLUMNS, "day_from", "crawled_at"]
    )
    days["source"] = days["source"].where(days["source"] != UNSTATED, None)
    films = table[["board_id", "movie_id", *FILM_COLUMNS]]
    history = days.merge(films, on=["board_id", "movie_id"], how="left", validate="many_to_one")
    history = with_types(history)
    history = history.sort_values(["board_id", "day", "rank", "movie_id"], ignore_index=True)
    return history[HISTORY_COLUMNS]


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
    summary = Summary(files=len(feeds), workers=workers, output=str(out), rejects=str(rejects))
    films: dict[Key, Film] = {}
    days = HistoryParts() if history_path else None
    show = sys.stderr.isatty() if progress is None else progress
    targets = [out, rejects, *(path for path in (summary_path, history_path) if path)]
    with Staging(targets) as staging, spool_directory() as spool:
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
                    print(f"{PROG}: {feed}: {damage.reason}", file=sys.stderr)
                size = chunk_bytes or chunk_size(path.stat().st_size, workers)
                chunks += plan_chunks(source_name(feed), path, index, size)
            merge_chunks(chunks, len(feeds), workers, films, days, summary, rejects_out, show)
        summary.written = len(films)
        summary.duplicates = sum(film[TIMES_SEEN] for film in films.values()) - len(films)
        if summary.lines != summary.rejected + summary.duplicates + summary.written:
            raise RuntimeError(f"line accounting does not add up: {summary}")
        table, oddities = build_table(films)
        summary.unparsed_release = oddities.unparsed_release
        summary.unparsed_numbers = oddities.unparsed_numbers
        summary.numbers_hidden = oddities.numbers_hidden
        write_table(table, staging.path(out), out)
        if history_path and days is not None:
            counted = sum(entry[COUNT] for entry in (*days.dated.values(), *days.undated.values()))
            history = build_history(days, table)
            summary.history = str(history_path)
            summary.history_written = len(history)
            summary.history_duplicates = counted - len(history)
            summary.history_days = len(history[["board_id", "day"]].drop_duplicates())
            if summary.lines != (
                summary.rejected + summary.history_duplicates + summary.history_written
            ):
                raise RuntimeError(f"history accounting does not add up: {summary}")
            write_table(history, staging.path(history_path), history_path)
        summary.seconds = round(time.perf_counter() - started, 3)
        if summary_path:
            with staging.writer(summary_path) as stream:
                stream.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2))
        staging.publish()
    return summary


def reject_line(source: str, line: int, reason: str, raw: str) -> bytes:
    """One line of the rejects file: where the input line was, why, and its text."""
    record = {"source": source, "line": line, "reason": reason, "raw": raw}
    return orjson.dumps(record) + b"\n"


def merge_chunks(
    chunks: list[Chunk],
    files: int,
    workers: int,
    films: dict[Key, Film],
    days: HistoryParts | None,
    summary: Summary,
    rejects_out: IO[bytes],
    show: bool,
) -> None:
    """Fan the chunks out to the workers and fold their results in, in input order;
    with ``days``, the history candidates too."""
    line_offsets = [0] * files
    bytes_read = multiprocessing.Value("q", 0)
    pool_size = min(workers, max(len(chunks), 1))
    # The pool first: its workers are forked before tqdm starts a monitor thread.
    with (
        worker_map(pool_size, bytes_read) as mapper,
        tqdm(
            total=sum(c.end - c.start for c in chunks),
            unit="B",
            unit_scale=True,
            desc="post-process",
            disable=not show,
        ) as bar,
    ):

        def tick() -> None:
            bar.update(bytes_read.value - bar.n)

        if pool_size <= 1:  # this process reads: it moves the bar itself
            worker.progress = bar.update
        try:
            results = mapper(functools.partial(process_chunk, history=days is not None), chunks)
            # pandas takes most of a second to import and only the parent needs it: the
            # workers, forked before it, stay small, and the import overlaps their work.
            import pandas  # noqa: F401

            for chunk, result in zip(chunks, as_they_come(results, tick), strict=True):
                offset = line_offsets[chunk.file_index]
                for number, reason, raw in result.rejects:
                    rejects_out.write(reject_line(chunk.source, offset + number, reason, raw))
                line_offsets[chunk.file_index] += result.line_count
                summary.lines += result.lines
                summary.blank_lines += result.blank_lines
                summary.rejected += len(result.rejects)
                for source, count in result.sources.items():
                    summary.sources[source] = summary.sources.get(source, 0) + count
                merge_films(films, result.films)
                if days is not None and result.history is not None:
                    merge_parts(days, result.history)
                if pool_size > 1:
                    tick()
                bar.set_postfix(lines=f"{summary.lines:,}", kept=f"{len(films):,}", refresh=False)
            bar.update(bar.total - bar.n)
        finally:
            worker.progress = None
