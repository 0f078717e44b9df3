"""The reduce step: one partition of the films, from every range, merged and normalised.

The map step (:mod:`postprocess.worker`) splits each range's films by
:func:`~postprocess.worker.partition_of`, so a partition holds every line of its films
and no other: merging and normalising partitions in parallel gives the same rows as
one process would. Each film's winning line is read again from its feed, where the map
step found it. The result travels back as columns (numbers as arrays, text as its
distinct values and their places, a JSONL output as its written rows), so the parent
unpickles a few buffers rather than an object per cell, and only orders and writes.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from postprocess.history import (
    DAY_COLUMNS,
    FILM_COLUMNS,
    HISTORY_COLUMNS,
    Crawls,
    beijing_day,
    board_day,
    crawl_date,
)
from postprocess.merge import filled
from postprocess.output import LIST_COLUMNS, json_line
from postprocess.records import COLUMNS, UNSTATED, Oddities, display_time, normalise_record
from postprocess.worker import (
    FIRST_SEEN,
    LAST_SEEN,
    LENGTH,
    OFFSET,
    ORDER,
    OTHER_LENGTH,
    OTHER_OFFSET,
    OTHER_ORDER,
    OTHER_WHEN,
    OTHERS,
    SOURCE,
    TIMES_SEEN,
    Film,
    Key,
    file_of,
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
    "on_latest_board": np.bool_,
}
#: The whole numbers that may be missing (see :data:`NUMBER_COLUMNS`).
COUNT_COLUMNS = ("wish_month", "wish_total")
#: The columns that order each table (unique per row, so any order of rows before
#: the sort gives the same file); a JSONL output travels as these and its lines.
TABLE_ORDER = ["board_id", "rank", "movie_id"]
HISTORY_ORDER = ["board_id", "day", "rank", "movie_id"]
#: A JSONL output's rows travel as one block of bytes and the length of each row: an
#: object per row would cost more to pickle, and orjson's buffer per row, kept, several
#: kilobytes each (measured: 790 MB for 100,000 rows of 650 bytes).
LINES, LINE_LENGTH = "lines", "line_length"
#: From this many rows on, text columns travel as Arrow arrays, which pandas takes as
#: they are; below, importing pyarrow in the worker costs more than pandas' conversion.
ARROW_ROWS = 100_000
#: Where a films table row holds what the history takes from it, and its board date.
FILM_AT = [COLUMNS.index(name) for name in FILM_COLUMNS]
BOARD_DATE_AT = COLUMNS.index("board_date")
#: The day values' columns in a :class:`~postprocess.history.DayValues` table: the day's
#: columns but the rank.
VALUE_COLUMNS = DAY_COLUMNS[1:]


@dataclass
class PartResult:
    films: dict[str, Any]
    written: int = 0
    lines: int = 0  # the lines that showed these films: written + duplicates
    oddities: Oddities = field(default_factory=Oddities)
    history: dict[str, Any] | None = None
    history_lines: int = 0  # the lines behind the history rows: rows + duplicates


class Gathered:
    """A table's rows as the parent takes them: all columns, or for a JSONL output
    (``lines_ordered_by``) the columns that order it and each row written as its line,
    so no row is kept."""

    def __init__(self, names: list[str], lines_ordered_by: list[str] | None = None) -> None:
        self.names = names
        self.order_by = lines_ordered_by
        self.rows: list[tuple] = []
        self.keys: list[tuple] = []
        self.key_at = [names.index(name) for name in lines_ordered_by or ()]
        self.block = io.BytesIO()
        self.lengths: list[int] = []

    def add(self, row: tuple) -> None:
        if self.order_by is None:
            self.rows.append(row)
            return
        self.keys.append(tuple(row[at] for at in self.key_at))
        self.lengths.append(self.block.write(json_line(self.names, row)))

    def columns(self) -> dict[str, Any]:
        if self.order_by is None:
            return as_columns(self.names, self.rows)
        out = as_columns(self.order_by, self.keys, text_as_arrow=False)
        out[LINES] = self.block.getvalue()
        out[LINE_LENGTH] = np.array(self.lengths, dtype=np.int64)
        return out


def as_columns(names: list[str], rows: list[tuple], text_as_arrow: bool = True) -> dict[str, Any]:
    """Rows as named columns (see :func:`column`)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    named = zip(names, columns, strict=True)
    return {name: column(name, values, text_as_arrow) for name, values in named}


