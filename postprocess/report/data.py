"""What the report shows, computed from the history table: pure functions of a DataFrame.

Kept apart from drawing and HTML so each figure the page shows can be tested on its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from maoyan_common.boards import BOARDS
from postprocess.history import HISTORY_COLUMNS
from postprocess.output import FORMULA_STARTS

#: Columns the report cannot do without; the rest it shows where present.
REQUIRED = ("board_id", "day", "rank", "movie_id", "title")
OPTIONAL = tuple(name for name in HISTORY_COLUMNS if name not in REQUIRED)
#: Board numbers the report shows, in the order it prefers them.
NUMBER_COLUMNS = ("box_office_total", "box_office_realtime", "wish_total", "wish_month")
#: The boards whose numbers are their point (the box office boards, the wish board):
#: these draw them over time. TOP100's wish counts are a side note.
NUMBER_BOARDS = {board.feed_id: board.numbers for board in BOARDS if board.numbers}


class HistoryError(ValueError):
    """A history file the report cannot read; the message names the file and the fault."""


class HistoryDamagedError(ValueError):
    """A history table whose rows lack what every row of one has (a film, a rank)."""


def load_history(path: Path) -> pd.DataFrame:
    """Read a table ``python -m postprocess --history`` wrote, in any of its formats."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise HistoryError(f"{path}: no such file")
    if path.is_dir():
        raise HistoryError(f"{path} is a folder; give the history file")
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(path)
        elif suffix == ".csv":
            table = pd.read_csv(path, dtype={"day": str, "title": str}, encoding="utf-8-sig")
        elif suffix == ".jsonl":
            table = pd.read_json(path, lines=True, dtype={"day": str}, convert_dates=False)
        else:
            raise HistoryError(f"{path}: unknown history format {suffix or '(none)'!r}")
    except (OSError, ValueError) as error:
        if isinstance(error, HistoryError):
            raise
        raise HistoryError(f"{path}: cannot read it as {suffix}: {error}") from error
    return load_history_frame(table, path)


def load_history_frame(table: pd.DataFrame, path: Path | str = "history") -> pd.DataFrame:
    """A history table as the report reads it: required columns checked, optional ones
    added empty, days as ``YYYY-MM-DD`` text, sorted by board, day and rank."""
    missing = [name for name in REQUIRED if name not in table.columns]
    if missing:
        raise HistoryError(
            f"{path}: not a history table (no column {', '.join(missing)}); "
            "make one with `python -m postprocess FEED ... --history HISTORY`"
        )
    table = table.copy()
    for name in OPTIONAL:
        if name not in table.columns:
            table[name] = None
    for name in ("board_id", "rank", "movie_id"):
        if (blank := table[name].isna()).any():
            raise HistoryDamagedError(
                f"{path}: {int(blank.sum()):,} row(s) have no {name} (the first is row "
                f"{int(blank.to_numpy().argmax()) + 1:,}); a history the post-process writes "
                "has one on every row: write it again with `python -m postprocess FEED ... "
                "--history HISTORY`"
            )
    table["day"] = table["day"].astype(str).str[:10]
    for name in ("title", "release_region", "detail_url"):
        table[name] = table[name].map(_unneutralised)
    table = table.astype({"board_id": "int64", "rank": "int64", "movie_id": "int64"})
    return table.sort_values(["board_id", "day", "rank", "movie_id"], ignore_index=True)


def _unneutralised(text: object) -> object:
    """CSV cells the writer prefixed with ``'`` (against spreadsheet formulas, see
    :func:`postprocess.output.neutralise_formula`), as they were."""
    if isinstance(text, str) and text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return None if isinstance(text, float) and pd.isna(text) else text


def latest_board(board: pd.DataFrame) -> pd.DataFrame:
    """The last day's rows, with ``change``: places climbed since the day before
    (positive up), or ``None`` for a film new on the board (``previous_day`` says
    which day it is compared with; ``None`` when the history has one day)."""
    days = sorted(board["day"].unique())
    latest = board[board["day"] == days[-1]].copy()
    latest["previous_day"] = days[-2] if len(days) > 1 else None
    if len(days) < 2:
        latest["change"] = pd.NA
        latest["new"] = False
        return latest.reset_index(drop=True)
    before = board[board["day"] == days[-2]].set_index("movie_id")["rank"]
    previous = latest["movie_id"].map(before)
    latest["new"] = previous.isna()
    latest["change"] = (previous - latest["rank"]).astype("Int64")
    return latest.reset_index(drop=True)


