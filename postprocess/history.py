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

Each map worker reduces its range to candidate rows (the latest line per board, day and
film, with a count) and splits them by film; each reduce worker merges one partition,
gives the undated rows their crawl's day and the film's title, so memory grows with
films x days and no step handles a row per line in one process.
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

#: A crawl (board_id, source, Beijing crawl day) -> (crawled_at key, order, board date)
#: of its latest dated line: the day its undated lines take.
CrawlKey = tuple[int, str, str]
Crawls = dict[CrawlKey, tuple[str, int, str]]
#: A candidate row in a map worker: ``[rank, day values, crawled_at key, order, lines]``.
Entry = list[Any]
RANK, VALUES, WHEN, ORDER, COUNT = range(5)
#: The columns in which candidates travel from the map to the reduce step. ``day`` is
#: ``None`` for an undated line, which carries its ``source`` and ``crawl_day`` instead.
CANDIDATE_COLUMNS = (
    "board_id",
    "movie_id",
    "day",
    "source",
    "crawl_day",
    "rank",
    "values",
    "when",
    "order",
    "count",
)


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


class DayValues:
    """A line's day values (:data:`DAY_COLUMNS` but the rank), normalised like the
    films table's.

    A film's score and numbers repeat from day to day, so each distinct set of raw
    values is normalised once, and the rows share one tuple of them."""

    def __init__(self) -> None:
        self.seen: dict[tuple, tuple] = {}

    def __call__(self, board_id: int, raw: tuple) -> tuple[Any, ...]:
        key = (board_id, *raw)
        try:
            done = self.seen.get(key)
        except TypeError:  # a list or an object where text belongs: nothing to remember
            return self.normalise(board_id, raw)
        if done is None:
            done = self.seen[key] = self.normalise(board_id, raw)
        return done

    @staticmethod
    def normalise(board_id: int, raw: tuple) -> tuple[Any, ...]:
        score, realtime_text, total_text, wish_month, wish_total, source = raw
        realtime, realtime_currency, _ = parse_box_office(realtime_text, board_id)
        total, total_currency, _ = parse_box_office(total_text, board_id)
        return (
            parse_score(score),
            realtime,
            total,
            total_currency or realtime_currency,
            parse_wish_count(wish_month)[0],
            parse_wish_count(wish_total)[0],
            source,
        )


class DayRows:
    """One range's candidate rows, built line by line in a map worker.

    Dated lines are keyed by (board_id, movie_id, day); undated ones by (board_id,
    movie_id, source, crawl day) until the reduce step knows their crawl's date. The
    latest line of a key wins (a tie: the later line)."""

    def __init__(self) -> None:
        self.rows: dict[tuple, Entry] = {}
        self.crawls: Crawls = {}
        self.values = DayValues()
        self._days: dict[str, str | None] = {}
        self._beijing: dict[str, str] = {}

    def add(self, obj: dict[str, Any], when: str, order: int, source: str) -> None:
        raw_date = obj.get("board_date")
        day = None
        if type(raw_date) is str:
            day = self._days.get(raw_date, "")
            if day == "":
                day = self._days[raw_date] = board_day(raw_date)
        hour = when[:13]
        crawl_day = self._beijing.get(hour)
        if crawl_day is None:
            crawl_day = self._beijing[hour] = beijing_day(when)
        get = obj.get
        board_id = obj["board_id"]
        values = self.values(
            board_id,
            (
                get("score"),
                get("box_office_realtime"),
                get("box_office_total"),
                get("wish_month"),
                get("wish_total"),
                source,
            ),
        )
        if day is not None:
            crawl = (board_id, source, crawl_day)
            known = self.crawls.get(crawl)
            if known is None or when >= known[0]:  # lines come in order: a tie is later
                self.crawls[crawl] = (when, order, day)
            key: tuple = (board_id, obj["movie_id"], day)
        else:
            key = (board_id, obj["movie_id"], source, crawl_day)
        entry = self.rows.get(key)
        if entry is None:
            self.rows[key] = [obj["rank"], values, when, order, 1]
            return
        entry[COUNT] += 1
        if when >= entry[WHEN]:
            entry[RANK], entry[VALUES], entry[WHEN], entry[ORDER] = (
                obj["rank"],
                values,
                when,
                order,
            )

    def columns(self, partitions: int) -> list[dict[str, list]]:
        """The candidates as :data:`CANDIDATE_COLUMNS`, split by film into ``partitions``
        (see :func:`postprocess.worker.partition_of`)."""
        parts = [{name: [] for name in CANDIDATE_COLUMNS} for _ in range(partitions)]
        for key, entry in self.rows.items():
            part = parts[hash(key[:2]) % partitions]
            part["board_id"].append(key[0])
            part["movie_id"].append(key[1])
            if len(key) == 3:
                part["day"].append(key[2])
                part["source"].append(None)
                part["crawl_day"].append(None)
            else:
                part["day"].append(None)
                part["source"].append(key[2])
                part["crawl_day"].append(key[3])
            part["rank"].append(entry[RANK])
            part["values"].append(entry[VALUES])
            part["when"].append(entry[WHEN])
            part["order"].append(entry[ORDER])
            part["count"].append(entry[COUNT])
        return parts


def merge_crawls(total: Crawls, part: Crawls) -> None:
    """Fold one range's crawls in: each crawl's latest dated line gives its date."""
    for crawl, latest in part.items():
        known = total.get(crawl)
        if known is None or latest[:2] > known[:2]:
            total[crawl] = latest