def column(name: str, values: Any, text_as_arrow: bool = True) -> Any:
    """A column as it travels to the parent: numbers as a NumPy array (``None``
    becomes NaN), lists of names as a list, text as :class:`Text`, its values an Arrow
    array when the rows are many (pandas keeps text in Arrow; converting here, in
    parallel, spares the parent doing it alone)."""
    kind = NUMBER_COLUMNS.get(name)
    if kind is not None:
        return np.asarray(values, dtype=kind)
    if name in LIST_COLUMNS:
        return list(values)
    text = values if isinstance(values, Text) else Text(list(values))
    return text.resolved(as_arrow=text_as_arrow and len(text) >= ARROW_ROWS)


def reduce_partition(
    parts: list[Any],
    paths: list[str],
    crawls: Crawls | None = None,
    latest: dict[int, str] | None = None,
    history: bool = False,
    table_lines: bool = False,
    history_lines: bool = False,
) -> PartResult:
    """Merge one partition's films from every range (in input order) and normalise
    each once, its winning line read again from ``paths`` (the feeds' files, by file
    index); each film is on its board's latest day (``latest``, by board) when its
    winning line's day is that day, an undated line taking its crawl's (``crawls``).
    With ``history``, also the partition's history rows. ``table_lines``/
    ``history_lines``: the output is JSONL, so the rows are written here, in
    parallel, and the parent only orders them."""
    crawls = crawls or {}
    latest = latest or {}
    with gc_paused():
        films: dict[Key, Film] = {}
        candidates = []
        for packed in parts:
            part_films, part_candidates = unpack(packed)
            merge_films(films, part_films)
            if part_candidates is not None:
                candidates.append(part_candidates)
        result = PartResult(films={})
        table = Gathered(COLUMNS, TABLE_ORDER if table_lines else None)
        film_values: dict[Key, list] = {}
        with WinningLines(paths, crawls) as read:
            for key, film in films.items():
                row, odd = normalise_record(read(key, film))
                result.oddities.add(odd)
                result.lines += film[TIMES_SEEN]
                first, last = display_time(film[FIRST_SEEN]), display_time(film[LAST_SEEN])
                day = read.day(key[0], film[SOURCE], row[BOARD_DATE_AT], film[LAST_SEEN])
                on_latest = day == latest.get(key[0])
                table.add((*row, first, last, film[TIMES_SEEN], on_latest))
                if history:
                    film_values[key] = [row[at] for at in FILM_AT]
        result.written = len(films)
        del films
        result.films = table.columns()
        if history:
            named, result.history_lines = history_columns(candidates, crawls, film_values)
            if history_lines:
                history = Gathered(HISTORY_COLUMNS, HISTORY_ORDER)
                lists = [python_values(name, named[name]) for name in HISTORY_COLUMNS]
                for row in zip(*lists, strict=True):
                    history.add(row)
                result.history = history.columns()
            else:
                result.history = {name: column(name, named[name]) for name in HISTORY_COLUMNS}
        return result


class WinningLines:
    """Reads each film's winning line again, where the map step found it."""

    def __init__(self, paths: list[str], crawls: Crawls) -> None:
        self.paths = paths
        self.crawls = crawls
        self.files: dict[int, int] = {}
        self.hours: dict[str, str] = {}  # a crawl time's hour -> its Beijing day

    def day(self, board_id: int, source: str, board_date: str | None, when: str) -> str:
        """The day of a line, as the history dates it: the board's date (``YYYY-MM-DD``),
        or for an undated line its crawl's (:func:`~postprocess.history.crawl_date`)."""
        if board_date:
            return board_date
        crawl_day = self.hours.get(when[:13])
        if crawl_day is None:
            crawl_day = self.hours[when[:13]] = beijing_day(when)
        return crawl_date(self.crawls, (board_id, source, crawl_day))[0]

    def __call__(self, key: Key, film: Film) -> dict[str, Any]:
        """The film's row as its lines give it: the winning line, with the fields it
        lacks taken from other sources' lines of the same day (:mod:`postprocess.merge`)."""
        obj = self.line(key, film[ORDER], film[OFFSET], film[LENGTH])
        others = film[OTHERS]
        if not others:
            return obj
        day = self.day(key[0], film[SOURCE], board_day(obj.get("board_date")), film[LAST_SEEN])
        same_day = []  # latest first
        by_time = sorted(
            others.items(),
            key=lambda item: (item[1][OTHER_WHEN], item[1][OTHER_ORDER]),
            reverse=True,
        )
        for source, line in by_time:
            other = self.line(key, line[OTHER_ORDER], line[OTHER_OFFSET], line[OTHER_LENGTH])
            other_day = board_day(other.get("board_date"))
            if self.day(key[0], source, other_day, line[OTHER_WHEN]) == day:
                same_day.append(other)
        return filled(obj, same_day) if same_day else obj

    def line(self, key: Key, order: int, offset: int, length: int) -> dict[str, Any]:
        index = file_of(order)
        if index not in self.files:
            self.files[index] = os.open(self.paths[index], os.O_RDONLY)
        line = os.pread(self.files[index], length, offset)
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            obj = None
        if type(obj) is not dict or (obj.get("board_id"), obj.get("movie_id")) != key:
            raise RuntimeError(
                f"{self.paths[index]} changed while it was read: the line at byte "
                f"{offset:,} is not the one read before; run again on a file that "
                "is not being written"
            )
        return obj

    def __enter__(self) -> WinningLines:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.files.values():
            os.close(handle)
        self.files.clear()


