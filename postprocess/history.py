"""The boards' history: one row per board, day and film.

People crawl the boards daily to watch them move; the films table keeps only each
film's latest line, so the history keeps what that throws away: each day's rank,
score and board numbers.

The day is the board's own date (``board_date``), or else the day the crawl ran in
Beijing (Asia/Shanghai, where Maoyan's boards turn over). A line without a board date
whose crawl dated other lines (a mobile crawl dates the films of its JSON answers but
not the 20 of its board page) takes that crawl's board date, so one crawl never lands
on two days. "That crawl" is the lines of the same board and source crawled the same
Beijing day; the latest such line's date wins.

Each map worker turns its range into candidate columns (a row per usable line) split
by film; each reduce worker takes one partition from every range, gives the undated
rows their crawl's day, keeps the latest line of each board, day and film and joins
the film's title: no step handles a Python object per line in one process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any, NamedTuple

from maoyan_common.clock import BEIJING_OFFSET
from postprocess.normalise import parse_box_office, parse_score, parse_wish_count
from postprocess.schema import HISTORY


class DayValue(NamedTuple):
    """What a day's line gives besides its rank, normalised as the films table's."""

    score: float | None
    box_office_realtime: float | None
    box_office_total: float | None
    box_office_currency: str | None
    wish_month: int | None
    wish_total: int | None
    source: str | None


#: What the history takes from the films table: a film's title, release and link do
#: not change from day to day.
FILM_COLUMNS = ["title", "release_date", "release_region", "detail_url"]
#: The history's columns, in order.
HISTORY_COLUMNS = list(HISTORY)

#: A crawl: (board_id, source, the Beijing day it ran).
CrawlKey = tuple[int, str | None, str]


@dataclass(slots=True)
class CrawlDate:
    """A crawl's latest dated line: its board date is the day of the crawl's undated
    lines. Updated in place, line by line."""

    when: str
    day: str


Crawls = dict[CrawlKey, CrawlDate]


class DayFrom(IntEnum):
    """Where a history row's day came from (the ``day_from`` column)."""

    BOARD = 0  # the board's own date
    CRAWL = 1  # the Beijing day of its crawl


#: The columns in which a map worker's candidates (one per usable line, in input
#: order) travel to the reduce step. ``day`` is the board's date, or ``None`` for an
#: undated line, whose ``crawl_day`` (the Beijing day of its crawl) is then set;
#: ``values`` indexes the range's table of distinct day values (:class:`DayValues`).
CANDIDATE_COLUMNS = ("board_id", "movie_id", "day", "crawl_day", "rank", "values", "when")
#: The columns that travel as NumPy arrays (the rest are lists of text).
CANDIDATE_NUMBERS = ("board_id", "movie_id", "rank", "values")


def beijing_day(time_key: str) -> str:
    """The Beijing date of a UTC time key (``2023-11-08T22:08:18.000000Z`` -> 2023-11-09)."""
    return _beijing_day(time_key[:13])


@functools.lru_cache(maxsize=4096)
def _beijing_day(hour: str) -> str:
    """Remembered by the hour: a run asks for every film, and crawls share hours."""
    moment = datetime.strptime(hour, "%Y-%m-%dT%H")
    return (moment + BEIJING_OFFSET).date().isoformat()


def board_day(value: object) -> str | None:
    """``board_date`` as ``YYYY-MM-DD`` when it is one, else ``None`` (the crawl day is used)."""
    if type(value) is not str or len(value) != 10:
        return None
    return _iso_day(value)


