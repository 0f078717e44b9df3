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

Workers reduce their ranges to candidate rows (the latest line per board, day and
film, with a count); the parent merges them, so memory grows with films x days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from postprocess.normalise import parse_box_office, parse_score, parse_wish_count

#: Beijing has kept UTC+8 all year since 1991: a fixed offset, no zone database needed.
BEIJING = timedelta(hours=8)

#: What a day's winning line gives, normalised (see :class:`DayValues`).
DAY_COLUMNS = [
    "rank",
    "score",
    "box_office_realtime",
    "box_office_total",
    "box_office_currency",
    "wish_month",
    "wish_total",
    "source",
]
#: What the history takes from the films table: a film's title, release and link do
#: not change from day to day.
FILM_COLUMNS = ["title", "release_date", "release_region", "detail_url"]
#: The history's columns, in order.
HISTORY_COLUMNS = [
    "board_id",
    "day",
    "rank",
    "movie_id",
    *FILM_COLUMNS[:1],
    *DAY_COLUMNS[1:-1],
    *FILM_COLUMNS[1:],
    "day_from",
    "source",
    "crawled_at",
]

#: A candidate row: ``[values, crawled_at key, order, lines]``; ``values`` are the
#: line's raw ``(rank, score, box_office_realtime, box_office_total, wish_month,
#: wish_total, source)``, normalised only for the rows that win.
Entry = list[Any]
VALUES, WHEN, ORDER, COUNT = range(4)
#: Dated candidates by (board_id, movie_id, day); undated ones by (board_id,
#: movie_id, source, crawl day) until the parent knows their crawl's board date.
DatedKey = tuple[int, int, str]
UndatedKey = tuple[int, int, str, str]
#: A crawl (board_id, source, crawl day) -> (crawled_at key, order, board date) of
#: its latest dated line.
CrawlKey = tuple[int, str, str]


def beijing_day(time_key: str) -> str:
    """The Beijing date of a UTC time key (``2023-11-08T22:08:18.000000Z`` -> 2023-11-09)."""
    moment = datetime.strptime(time_key[:13], "%Y-%m-%dT%H")
    return (moment + BEIJING).date().isoformat()


def board_day(value: object) -> str | None:
    """``board_date`` as ``YYYY-MM-DD`` when it is one, else ``None`` (the crawl day is used)."""
    if type(value) is not str or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


class HistoryParts:
    """One range's candidate rows, built line by line in a worker."""

    def __init__(self) -> None:
        self.dated: dict[DatedKey, Entry] = {}
        self.undated: dict[UndatedKey, Entry] = {}
        self.crawls: dict[CrawlKey, tuple[str, tuple[int, int, int], str]] = {}
        self._days: dict[str, str | None] = {}
        self._beijing: dict[str, str] = {}

    def forget_caches(self) -> None:
        self._days, self._beijing = {}, {}

    def add(self, obj: dict[str, Any], when: str, order: tuple[int, int, int], source: str) -> None:
        raw_date = obj.get("board_date")
        day = None
        if type(raw_date) is str:
            try:
                day = self._days[raw_date]
            except KeyError:
                day = self._days[raw_date] = board_day(raw_date)
        hour = when[:13]
        crawl_day = self._beijing.get(hour)
        if crawl_day is None:
            crawl_day = self._beijing[hour] = beijing_day(when)
        get = obj.get
        values = (
            obj["rank"],
            get("score"),
            get("box_office_realtime"),
            get("box_office_total"),
            get("wish_month"),
            get("wish_total"),
            source,
        )
        board_id, movie_id = obj["board_id"], obj["movie_id"]
        if day is not None:
            crawl = (board_id, source, crawl_day)
            known_crawl = self.crawls.get(crawl)
            if known_crawl is None or (when, order) >= known_crawl[:2]:
                self.crawls[crawl] = (when, order, day)
            keep(self.dated, (board_id, movie_id, day), values, when, order)
        else:
            keep(self.undated, (board_id, movie_id, source, crawl_day), values, when, order)


def keep(rows: dict[Any, Entry], key: Any, values: tuple, when: str, order: tuple) -> None:
    """Count one line for ``key``; the latest crawled_at wins (a tie: the later line)."""
    known = rows.get(key)
    if known is None:
        rows[key] = [values, when, order, 1]
        return
    known[COUNT] += 1
    if (when, order) >= (known[WHEN], known[ORDER]):
        known[VALUES], known[WHEN], known[ORDER] = values, when, order


def merge_rows(total: dict[Any, Entry], part: dict[Any, Entry]) -> None:
    """Fold one range's candidates into the running ones (latest wins, counts add up)."""
    for key, entry in part.items():
        known = total.get(key)
        if known is None:
            total[key] = entry
            continue
        known[COUNT] += entry[COUNT]
        if (entry[WHEN], entry[ORDER]) > (known[WHEN], known[ORDER]):
            known[VALUES], known[WHEN], known[ORDER] = entry[VALUES], entry[WHEN], entry[ORDER]


def merge_parts(total: HistoryParts, part: HistoryParts) -> None:
    merge_rows(total.dated, part.dated)
    merge_rows(total.undated, part.undated)
    for crawl, latest in part.crawls.items():
        known = total.crawls.get(crawl)
        if known is None or latest[:2] > known[:2]:
            total.crawls[crawl] = latest


def resolve_days(parts: HistoryParts) -> dict[DatedKey, tuple[Entry, str]]:
    """Every candidate under its day, with where the day came from (``board`` or
    ``crawl``); undated lines join their crawl's board date where it has one. Where
    both land on one key the later line wins and the counts add up (``parts`` is left
    as it was)."""
    rows: dict[DatedKey, tuple[Entry, str]] = {
        key: (entry, "board") for key, entry in parts.dated.items()
    }
    for (board_id, movie_id, source, crawl_day), entry in parts.undated.items():
        crawl = parts.crawls.get((board_id, source, crawl_day))
        day, day_from = (crawl[2], "board") if crawl else (crawl_day, "crawl")
        key = (board_id, movie_id, day)
        known = rows.get(key)
        if known is None:
            rows[key] = (entry, day_from)
            continue
        kept, kept_from = known
        later, later_from = (
            (entry, day_from)
            if (entry[WHEN], entry[ORDER]) > (kept[WHEN], kept[ORDER])
            else (kept, kept_from)
        )
        merged = [later[VALUES], later[WHEN], later[ORDER], kept[COUNT] + entry[COUNT]]
        rows[key] = (merged, later_from)
    return rows


class DayValues:
    """A winning line's day values (:data:`DAY_COLUMNS`), normalised like the films
    table's.

    A film's score and numbers repeat from day to day, so each distinct set of raw
    values is normalised once (the history has a row per film and day)."""

    def __init__(self) -> None:
        self.seen: dict[tuple, tuple] = {}

    def __call__(self, board_id: int, values: tuple) -> tuple[Any, ...]:
        key = (board_id, *values[1:])
        done = self.seen.get(key)
        if done is None:
            _, score, realtime_text, total_text, wish_month, wish_total, source = values
            realtime, realtime_currency, _ = parse_box_office(realtime_text, board_id)
            total, total_currency, _ = parse_box_office(total_text, board_id)
            done = self.seen[key] = (
                parse_score(score),
                realtime,
                total,
                total_currency or realtime_currency,
                parse_wish_count(wish_month)[0],
                parse_wish_count(wish_total)[0],
                source,
            )
        return (values[0], *done)
