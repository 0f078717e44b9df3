"""The two output tables, declared once: each column's name and kind, in order.

Every type map (the Arrow table the run builds, Parquet's types, pandas' dtypes, which
CSV cells are lists, amounts or times) is derived from these, so a column is added in
one place.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa


class Kind(StrEnum):
    INT = "int"  # a whole number, never missing
    COUNT = "count"  # a whole number that may be missing (a board without wish counts)
    FLOAT = "float"
    AMOUNT = "amount"  # money: a float, written whole in CSV
    BOOL = "bool"
    TEXT = "text"
    NAMES = "names"  # a list of names (``a|b`` in CSV)
    TIME = "time"  # a UTC time (text in JSONL; a timestamp in Parquet)
    DATE = "date"  # ``YYYY-MM-DD`` (a date in Parquet)
    LABEL = "label"  # text of a few distinct values (dictionary-encoded in Parquet)


K = Kind
#: The films table: each film's latest line, normalised.
FILMS: dict[str, Kind] = {
    "board_id": K.INT, "rank": K.INT, "movie_id": K.INT, "title": K.TEXT,
    "stars": K.NAMES, "director": K.TEXT, "genres": K.NAMES, "release_date": K.TEXT,
    "release_region": K.TEXT, "score": K.FLOAT, "score_label": K.TEXT,
    "box_office_realtime": K.AMOUNT, "box_office_total": K.AMOUNT,
    "box_office_currency": K.LABEL, "wish_month": K.COUNT, "wish_total": K.COUNT,
    "blurb": K.TEXT, "poster_url": K.TEXT, "detail_url": K.TEXT, "board_date": K.DATE,
    "source": K.LABEL, "first_seen": K.TIME, "last_seen": K.TIME, "times_seen": K.INT,
    "on_latest_board": K.BOOL,
}  # fmt: skip
#: The boards' history: one row per board, day and film.
HISTORY: dict[str, Kind] = {
    "board_id": K.INT, "day": K.DATE, "rank": K.INT, "movie_id": K.INT, "title": K.TEXT,
    "score": K.FLOAT, "box_office_realtime": K.AMOUNT, "box_office_total": K.AMOUNT,
    "box_office_currency": K.LABEL, "wish_month": K.COUNT, "wish_total": K.COUNT,
    "release_date": K.TEXT, "release_region": K.TEXT, "detail_url": K.TEXT,
    "day_from": K.LABEL, "source": K.LABEL, "crawled_at": K.TIME,
}  # fmt: skip
#: The columns that order each table; unique per row, so any order of rows before the
#: sort gives the same file.
FILMS_ORDER = ("board_id", "rank", "movie_id")
HISTORY_ORDER = ("board_id", "day", "rank", "movie_id")


def arrow_schema(columns: dict[str, Kind]) -> pa.Schema:
    """The table as the run builds it: times and days still text, as JSONL writes them."""
    types = {
        K.INT: pa.int64(), K.COUNT: pa.int64(), K.FLOAT: pa.float64(),
        K.AMOUNT: pa.float64(), K.BOOL: pa.bool_(), K.NAMES: pa.list_(pa.string()),
    }  # fmt: skip
    return pa.schema([(name, types.get(kind, pa.string())) for name, kind in columns.items()])


def parquet_type(kind: Kind) -> pa.DataType | None:
    """What a column becomes in Parquet beyond its :func:`arrow_schema` type, if anything."""
    return {
        K.TIME: pa.timestamp("us", tz="UTC"),
        K.DATE: pa.date32(),
        K.LABEL: pa.dictionary(pa.int32(), pa.string()),
    }.get(kind)


def pandas_dtypes(columns: dict[str, Kind]) -> dict[str, str]:
    """The dtypes pandas reads our Parquet back as (counts nullable, days as text)."""
    dtypes = {K.INT: "int64", K.COUNT: "Int64", K.FLOAT: "float64", K.AMOUNT: "float64",
              K.BOOL: "bool", K.TIME: "datetime64[us, UTC]", K.LABEL: "category",
              K.DATE: "str"}  # fmt: skip
    return {name: dtypes.get(kind, "object") for name, kind in columns.items()}