def exits(board: pd.DataFrame) -> pd.DataFrame:
    """Films on the day before the last that the last day no longer shows."""
    days = sorted(board["day"].unique())
    if len(days) < 2:
        return board.iloc[0:0]
    gone = set(board.loc[board["day"] == days[-2], "movie_id"]) - set(
        board.loc[board["day"] == days[-1], "movie_id"]
    )
    before = board[(board["day"] == days[-2]) & board["movie_id"].isin(gone)]
    return before.reset_index(drop=True)


def entries_and_exits(board: pd.DataFrame) -> pd.DataFrame:
    """Per day from the second on: how many films entered and how many left."""
    days = sorted(board["day"].unique())
    films = board.groupby("day")["movie_id"].apply(set)
    rows = []
    for before, day in itertools.pairwise(days):
        rows.append((day, len(films[day] - films[before]), len(films[before] - films[day])))
    return pd.DataFrame(rows, columns=["day", "entered", "left"])


def rank_moves(board: pd.DataFrame, since: str | None = None) -> pd.DataFrame:
    """For each film on the last day: its rank on the first day (from ``since`` on) it
    was on the board, and the places it climbed since (positive up)."""
    days = sorted(board["day"].unique())
    window = board if since is None else board[board["day"] >= since]
    latest = board[board["day"] == days[-1]][["movie_id", "title", "rank", "detail_url"]]
    first = window.sort_values("day").drop_duplicates("movie_id")[["movie_id", "day", "rank"]]
    moves = latest.merge(first, on="movie_id", suffixes=("", "_then"))
    moves["climb"] = moves["rank_then"] - moves["rank"]
    return moves.rename(columns={"day": "day_then"})


