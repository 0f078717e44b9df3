"""The reduce step: one partition of the films, from every range, folded and normalised.

A partition holds every line of its films and no other, so reducing partitions apart
gives the rows one process would. They leave as Arrow tables (:mod:`postprocess.schema`),
which pickle as a few buffers: the parent only joins, orders and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from postprocess.history import (
    FILM_COLUMNS,
    Crawls,
    DayFrom,
    DayValue,
    board_day,
    crawl_date,
    line_day,
)
from postprocess.merge import filled
from postprocess.output import BATCH_ROWS
from postprocess.records import COLUMNS, Oddities, display_time, normalise_record
from postprocess.schema import FILMS, HISTORY, Kind, arrow_schema
from postprocess.worker import Film, Key, gc_paused, taken

#: Where a films table row holds what the history takes from it, and its board date.
FILM_AT = [COLUMNS.index(name) for name in FILM_COLUMNS]
BOARD_DATE_AT = COLUMNS.index("board_date")


@dataclass(frozen=True, kw_only=True)
class ReduceOptions:
    history: bool
    crawls: Crawls  # every range's crawls: the day of an undated line
    latest: dict[int, str]  # each board's latest day in the input


@dataclass
class Reduced:
    films: pa.Table
    lines: int  # the lines that showed these films: written + duplicates
    oddities: Oddities
    history: pa.Table | None = None
    history_lines: int = 0  # the lines behind the history rows: rows + duplicates


def reduce_partition(parts: list[Any], *, options: ReduceOptions) -> Reduced:
    """One partition's films from every range, in input order, folded and normalised
    once each; with ``options.history``, its history rows too."""
    with gc_paused():
        films: dict[Key, Film] = {}
        candidates = []
        for part in parts:
            part_films, part_candidates = taken(part)
            for key, film in part_films.items():
                known = films.get(key)
                if known is None:
                    films[key] = film
                else:
                    known.fold(film)
            if part_candidates is not None:
                candidates.append(part_candidates)
        oddities, tables, rows, lines = Oddities(), [], [], 0
        film_values: dict[Key, list] = {}
        while films:  # each film let go of once a row, the rows made a table in batches
            key, film = films.popitem()
            row, odd = normalise_record(merged_line(key, film, options.crawls))
            oddities.add(odd)
            lines += film.times_seen
            day = line_day(options.crawls, key[0], film.source, row[BOARD_DATE_AT], film.when)
            first, last = display_time(film.first_seen), display_time(film.when)
            rows.append((*row, first, last, film.times_seen, day == options.latest.get(key[0])))
            if options.history:
                film_values[key] = [row[at] for at in FILM_AT]
            if len(rows) == BATCH_ROWS or not films:
                tables.append(table_of(FILMS, list(zip(*rows, strict=True))))
                rows = []
        films_table = pa.concat_tables(tables) if tables else table_of(FILMS, [])
        reduced = Reduced(films_table, lines, oddities)
        if options.history:
            reduced.history, reduced.history_lines = history_table(
                candidates, options.crawls, film_values
            )
        return reduced


def merged_line(key: Key, film: Film, crawls: Crawls) -> dict[str, Any]:
    """The film's latest line, with the fields it lacks taken from other sources' lines
    of the same day (:mod:`postprocess.merge`)."""
    obj = orjson.loads(film.raw)
    if not film.others:
        return obj
    day = line_day(crawls, key[0], film.source, board_day(obj.get("board_date")), film.when)
    same_day = []  # latest first
    by_time = sorted(
        film.others.items(), key=lambda item: (item[1].when, item[1].place), reverse=True
    )
    for source, line in by_time:
        other = orjson.loads(line.raw)
        if line_day(crawls, key[0], source, board_day(other.get("board_date")), line.when) == day:
            same_day.append(other)
    return filled(obj, same_day) if same_day else obj


def table_of(columns: dict[str, Kind], values: list[Any]) -> pa.Table:
    """A table of :mod:`postprocess.schema`'s types from its columns' values (lists,
    NumPy arrays or Arrow arrays), an empty one for no columns."""
    schema = arrow_schema(columns)
    arrays = [
        column if isinstance(column, pa.Array) else pa.array(list(column), type=kind)
        for column, kind in zip(values or [[] for _ in columns], schema.types, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def history_table(
    parts: list[dict[str, Any]], crawls: Crawls, film_values: dict[Key, list]
) -> tuple[pa.Table, int]:
    """The history rows of one partition's candidates (every range's, in input order)
    and the lines behind them: per board, day and film the latest line (crawl time,
    then place), dated by :func:`~postprocess.history.crawl_date` where undated, with
    the title, release and link of the film's row."""
    if not parts:  # no usable line in this partition
        return table_of(HISTORY, []), 0
    board = np.concatenate([part["board_id"] for part in parts])
    movie = np.concatenate([part["movie_id"] for part in parts])
    rank = np.concatenate([part["rank"] for part in parts])
    when = [value for part in parts for value in part["when"]]
    days = [value for part in parts for value in part["day"]]
    crawl_days = [value for part in parts for value in part["crawl_day"]]
    # Each range numbered its own day values: one table, the numbers moved along.
    value_table: list[DayValue] = [values for part in parts for values in part["value_table"]]
    offsets = np.cumsum([0, *(len(part["value_table"]) for part in parts[:-1])])
    values = np.concatenate(
        [part["values"] + offset for part, offset in zip(parts, offsets, strict=True)]
    )
    came_from = np.full(len(days), DayFrom.BOARD, dtype=np.int64)
    for at in [at for at, day in enumerate(days) if day is None]:
        crawl = (int(board[at]), value_table[values[at]].source, crawl_days[at])
        days[at], from_crawl = crawl_date(crawls, crawl)
        came_from[at] = DayFrom.CRAWL if from_crawl else DayFrom.BOARD
    winners, day_names, day_numbers, several = latest_of_each(board, movie, days, when)
    kept_values = values[winners]
    # A board day crawled from both sources: each value from the latest line that has
    # it, of each source's latest line that day (postprocess.merge).
    for group, members in several:
        latest: dict[str | None, dict[str, Any]] = {}
        for at in members:
            row = value_table[values[at]]
            latest.setdefault(row.source, row._asdict())
        lines = list(latest.values())
        merged = filled(lines[0], lines[1:])
        if merged != lines[0]:
            value_table.append(DayValue(**merged))
            kept_values[group] = len(value_table) - 1
    kept_board, kept_movie = board[winners], movie[winners]
    film_number = {key: number for number, key in enumerate(film_values)}
    kept_films = np.fromiter(
        (film_number[key] for key in zip(kept_board.tolist(), kept_movie.tolist(), strict=True)),
        dtype=np.int64,
        count=len(winners),
    )
    types = dict(zip(HISTORY, arrow_schema(HISTORY).types, strict=True))

    def taken_at(name: str, distinct: list, at: np.ndarray) -> pa.Array:
        return pa.array(distinct, type=types[name]).take(pa.array(at))

    film_table = list(film_values.values())
    named = {
        name: taken_at(name, [row[index] for row in value_table], kept_values)
        for index, name in enumerate(DayValue._fields)
    }
    for index, name in enumerate(FILM_COLUMNS):
        named[name] = taken_at(name, [row[index] for row in film_table], kept_films)
    labels = [member.name.lower() for member in DayFrom]
    named.update(
        board_id=kept_board,
        day=taken_at("day", day_names, day_numbers[winners]),
        rank=rank[winners],
        movie_id=kept_movie,
        day_from=taken_at("day_from", labels, came_from[winners]),
        crawled_at=pc.replace_substring(  # as display_time shows a time key
            pa.array([when[at] for at in winners.tolist()], pa.string()), ".000000Z", "Z"
        ),
    )
    return table_of(HISTORY, [named[name] for name in HISTORY]), len(days)


def latest_of_each(
    board: np.ndarray, movie: np.ndarray, days: list, when: list
) -> tuple[np.ndarray, list, np.ndarray, list[tuple[int, list[int]]]]:
    """Where the latest candidate of each board, day and film stands (crawl time, then
    index); the distinct days and each candidate's; each group of several, latest first.
    Sorted by board, film, day and index, only groups of several compare times."""
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
