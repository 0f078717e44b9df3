"""Writing the table and its companions, atomically and together.

Every file is written beside its destination under a temporary name and moved into
place only when all of a run's files are complete, so a failed, interrupted or
killed run leaves no partial file and its earlier outputs stay as they were.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from maoyan_common.files import (
    move_into_place,
    new_file_mode,
    real,
    remove_leftovers,
    temporary_beside,
)
from postprocess.schema import Kind, pandas_dtypes, parquet_type

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


JSON_OPTIONS = orjson.OPT_APPEND_NEWLINE
#: Rows handled at a time as Python values (a table holds them in far less memory).
BATCH_ROWS = 16_384


def _write_jsonl(table: pa.Table, columns: dict[str, Kind], path: Path) -> None:
    r"""orjson rather than a DataFrame's to_json, which writes "https:\/\/" in every URL."""
    names = table.column_names
    with path.open("wb") as out:
        for batch in table.to_batches(BATCH_ROWS):
            for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                out.write(orjson.dumps(dict(zip(names, row, strict=True)), option=JSON_OPTIONS))


def neutralise_formula(text: object) -> object:
    """A cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or
    carriage return first: CSV injection), made text by a leading apostrophe."""
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def whole(value: float) -> object:
    """An amount as a CSV cell: ``1560000000``, not ``1560000000.0``."""
    return int(value) if value is not None and float(value).is_integer() else value


def _write_csv(table: pa.Table, columns: dict[str, Kind], path: Path) -> None:
    """A byte-order mark so Excel on Windows reads the Chinese as UTF-8; lists as
    ``a|b``; times as ``YYYY-MM-DD HH:MM:SS`` (UTC), the form Excel and LibreOffice
    take for a date and time (an ISO ``T…Z`` time they keep as text); amounts whole
    where they are; text that a spreadsheet would run as a formula made text."""

    with path.open("w", encoding="utf-8-sig", newline="") as out:
        for number, batch in enumerate(table.to_batches(BATCH_ROWS) or [table]):
            flat = pd.DataFrame(
                {name: _csv_cells(batch.column(name), kind) for name, kind in columns.items()}
            )
            flat.to_csv(out, index=False, header=number == 0, lineterminator="\n")


def _csv_cells(column: pa.Array, kind: Kind) -> object:
    """A column's cells as pandas writes them to CSV."""

    if kind in (Kind.INT, Kind.COUNT):
        return pd.array(column.to_pylist(), dtype="Int64")
    if kind is Kind.FLOAT:
        return column.to_numpy(zero_copy_only=False)
    if kind is Kind.BOOL:
        return column.to_pylist()
    if kind is Kind.NAMES:
        return [neutralise_formula("|".join(names)) for names in column.to_pylist()]
    if kind is Kind.AMOUNT:
        return pd.array([whole(value) for value in column.to_pylist()], dtype=object)
    if kind is Kind.TIME:
        column = pc.replace_substring(column, "T", " ", max_replacements=1)
        column = pc.replace_substring(column, "Z", "")  # a time key ends in its only Z
    return [neutralise_formula(value) for value in column.to_pylist()]


def _write_parquet(table: pa.Table, columns: dict[str, Kind], path: Path) -> None:
    """The table as Parquet: times as UTC timestamps, days as dates, text of a few
    distinct values dictionary-encoded (pandas reads it back as a categorical, DuckDB
    as text); with pandas' metadata, so pandas reads counts back as ``Int64``."""
    import pyarrow.parquet as pq

    for at, (name, kind) in enumerate(columns.items()):
        if (target := parquet_type(kind)) is not None:
            table = table.set_column(at, name, table[name].cast(target))
    empty = pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in
                          pandas_dtypes(columns).items()})  # fmt: skip
    pandas_metadata = pa.Schema.from_pandas(empty, preserve_index=False).metadata
    pq.write_table(table.replace_schema_metadata(pandas_metadata), path)


WRITERS: dict[str, Callable[[pa.Table, dict[str, Kind], Path], None]] = {
    ".jsonl": _write_jsonl,
    ".csv": _write_csv,
    ".parquet": _write_parquet,
}


def write_table(table: pa.Table, columns: dict[str, Kind], path: Path, format_of: Path) -> None:
    """Write the table to ``path`` in the format ``format_of``'s extension names."""
    WRITERS[format_of.suffix.lower()](table, columns, path)