def climbs_and_falls(
    board: pd.DataFrame, since: str | None = None, top: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    moves = rank_moves(board, since)
    climbs = moves[moves["climb"] > 0].sort_values(["climb", "rank"], ascending=[False, True])
    falls = moves[moves["climb"] < 0].sort_values(["climb", "rank"], ascending=[True, True])
    return climbs.head(top).reset_index(drop=True), falls.head(top).reset_index(drop=True)


def week_start(board: pd.DataFrame) -> str:
    """The first day of the last 7 days the history covers (the last day and six before)."""
    last = pd.Timestamp(board["day"].max())
    return (last - pd.Timedelta(days=6)).date().isoformat()


def longest_standing(board: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Films by the days the history shows them on the board (ties: better best rank)."""
    grouped = board.groupby("movie_id").agg(
        days=("day", "nunique"),
        first_day=("day", "min"),
        last_day=("day", "max"),
        best_rank=("rank", "min"),
    )
    titles = board.sort_values("day").drop_duplicates("movie_id", keep="last")
    titles = titles.set_index("movie_id")[["title", "detail_url"]]
    table = grouped.join(titles).reset_index()
    return (
        table.sort_values(["days", "best_rank", "movie_id"], ascending=[False, True, True])
        .head(top)
        .reset_index(drop=True)
    )


def bump_films(
    board: pd.DataFrame, latest: pd.DataFrame, top: int = 10, movers: int = 5
) -> tuple[list[int], list[int]]:
    """The films the bump chart draws: the last day's top ``top``, and the ``movers``
    other films of the last day whose rank moved most over the period (best rank to worst);
    ``latest``: :func:`latest_board` of ``board``."""
    leaders = latest.nsmallest(top, "rank")["movie_id"].tolist()
    spread = board.groupby("movie_id")["rank"].agg(lambda ranks: ranks.max() - ranks.min())
    others = spread.drop(leaders, errors="ignore")
    others = others[others.index.isin(latest["movie_id"]) & (others > 0)]
    ranked = sorted(others.items(), key=lambda item: (-item[1], item[0]))
    return leaders, [movie_id for movie_id, _ in ranked[:movers]]


def release_decades(latest: pd.DataFrame) -> pd.Series:
    """Films of the last day (:func:`latest_board`) by release decade (``1990s``), oldest first."""
    years = pd.to_numeric(latest["release_date"].astype("string").str[:4], errors="coerce")
    decades = (years // 10 * 10).dropna().astype(int)
    return decades.value_counts().sort_index().rename(lambda decade: f"{decade}s")


def release_regions(latest: pd.DataFrame, not_stated: str) -> pd.Series:
    """Films of the last day by release region, most first, every region named; the
    films whose release names none (Maoyan names none for a mainland release) counted
    last as ``not_stated``, so the bars add up to the board."""
    named = latest["release_region"].map(lambda region: isinstance(region, str) and region != "")
    counts = latest.loc[named, "release_region"].value_counts()
    # Most first, ties by name: the same history draws the same chart.
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    if missing := int((~named).sum()):
        counts = pd.concat([counts, pd.Series({not_stated: missing})])
    return counts


def scores(latest: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(latest["score"], errors="coerce").dropna()


def every_film_every_day(board: pd.DataFrame) -> bool:
    """Whether every film the history shows was on the board every day it covers: then
    "longest on the board" is every film alike, said in a sentence."""
    days = board["day"].nunique()
    return bool(board.groupby("movie_id")["day"].nunique().eq(days).all())


def number_column(board: pd.DataFrame) -> str | None:
    """The number a box-office or wish board is about, to draw over time, if it has any."""
    for name in NUMBER_BOARDS.get(int(board["board_id"].iloc[0]), ()):
        if pd.to_numeric(board[name], errors="coerce").notna().any():
            return name
    return None


class Placed(NamedTuple):
    """A film at a rank on one day."""

    rank: int
    movie_id: int
    title: str
    detail_url: str | None


class Moved(NamedTuple):
    """A film on both of the last two days, and its ranks then and now."""

    rank: int
    rank_before: int
    movie_id: int
    title: str
    detail_url: str | None

    @property
    def climb(self) -> int:
        """Places climbed (negative: fallen)."""
        return self.rank_before - self.rank


@dataclass(frozen=True)
class DayChanges:
    """What changed on a board from its previous day in the history to its last:
    what a reader looks for first thing in the morning."""

    day: str
    previous_day: str | None
    leader: Placed
    #: The number 1 of the previous day, when the last day has another.
    leader_before: Placed | None = None
    entered: tuple[Placed, ...] = ()
    left: tuple[Placed, ...] = ()
    climbs: tuple[Moved, ...] = ()
    falls: tuple[Moved, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything moved at all (a board with one day: nothing to compare)."""
        return bool(self.entered or self.left or self.climbs or self.falls)


def _placed(rows: pd.DataFrame) -> tuple[Placed, ...]:
    return tuple(
        Placed(int(row.rank), int(row.movie_id), str(row.title), row.detail_url)
        for row in rows.sort_values(["rank", "movie_id"]).itertuples(index=False)
    )


def day_changes(board: pd.DataFrame, latest: pd.DataFrame, top: int = 3) -> DayChanges:
    """The board's last day against the day before it in the history: films that
    entered (by their rank now) and left (by their rank then), the ``top`` biggest
    climbs and falls (ties: the better rank now first), and a new number 1;
    ``latest``: :func:`latest_board` of ``board``."""
    leader = _placed(latest.nsmallest(1, "rank"))[0]
    day, previous_day = str(latest["day"].iloc[0]), latest["previous_day"].iloc[0]
    if previous_day is None:
        return DayChanges(day, None, leader)
    before = board[board["day"] == previous_day]
    leader_before = _placed(before.nsmallest(1, "rank"))[0]
    stayed = latest[~latest["new"]]
    moves = [
        Moved(int(row.rank), int(row.rank) + int(row.change), int(row.movie_id), str(row.title),
              row.detail_url)
        for row in stayed.itertuples(index=False)
        if int(row.change) != 0
    ]  # fmt: skip
    climbs = sorted((m for m in moves if m.climb > 0), key=lambda m: (-m.climb, m.rank))
    falls = sorted((m for m in moves if m.climb < 0), key=lambda m: (m.climb, m.rank))
    return DayChanges(
        day,
        str(previous_day),
        leader,
        leader_before if leader_before.movie_id != leader.movie_id else None,
        entered=_placed(latest[latest["new"]]),
        left=_placed(exits(board)),
        climbs=tuple(climbs[:top]),
        falls=tuple(falls[:top]),
    )


class Standing(NamedTuple):
    """One of a board's first films on its last day, with the number the board is
    about (box office, wish count) or, where it has none, its score."""

    rank: int
    title: str
    detail_url: str | None
    value: float | None
    currency: str | None


def leaders(
    board: pd.DataFrame, latest: pd.DataFrame, top: int = 3
) -> tuple[str | None, list[Standing]]:
    """The board's ``top`` first films on its last day (``latest``: :func:`latest_board`
    of ``board``), by rank, and the number shown beside each: the board's own (box
    office, wish count: ``column``) where it has one, else the score (``None``)."""
    latest = latest.nsmallest(top, "rank")
    column = number_column(board)
    values = pd.to_numeric(latest[column or "score"], errors="coerce")
    standings = [
        Standing(
            int(row["rank"]),
            str(row["title"]),
            row["detail_url"],
            None if pd.isna(value) else float(value),
            row["box_office_currency"] if isinstance(row["box_office_currency"], str) else None,
        )
        for row, value in zip(latest.to_dict("records"), values, strict=True)
    ]
    return column, standings