def python_values(name: str, values: Any) -> list:
    """A column as the values a table row holds: a count is a whole number or ``None``
    (it travels as a float: see :data:`NUMBER_COLUMNS`)."""
    if isinstance(values, Text):
        return values.as_list()
    if name in COUNT_COLUMNS:
        return [None if value != value else int(value) for value in values.tolist()]
    return values.tolist()


def reduce_to_file(parts: list[Any], spool: str, **options: Any) -> tuple[str, int]:
    """:func:`reduce_partition` in a pool worker: the result goes to a file in the
    run's spool folder (see :func:`~postprocess.worker.unpack`), which the parent reads
    faster than the pool's pipe carries it (0.2 s less for 100,000 films), once the
    workers are gone; and the number of films it holds."""
    result = reduce_partition(parts, **options)
    handle, path = tempfile.mkstemp(prefix="reduced-", suffix=".pickle", dir=spool)
    with os.fdopen(handle, "wb") as stored:
        pickle.dump(result, stored, pickle.HIGHEST_PROTOCOL)
    return path, result.written


def reduce_here(parts: list[Any], **options: Any) -> tuple[PartResult, int]:
    """:func:`reduce_partition` in this process, shaped as :func:`reduce_to_file`."""
    result = reduce_partition(parts, **options)
    return result, result.written


def history_columns(
    parts: list[dict[str, Any]], crawls: Crawls, film_values: dict[Key, list]
) -> tuple[dict[str, Any], int]:
    """The history rows of one partition's candidates (from every range, in input
    order), by column, and how many lines stood behind them.

    Each candidate's day is the board's date, or for an undated line its crawl's date
    (the latest dated line of the same board, source and Beijing day), or else the
    crawl's Beijing day. Of the candidates of one board, day and film the later line
    wins (crawl time, then place in the input). The film's title, release and link
    (which do not change from day to day) come from its row of the films table."""
    if not parts:  # feeds without a line: an empty history, as the table is empty
        none = np.empty(0, dtype=np.int64)
        parts = [{"board_id": none, "movie_id": none, "rank": none, "values": none,
                  "when": [], "day": [], "crawl_day": [], "value_table": []}]  # fmt: skip
    board = np.concatenate([part["board_id"] for part in parts])
    movie = np.concatenate([part["movie_id"] for part in parts])
    rank = np.concatenate([part["rank"] for part in parts])
    when = [value for part in parts for value in part["when"]]
    days = [value for part in parts for value in part["day"]]
    crawl_days = [value for part in parts for value in part["crawl_day"]]
    # Each range numbered its own day values: one table, the numbers moved along.
    value_table = [values for part in parts for values in part["value_table"]]
    offsets = np.cumsum([0, *(len(part["value_table"]) for part in parts[:-1])])
    values = np.concatenate(
        [part["values"] + offset for part, offset in zip(parts, offsets, strict=True)]
    )
    came_from = np.zeros(len(days), dtype=np.int64)  # DAY_FROM[0] = "board"
    for at in [at for at, day in enumerate(days) if day is None]:
        source = value_table[values[at]][-1]
        days[at], from_crawl = crawl_date(crawls, (int(board[at]), source, crawl_days[at]))
        came_from[at] = int(from_crawl)
    winners, day_names, day_numbers, several = latest_of_each(board, movie, days, when)
    # Day values and film values by column, each taken for the winners at once.
    value_table = [
        (*values[:-1], None if values[-1] == UNSTATED else values[-1]) for values in value_table
    ]
    kept_values = values[winners]
    # A board day crawled twice (from both sources): each value from the latest line
    # that has it (postprocess.merge).
    source_at = len(VALUE_COLUMNS) - 1
    for group, members in several:
        latest: dict[Any, dict[str, Any]] = {}  # each source's latest line of the day
        for at in members:
            row = value_table[values[at]]
            latest.setdefault(row[source_at], dict(zip(VALUE_COLUMNS, row, strict=True)))
        lines = list(latest.values())
        merged = filled(lines[0], lines[1:])
        if merged != lines[0]:
            value_table.append(tuple(merged[name] for name in VALUE_COLUMNS))
            kept_values[group] = len(value_table) - 1
    named: dict[str, Any] = {
        name: taken(name, [row[at] for row in value_table], kept_values)
        for at, name in enumerate(VALUE_COLUMNS)
    }
    film_number = {key: number for number, key in enumerate(film_values)}
    kept_board, kept_movie = board[winners], movie[winners]
    kept_films = np.fromiter(
        (film_number[key] for key in zip(kept_board.tolist(), kept_movie.tolist(), strict=True)),
        dtype=np.int64,
        count=len(winners),
    )
    film_table = list(film_values.values())
    for at, name in enumerate(FILM_COLUMNS):
        named[name] = taken(name, [row[at] for row in film_table], kept_films)
    named.update(
        board_id=kept_board,
        day=Text(day_names, day_numbers[winners]),
        rank=rank[winners],
        movie_id=kept_movie,
        day_from=Text(DAY_FROM, came_from[winners]),
        crawled_at=Text([when[at] for at in winners.tolist()], times=True),
    )
    return named, len(days)


