"""The parent's last step: the reduce step's columns joined into one sorted output.

A JSONL output arrives as rows the workers already wrote, with the columns that order
them: the parent orders them with NumPy and writes them, without pandas (which alone
takes more memory than the rest of a run). A CSV or Parquet output is a pandas table,
written by :mod:`postprocess.output`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from postprocess.output import write_table
from postprocess.reduce import LINE_LENGTH, LINES

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
    keys = {name: joined([part[name] for part in parts]) for name in order_by}
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


def joined(pieces: list[Any]) -> np.ndarray:
    if isinstance(pieces[0], np.ndarray):
        return np.concatenate(pieces)
    return np.array([value for piece in pieces for value in piece])


def ordered_table(parts: list[dict[str, Any]], order_by: list[str]) -> Assembled:
    """A table from the reduce step's columns (arrays joined, text as Arrow, lists
    chained), sorted by ``order_by``."""
    import pandas as pd
    import pyarrow as pa

    data: dict[str, Any] = {}
    for name in parts[0]:
        pieces = [part[name] for part in parts]
        if isinstance(pieces[0], np.ndarray):
            data[name] = np.concatenate(pieces)
        elif any(isinstance(piece, pa.Array) for piece in pieces):
            text = pa.chunked_array(
                [pa.array(piece, type=pa.string()) for piece in pieces], type=pa.string()
            )
            # The dtype pandas gives a column of text and None: Arrow strings, NaN missing.
            dtype = pd.StringDtype("pyarrow", na_value=np.nan)
            data[name] = pd.arrays.ArrowStringArray(text, dtype=dtype)
        else:
            data[name] = [value for piece in pieces for value in piece]
    table = with_types(pd.DataFrame(data))
    return Assembled(table=table.sort_values(order_by, kind="stable", ignore_index=True))
