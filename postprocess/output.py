"""Writing the table and its companions, atomically and together.

Every file is written beside its destination under a temporary name and moved into
place only when all of a run's files are complete, so a failed, interrupted or
killed run leaves no partial file and its earlier outputs stay as they were.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

from maoyan_common.files import (
    move_into_place,
    new_file_mode,
    real,
    remove_leftovers,
    temporary_beside,
)

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".jsonl", ".csv", ".parquet")
#: What makes a spreadsheet read a CSV cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def output_lock(targets: list[Path]) -> Iterator[None]:
    """Hold the folders of a run's outputs for the run, one run at a time: two runs
    publishing the same outputs at once would leave a mix of both. A second run waits,
    and says so. The lock is the folder's own (``flock`` on it), so no lock file is left
    behind, and it is let go when the process ends, however it ends."""
    import fcntl

    folders = sorted({real(target).parent for target in targets})
    handles = []
    try:
        for folder in folders:
            handle = os.open(folder, os.O_RDONLY)
            handles.append(handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"python -m postprocess: waiting: another post-process run is writing "
                    f"outputs in {folder}; this run goes on when it has finished",
                    file=sys.stderr,
                    flush=True,
                )
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            os.close(handle)


class Staging:
    """Outputs written under temporary names beside their targets, published together.

    ``publish()`` moves every file into place only once all are complete, so a
    failed or interrupted run changes none of its outputs; a replaced file keeps its
    mode (a new one gets the umask's). Files left by a killed run are removed first.
    """

    def __init__(self, targets: list[Path]) -> None:
        self.targets = targets
        #: The file each target names, resolved once: the temporary file is made beside
        #: the file it replaces.
        self.files = {target: real(target) for target in targets}
        self.temps: dict[Path, Path] = {}
        #: Targets that are removed when the set is published (an output not written).
        self.removed: list[Path] = []
        self.leftovers = [path for file in self.files.values() for path in remove_leftovers(file)]

    def file(self, target: Path) -> Path:
        return self.files.setdefault(target, real(target))

    def path(self, target: Path) -> Path:
        """The temporary path that will become ``target`` (a symlinked target: the link's
        file, as editors and ``cp`` write it)."""
        if target not in self.temps:
            self.temps[target] = temporary_beside(self.file(target))
        return self.temps[target]

    def remove(self, target: Path) -> None:
        """Publish the set without ``target``: what this run did not write, an earlier
        run's file of the same name must not pass for."""
        if temp := self.temps.pop(target, None):
            temp.unlink(missing_ok=True)
        self.removed.append(target)

    @contextlib.contextmanager
    def writer(self, target: Path) -> Iterator[IO[bytes]]:
        with self.path(target).open("wb") as stream:
            yield stream

    def publish(self) -> None:
        default_mode = new_file_mode()
        for temp in self.temps.values():
            with temp.open("rb") as done:
                os.fsync(done.fileno())
        for target, temp in self.temps.items():  # only once every file is complete
            move_into_place(temp, self.file(target), default_mode)
        for target in self.removed:
            self.file(target).unlink(missing_ok=True)
        self.temps.clear()

    def discard(self) -> None:
        for temp in self.temps.values():
            temp.unlink(missing_ok=True)
        self.temps.clear()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()  # after publish() there is nothing left to discard


def is_jsonl(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


def json_line(columns: list[str], row: Iterable[object]) -> bytes:
    r"""One row of a JSONL output. orjson rather than DataFrame.to_json, which writes
    "https:\/\/" in every URL; orjson writes a NaN score as null.

    The reduce step writes the rows of a JSONL output with this in parallel, from the
    values a table would hold, so they are the bytes :func:`_write_jsonl` writes."""
    return orjson.dumps(dict(zip(columns, row, strict=True)), option=JSON_OPTIONS)


def _write_jsonl(table: pd.DataFrame, path: Path) -> None:
    columns = list(table.columns)
    # Nullable integer columns hold pd.NA, which orjson cannot write: null instead.
    counts = table.select_dtypes("Int64").columns
    table = table.astype({name: object for name in counts})
    table[counts] = table[counts].where(table[counts].notna(), None)
    with path.open("wb") as out:
        for row in table.itertuples(index=False, name=None):
            out.write(json_line(columns, row))


def neutralise_formula(text: object) -> object:
    """A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or
    carriage return first: CSV injection), made text by a leading apostrophe."""
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def whole(value: float) -> object:
    """An amount as a CSV cell: ``1560000000``, not ``1560000000.0``."""
    return int(value) if value == value and float(value).is_integer() else value


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """A byte-order mark so Excel on Windows reads the Chinese as UTF-8; lists as
    ``a|b``; times as ``YYYY-MM-DD HH:MM:SS`` (UTC), the form Excel and LibreOffice
    take for a date and time (an ISO ``T…Z`` time they keep as text); amounts whole
    where they are."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    lists = {name: table[name].map("|".join) for name in LIST_COLUMNS if name in table}
    times = {
        name: table[name].str.replace("T", " ", n=1).str.removesuffix("Z")
        for name, kind in PARQUET_TYPES.items()
        if kind == "time" and name in table
    }
    amounts = {
        name: pd.Series([whole(value) for value in table[name]], index=table.index, dtype=object)
        for name in AMOUNT_COLUMNS
        if name in table
    }
    flat = table.assign(**lists, **times, **amounts)
    for name in flat.columns:
        if not is_numeric_dtype(flat[name]) and name not in amounts:
            flat[name] = flat[name].map(neutralise_formula)
    flat.to_csv(path, index=False, encoding="utf-8-sig")


#: Amounts of money: whole numbers of yuan or dollars nearly always.
AMOUNT_COLUMNS = ("box_office_realtime", "box_office_total")


#: Columns that hold lists of names (written ``a|b`` in CSV).
LIST_COLUMNS = ("stars", "genres")
#: Parquet types of the columns of both tables (the rest: text); times are UTC
#: timestamps, days dates (``date32``); text of a few distinct values is dictionary-
#: encoded (``category``), which pandas reads back as a categorical and DuckDB as text.
PARQUET_TYPES = {
    "board_id": "int64",
    "rank": "int64",
    "movie_id": "int64",
    "stars": "list",
    "genres": "list",
    "score": "float64",
    "box_office_realtime": "float64",
    "box_office_total": "float64",
    "box_office_currency": "category",
    "wish_month": "int64",
    "wish_total": "int64",
    "first_seen": "time",
    "last_seen": "time",
    "crawled_at": "time",
    "times_seen": "int64",
    "on_latest_board": "bool",
    "board_date": "date",
    "day": "date",
    "source": "category",
    "day_from": "category",
}


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    """The table as Parquet with :data:`PARQUET_TYPES`. Days and dictionaries are made
    by Arrow from the text (a cast and an encoding of the column: pandas' dates would
    cost a Python object per row)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    kinds = {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "list": pa.list_(pa.string()),
        "time": pa.timestamp("us", tz="UTC"),
    }
    kind_of = {name: PARQUET_TYPES.get(name, "") for name in table.columns}
    times = [name for name, kind in kind_of.items() if kind == "time"]
    typed = table.assign(
        **{name: pd.to_datetime(table[name], utc=True, format="ISO8601") for name in times}
    )
    schema = pa.schema([(name, kinds.get(kind, pa.string())) for name, kind in kind_of.items()])
    arrow = pa.Table.from_pandas(typed, schema=schema, preserve_index=False)
    for at, name in enumerate(table.columns):
        if kind_of[name] == "date":
            arrow = arrow.set_column(at, name, pc.cast(arrow[name], pa.date32()))
        elif kind_of[name] == "category":
            arrow = arrow.set_column(at, name, arrow[name].dictionary_encode())
    # pandas' metadata describes the columns before the cast: readers go by Arrow's types.
    pq.write_table(arrow, path)


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".jsonl": _write_jsonl,
    ".csv": _write_csv,
    ".parquet": _write_parquet,
}


def write_table(table: pd.DataFrame, path: Path, format_of: Path) -> None:
    """Write the table to ``path`` in the format ``format_of``'s extension names."""
    WRITERS[format_of.suffix.lower()](table, path)
