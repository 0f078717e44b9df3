"""The reduce step: one partition of the films, from every range, merged and normalised.

The map step (:mod:`postprocess.worker`) splits each range's films by
:func:`~postprocess.worker.partition_of`, so a partition holds every line of its films
and no other: merging and normalising partitions in parallel gives the same rows as
one process would. The result travels back as columns, numbers as arrays, so the
parent unpickles a few buffers rather than an object per cell, and only assembles,
sorts and writes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from postprocess.history import CANDIDATE_COLUMNS, FILM_COLUMNS, HISTORY_COLUMNS, Crawls
from postprocess.output import LIST_COLUMNS, json_line
from postprocess.records import COLUMNS, UNSTATED, Oddities, display_time, normalise_record
from postprocess.worker import (
    FIRST_SEEN,
    LAST_SEEN,
    LINE,
    TIMES_SEEN,
    Film,
    Key,
    gc_paused,
    merge_films,
    unpack,
)

#: Columns that travel as arrays; the whole numbers among them may be missing (a board
#: without wish counts), so those travel as floats and become nullable integers in the
#: parent (exact: counts stay far below 2**53).
NUMBER_COLUMNS = {
    "board_id": np.int64,
    "rank": np.int64,
    "movie_id": np.int64,
    "times_seen": np.int64,
    "score": np.float64,
    "box_office_realtime": np.float64,
    "box_office_total": np.float64,
    "wish_month": np.float64,
    "wish_total": np.float64,
}
#: From this many rows on, text columns travel as Arrow arrays, which pandas takes as
#: they are; below, importing pyarrow in the worker costs more than pandas' conversion.
ARROW_ROWS = 100_000
#: A merged candidate: ``[rank, day values, crawled_at key, order, lines, day from]``.
RANK, VALUES, WHEN, ORDER, COUNT, DAY_FROM = range(6)
#: The columns that order each table (unique per row, so any order of rows before
#: the sort gives the same file); a JSONL output travels as these and its lines.
TABLE_ORDER = ["board_id", "rank", "movie_id"]
HISTORY_ORDER = ["board_id", "day", "rank", "movie_id"]
#: A JSONL output's rows travel as one block of bytes and the length of each row: an
#: object per row would cost more to pickle, and orjson's buffer per row, kept, several
#: kilobytes each (measured: 790 MB for 100,000 rows of 650 bytes).
LINES, LINE_LENGTH = "lines", "line_length"


@dataclass
class PartResult:
    films: dict[str, Any]
    written: int = 0
    lines: int = 0  # the lines that showed these films: written + duplicates
    oddities: Oddities = field(default_factory=Oddities)
    history: dict[str, Any] | None = None
    history_lines: int = 0  # the lines behind the history rows: rows + duplicates


def as_columns(
    names: list[str], rows: list[tuple], lines_ordered_by: list[str] | None = None
) -> dict[str, Any]:
    """Rows as named columns: numbers as NumPy arrays (``None`` becomes NaN), text as
    Arrow arrays (what pandas stores text in; a column of nothing but ``None`` stays a
    list, as pandas keeps it), lists of names as lists; with
    ``lines_ordered_by``, only those columns and each row as its JSONL line."""
    wanted = lines_ordered_by or names
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    out: dict[str, Any] = {}
    for name in wanted:
        values = columns[names.index(name)]
        kind = NUMBER_COLUMNS.get(name)
        if kind is not None:
            out[name] = np.array(values, dtype=kind)
        elif (
            lines_ordered_by
            or len(rows) < ARROW_ROWS
            or name in LIST_COLUMNS
            or all(value is None for value in values)
        ):
            out[name] = list(values)
        else:  # text: pandas would turn a list of it into this Arrow array, serially
            import pyarrow as pa  # here, in the worker: the parent imports it with pandas

            out[name] = pa.array(values, type=pa.string())
    if lines_ordered_by:
        block, lengths = io.BytesIO(), []
        for row in rows:
            lengths.append(block.write(json_line(names, row)))
        out[LINES] = block.getvalue()
        out[LINE_LENGTH] = np.array(lengths, dtype=np.int64)
    return out


def reduce_partition(
    parts: list[Any],
    crawls: Crawls | None = None,
    table_lines: bool = False,
    history_lines: bool = False,
) -> PartResult:
    """Merge one partition's films from every range (in input order) and normalise
    each once; with ``crawls``, also its history rows, each undated candidate taking
    its crawl's day. ``table_lines``/``history_lines``: the output is JSONL, so the
    rows are written here, in parallel, and the parent only orders them."""
    with gc_paused():
        films: dict[Key, Film] = {}
        candidates: dict[tuple, list] = {}
        for packed in parts:
            part_films, part_candidates = unpack(packed)
            merge_films(films, part_films)
            if part_candidates is not None:
                merge_candidates(candidates, part_candidates, crawls or {})
        result = PartResult(films={})
        table = []
        for film in films.values():
            row, odd = normalise_record(orjson.loads(film[LINE]))
            result.oddities.add(odd)
            result.lines += film[TIMES_SEEN]
            table.append(
                (
                    *row,
                    display_time(film[FIRST_SEEN]),
                    display_time(film[LAST_SEEN]),
                    film[TIMES_SEEN],
                )
            )
        result.films = as_columns(COLUMNS, table, TABLE_ORDER if table_lines else None)
        result.written = len(table)
        if crawls is not None:
            rows = history_rows(candidates, table)
            result.history = as_columns(
                HISTORY_COLUMNS, rows, HISTORY_ORDER if history_lines else None
            )
            result.history_lines = sum(entry[COUNT] for entry in candidates.values())
        return result


def merge_candidates(rows: dict[tuple, list], columns: dict[str, list], crawls: Crawls) -> None:
    """Fold one range's candidates in under their day: the board's date, or for an
    undated line its crawl's date (the latest dated line of the same board, source
    and Beijing day), or else the crawl's Beijing day. The later line wins (crawl
    time, then place in the input) and the counts add up."""
    for board_id, movie_id, day, source, crawl_day, rank, values, when, order, count in zip(
        *(columns[name] for name in CANDIDATE_COLUMNS), strict=True
    ):
        day_from = "board"
        if day is None:
            crawl = crawls.get((board_id, source, crawl_day))
            if crawl is None:
                day, day_from = crawl_day, "crawl"
            else:
                day = crawl[2]
        key = (board_id, movie_id, day)
        known = rows.get(key)
        if known is None:
            rows[key] = [rank, values, when, order, count, day_from]
            continue
        known[COUNT] += count
        if (when, order) > (known[WHEN], known[ORDER]):
            known[RANK], known[VALUES], known[WHEN], known[ORDER] = rank, values, when, order
            known[DAY_FROM] = day_from


#: Where the films table's row holds what the history takes from it.
FILM_AT = [COLUMNS.index(name) for name in FILM_COLUMNS]
BOARD_AT, MOVIE_AT = COLUMNS.index("board_id"), COLUMNS.index("movie_id")


def history_rows(candidates: dict[tuple, list], table: list[tuple]) -> list[tuple]:
    """The history rows (:data:`HISTORY_COLUMNS`): each day's values from its winning
    line, the film's title, release and link (which do not change from day to day)
    from its row in the films table; a line that named no source has none."""
    film_values = {(row[BOARD_AT], row[MOVIE_AT]): [row[at] for at in FILM_AT] for row in table}
    out = []
    for (board_id, movie_id, day), entry in candidates.items():
        score, realtime, total, currency, wish_month, wish_total, source = entry[VALUES]
        title, release_date, release_region, detail_url = film_values[board_id, movie_id]
        out.append(
            (
                board_id,
                day,
                entry[RANK],
                movie_id,
                title,
                score,
                realtime,
                total,
                currency,
                wish_month,
                wish_total,
                release_date,
                release_region,
                detail_url,
                entry[DAY_FROM],
                None if source == UNSTATED else source,
                display_time(entry[WHEN]),
            )
        )
    return out