#: Where a history row's day came from: the board's date, or the crawl's Beijing day.
DAY_FROM = ["board", "crawl"]


@dataclass
class Text:
    """A text column: ``values``, or with ``at`` the values at those places (a few
    distinct values, such as titles or days, for many rows: the parent takes them
    once, in the output's order); with ``times``, time keys to be shown as people
    write them (:func:`display_time`). ``values`` is a list or an Arrow array."""

    values: Any
    at: np.ndarray | None = None
    times: bool = False

    def __len__(self) -> int:
        return len(self.values) if self.at is None else len(self.at)

    def as_list(self) -> list:
        values = self.resolved(as_arrow=False).values
        if self.at is None:
            return values
        distinct = np.empty(len(values), dtype=object)
        distinct[:] = values
        return distinct[self.at].tolist()

    def resolved(self, as_arrow: bool) -> Text:
        """The times shown, the values an Arrow array (``as_arrow``) or a list."""
        values = self.values
        if as_arrow:
            import pyarrow as pa  # here, in the worker: the parent imports it with pandas
            import pyarrow.compute as pc

            if not isinstance(values, pa.Array):
                values = pa.array(values, type=pa.string())
            if self.times:
                values = pc.replace_substring(values, ".000000Z", "Z")
        elif self.times:
            values = [display_time(key) for key in values]
        return Text(values, self.at)


def taken(name: str, values: list, at: np.ndarray) -> Any:
    """Column ``name`` for many rows from its few distinct ``values``, by place."""
    kind = NUMBER_COLUMNS.get(name)
    if kind is None:
        return Text(values, at)
    distinct = np.array([np.nan if value is None else value for value in values], dtype=kind)
    return distinct[at]


def latest_of_each(
    board: np.ndarray, movie: np.ndarray, days: list, when: list
) -> tuple[np.ndarray, list, np.ndarray, list[tuple[int, list[int]]]]:
    """Where the latest candidate of each board, day and film stands: the latest
    crawl time, then the later place in the input (a candidate's place is its index);
    the distinct days with each candidate's number among them; and for each group of
    several candidates, its number and its members, latest first.

    Sorted by board, film, day and place, a group's last candidate is the latest in
    the input; only groups of several (one board day crawled twice) compare times."""
    names = sorted(set(days))
    distinct = {day: number for number, day in enumerate(names)}
    day_number = np.fromiter((distinct[day] for day in days), dtype=np.int64, count=len(days))
    place = np.arange(len(days))
    order = np.lexsort((place, day_number, movie, board))
    if not len(order):
        return order, names, day_number, []
    b, m, d = board[order], movie[order], day_number[order]
    starts = np.flatnonzero(np.r_[True, (b[1:] != b[:-1]) | (m[1:] != m[:-1]) | (d[1:] != d[:-1])])
    ends = np.r_[starts[1:], len(order)]
    winners = order[ends - 1]
    several = []
    for group in np.flatnonzero(ends - starts > 1).tolist():
        members = order[starts[group] : ends[group]].tolist()
        members.sort(key=lambda at: (when[at], at), reverse=True)
        winners[group] = members[0]
        several.append((group, members))
    return winners, names, day_number, several
