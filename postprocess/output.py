"""Writing the table and its companions, atomically.

Every file is written beside its destination under a temporary name and moved into
place only when complete, so a failed or interrupted run leaves no partial file and
an earlier output stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".jsonl", ".csv", ".parquet")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` that replaces it on success, vanishes on failure."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        with temp.open("rb+") as done:
            os.fsync(done.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[IO[bytes]]:
    with atomic_path(target) as temp, temp.open("wb") as stream:
        yield stream


def _write_jsonl(table: pd.DataFrame, path: Path) -> None:
    # orjson rather than DataFrame.to_json, which writes "https:\/\/" in every URL;
    # orjson writes a NaN score as null.
    columns = list(table.columns)
    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
    # Nullable integer columns hold pd.NA, which orjson cannot write: null instead.
    counts = table.select_dtypes("Int64").columns
    table = table.astype({name: object for name in counts})
    table[counts] = table[counts].where(table[counts].notna(), None)
    with path.open("wb") as out:
        for row in table.itertuples(index=False, name=None):
            out.write(orjson.dumps(dict(zip(columns, row, strict=True)), option=options))


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    # A byte-order mark so Excel on Windows reads the Chinese as UTF-8.
    flat = table.assign(stars=table["stars"].map("|".join))
    flat.to_csv(path, index=False, encoding="utf-8-sig")


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    import pandas as pd
    import pyarrow as pa

    schema = pa.schema(
        [
            ("board_id", pa.int64()),
            ("rank", pa.int64()),
            ("movie_id", pa.int64()),
            ("title", pa.string()),
            ("stars", pa.list_(pa.string())),
            ("release_date", pa.string()),
            ("release_region", pa.string()),
            ("score", pa.float64()),
            ("box_office_realtime", pa.float64()),
            ("box_office_total", pa.float64()),
            ("box_office_currency", pa.string()),
            ("wish_month", pa.int64()),
            ("wish_total", pa.int64()),
            ("poster_url", pa.string()),
            ("detail_url", pa.string()),
            ("board_date", pa.string()),
            ("first_seen", pa.timestamp("us", tz="UTC")),
            ("last_seen", pa.timestamp("us", tz="UTC")),
            ("times_seen", pa.int64()),
        ]
    )
    typed = table.assign(
        first_seen=pd.to_datetime(table["first_seen"], utc=True, format="ISO8601"),
        last_seen=pd.to_datetime(table["last_seen"], utc=True, format="ISO8601"),
    )
    typed.to_parquet(path, index=False, schema=schema, engine="pyarrow")


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".jsonl": _write_jsonl,
    ".csv": _write_csv,
    ".parquet": _write_parquet,
}


def write_table(table: pd.DataFrame, target: Path) -> None:
    """Write the table in the format its extension names, atomically."""
    writer = WRITERS[target.suffix.lower()]
    with atomic_path(target) as temp:
        writer(table, temp)