@functools.lru_cache(maxsize=1024)
def _iso_day(text: str) -> str | None:
    """Remembered: every film's row asks, and a feed holds a few board dates."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


class DayValues:
    """The distinct day values (:class:`DayValue`) of a range, each under a number.

    A film's score and numbers repeat from day to day, so each distinct set of raw
    values is normalised once, and the rows carry its number."""

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}
        self.table: list[DayValue] = []

    def __call__(self, key: tuple) -> int:
        """The number of ``(board_id, score, box_office_realtime, box_office_total,
        wish_month, wish_total, source)`` as a line gives them."""
        try:
            number = self.ids.get(key)
        except TypeError:  # a list or an object where text belongs: nothing to remember
            self.table.append(self.normalise(key))
            return len(self.table) - 1
        if number is None:
            number = self.ids[key] = len(self.table)
            self.table.append(self.normalise(key))
        return number

    @staticmethod
    def normalise(key: tuple) -> DayValue:
        board_id, score, realtime_text, total_text, wish_month, wish_total, source = key
        realtime, realtime_currency, _ = parse_box_office(realtime_text, board_id)
        total, total_currency, _ = parse_box_office(total_text, board_id)
        return DayValue(
            parse_score(score),
            realtime,
            total,
            total_currency or realtime_currency,
            parse_wish_count(wish_month)[0],
            parse_wish_count(wish_total)[0],
            source,
        )


class CrawlDays:
    """Each usable line's day, as the history and the films table both take it, and
    the crawls seen: the latest dated line of each (its date is the day of the crawl's
    undated lines) and the crawls that had undated lines. Every map worker keeps one,
    history or not: a film is on its board's latest day when its winning line's day is
    the latest any crawl of the board had."""

    def __init__(self) -> None:
        self.crawls: Crawls = {}
        self.undated: set[CrawlKey] = set()
        self._days: dict[str, str | None] = {}
        self._beijing: dict[str, str] = {}

    def add(self, obj: dict[str, Any], when: str, source: str | None) -> tuple[str | None, str]:
        """The line's board date (``None``: undated) and the Beijing day of its crawl.

        It runs on every line of every run: each value is worked out once per distinct
        date and hour, and a crawl's latest line is updated in place."""
        raw_date = obj.get("board_date")
        try:
            day = self._days[raw_date]
        except (KeyError, TypeError):  # new, or no text (a list): not a date
            day = board_day(raw_date)
            if type(raw_date) is str:
                self._days[raw_date] = day
        hour = when[:13]
        crawl_day = self._beijing.get(hour)
        if crawl_day is None:
            crawl_day = self._beijing[hour] = beijing_day(when)
        crawl = (obj["board_id"], source, crawl_day)
        if day is None:
            self.undated.add(crawl)
            return None, crawl_day
        known = self.crawls.get(crawl)
        if known is None:
            self.crawls[crawl] = CrawlDate(when, day)
        elif when >= known.when:  # lines come in order: a tie is later
            known.when, known.day = when, day
        return day, crawl_day


def crawl_date(crawls: Crawls, crawl: CrawlKey) -> tuple[str, bool]:
    """The day of an undated line of ``crawl``: its crawl's board date, else the
    crawl's own Beijing day; and whether it is the latter."""
    dated = crawls.get(crawl)
    return (crawl[2], True) if dated is None else (dated.day, False)


def line_day(
    crawls: Crawls, board_id: int, source: str | None, board_date: str | None, when: str
) -> str:
    """A line's day: its board date, or its crawl's (:func:`crawl_date`)."""
    if board_date:
        return board_date
    return crawl_date(crawls, (board_id, source, beijing_day(when)))[0]


def latest_days(crawls: Crawls, undated: set[CrawlKey]) -> dict[int, str]:
    """Each board's latest day in the run's feeds, over every crawl of it."""
    latest: dict[int, str] = {}
    for crawl, dated in crawls.items():
        if dated.day > latest.get(crawl[0], ""):
            latest[crawl[0]] = dated.day
    for crawl in undated:
        day = crawl_date(crawls, crawl)[0]
        if day > latest.get(crawl[0], ""):
            latest[crawl[0]] = day
    return latest


class DayRows:
    """One range's history candidates, a row per usable line, built in a map worker
    and split by film into partitions (see :func:`postprocess.worker.partition_of`).

    Columns rather than a row object per line, and no deduplication here: in daily
    crawls nearly every line is its own row of the history, and the reduce step
    finds the latest line of each board, day and film with NumPy."""

    def __init__(self, partitions: int) -> None:
        self.parts = [{name: [] for name in CANDIDATE_COLUMNS} for _ in range(partitions)]
        self._appends = [
            tuple(part[name].append for name in CANDIDATE_COLUMNS) for part in self.parts
        ]
        self.values = DayValues()

    def add(
        self,
        obj: dict[str, Any],
        when: str,
        source: str | None,
        partition: int,
        day: str | None,
        crawl_day: str,
    ) -> None:
        """One usable line, with its board date and crawl day (:meth:`CrawlDays.add`)."""
        get = obj.get
        board_id = obj["board_id"]
        values = self.values(
            (
                board_id,
                get("score"),
                get("box_office_realtime"),
                get("box_office_total"),
                get("wish_month"),
                get("wish_total"),
                source,
            )
        )
        add_board, add_movie, add_day, add_crawl_day, add_rank, add_values, add_when = (
            self._appends[partition]
        )
        add_board(board_id)
        add_movie(obj["movie_id"])
        add_day(day)
        add_crawl_day(None if day is not None else crawl_day)
        add_rank(obj["rank"])
        add_values(values)
        add_when(when)

    def columns(self) -> list[dict[str, Any]]:
        """Each partition's candidates, numbers as arrays, with the range's table of
        day values (``value_table``)."""
        import numpy as np

        out = []
        for part in self.parts:
            columns: dict[str, Any] = {
                name: np.array(values, dtype=np.int64) if name in CANDIDATE_NUMBERS else values
                for name, values in part.items()
            }
            columns["value_table"] = self.values.table
            out.append(columns)
        return out


def merge_crawls(total: Crawls, part: Crawls) -> None:
    """Fold in the crawls of the next range (ranges in input order: a tie is later)."""
    for crawl, latest in part.items():
        known = total.get(crawl)
        if known is None or latest.when >= known.when:
            total[crawl] = latest
