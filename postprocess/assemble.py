"""The parent's last step: the reduce step's columns joined into one sorted output.

A JSONL output arrives as rows the workers already wrote, with the columns that order
them: the parent orders them with NumPy and writes them, without pandas (which alone
takes more memory than the rest of a run). A CSV or Parquet output is a pandas table,
written by :mod:`postprocess.output`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from postprocess.output import write_table
from postprocess.reduce import LINE_LENGTH, LINES, Text

if TYPE_CHECKING:
    import pandas as pd

#: The dtypes of the numeric columns of both tables (counts nullable: a board without
#: wish counts leaves them empty).
COLUMN_TYPES = {
    "board_id": "int64",
    "rank": "int64",
    "movie_id": "int64",
    "times_seen": "int64",
    "score": "float64",
    "box_office_realtime": "float64",
    "box_office_total": "float64",
    "wish_month": "Int64",
    "wish_total": "Int64",
    "on_latest_board": "bool",
}


def with_types(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype({name: kind for name, kind in COLUMN_TYPES.items() if name in table})


@dataclass
class Assembled:
    """An output, sorted: a table, or for JSONL the rows the reduce step wrote
    (``blocks``, one per partition) with the columns that order them (``keys``)."""

    table: pd.DataFrame | None = None
    keys: dict[str, np.ndarray] | None = None
    blocks: list[bytes] | None = None

    @property
    def rows(self) -> int:
        if self.table is not None:
            return len(self.table)
        return len(next(iter(self.keys.values()))) if self.keys else 0

    def distinct(self, names: list[str]) -> int:
        """How many distinct combinations of ``names`` the rows hold."""
        if self.table is not None:
            return len(self.table[names].drop_duplicates())
        return len(set(zip(*(self.keys[name].tolist() for name in names), strict=True)))

    def write(self, path: Path, format_of: Path) -> None:
        if self.table is not None:
            write_table(self.table, path, format_of)
            return
        views = [memoryview(block) for block in self.blocks or []]
        with path.open("wb") as out:
            for block, end, length in zip(
                self.keys["block"].tolist(),
                self.keys["line_end"].tolist(),
                self.keys[LINE_LENGTH].tolist(),
                strict=True,
            ):
                out.write(views[block][end - length : end])


def assemble(parts: list[dict[str, Any]], order_by: list[str]) -> Assembled:
    """One output from the reduce step's columns, sorted by ``order_by``."""
    if LINES in parts[0]:
        return ordered_lines(parts, order_by)
    return ordered_table(parts, order_by)


def ordered_lines(parts: list[dict[str, Any]], order_by: list[str]) -> Assembled:
    """A JSONL output's rows in order: where each row lies in its partition's block."""
    keys = {name: sort_key(joined([part[name] for part in parts])) for name in order_by}
    keys[LINE_LENGTH] = np.concatenate([part[LINE_LENGTH] for part in parts])
    keys["line_end"] = np.concatenate([np.cumsum(part[LINE_LENGTH]) for part in parts])
    keys["block"] = np.concatenate(
        [np.full(len(part[LINE_LENGTH]), index) for index, part in enumerate(parts)]
    )
    # lexsort sorts by the last key first; each table's order is unique per row.
    order = np.lexsort([keys[name] for name in reversed(order_by)])
    return Assembled(
        keys={name: column[order] for name, column in keys.items()},
        blocks=[part[LINES] for part in parts],
    )


def ordered_table(parts: list[dict[str, Any]], order_by: list[str]) -> Assembled:
    """A table from the reduce step's columns, sorted by ``order_by``: the keys are
    sorted first and every column is put in that order once (text taken from its
    distinct values), so no column is copied twice. Columns are put in order on
    threads (the pool's workers are gone by now): NumPy and Arrow let go of the GIL
    while they copy, and this was most of the parent's time (0.6 s alone, 0.2 s on
    2 cores, for a million history rows)."""
    import pandas as pd

    columns = {name: joined([part[name] for part in parts]) for name in parts[0]}
    order = np.lexsort([sort_key(columns[name]) for name in reversed(order_by)])
    with ThreadPoolExecutor(os.cpu_count() or 1) as threads:
        ordered = threads.map(lambda values: in_order(values, order), columns.values())
        data = dict(zip(columns, ordered, strict=True))
    return Assembled(table=with_types(pd.DataFrame(data)))


def joined(pieces: list[Any]) -> Any:
    """One column from the partitions' pieces of it."""
    if isinstance(pieces[0], np.ndarray):
        return np.concatenate(pieces)
    if isinstance(pieces[0], Text):
        import pyarrow as pa

        values = pa.concat_arrays(
            [
                piece.values
                if isinstance(piece.values, pa.Array)
                else pa.array(piece.values, type=pa.string())
                for piece in pieces
            ]
        )
        if all(piece.at is None for piece in pieces):
            return Text(values)
        offsets = np.cumsum([0, *(len(piece.values) for piece in pieces[:-1])])
        at = [
            (np.arange(len(piece.values)) if piece.at is None else piece.at) + offset
            for piece, offset in zip(pieces, offsets, strict=True)
        ]
        return Text(values, np.concatenate(at))
    column = np.empty(sum(len(piece) for piece in pieces), dtype=object)
    column[:] = [value for piece in pieces for value in piece]
    return column


def sort_key(column: Any) -> np.ndarray:
    """A column as numbers that sort as it does (text by its distinct values)."""
    if isinstance(column, Text):
        distinct = column.values.to_numpy(zero_copy_only=False)
        ranks = np.unique(distinct, return_inverse=True)[1]
        return ranks if column.at is None else ranks[column.at]
    return column


def in_order(column: Any, order: np.ndarray) -> Any:
    """A column in the table's order. Text becomes what pandas makes of a list of
    it: Arrow strings with NaN for missing, or objects when nothing is there."""
    if not isinstance(column, Text):
        return column[order]
    import pandas as pd
    import pyarrow as pa

    values = column.values.take(order if column.at is None else column.at[order])
    if values.null_count == len(values):
        return np.full(len(values), None, dtype=object)
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.arrays.ArrowStringArray(pa.chunked_array([values]), dtype=text)
