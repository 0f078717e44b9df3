"""The films table and the history as an analyst opens them: which films are on the
board today, real dates and small dictionaries in Parquet (read back with pyarrow and
DuckDB), and a CSV whose times a spreadsheet (a real LibreOffice, headless) takes for
dates and times.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from standin.feeds import earlier_days, feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS
from tests.helpers import daily_feeds, postprocess

TODAY = date(2026, 11, 23)
#: The last crawl: the mobile site's, at 00:30 Beijing time on the 24th, its JSON
#: answers dated the 23rd (the board's day) and its board page's 20 films undated.
MOBILE_AT = "2026-11-23T16:30:00Z"


def two_sources_feeds(folder: Path) -> tuple[list[str], dict[int, str]]:
    """Desktop crawls of TOP100 over eleven days (films enter and leave), then a mobile
    crawl of the last board; and the day each film was last on the board."""
    today = BOARDS[4]
    reserve = [film for film in BOARDS[7] if film not in today]
    days = [*earlier_days(today, reserve, 10, TODAY), (TODAY.isoformat(), today)]
    feeds = daily_feeds(folder, days)
    last_day = {film.movie_id: day for day, films in days for film in films}
    mobile = folder / "mobile.jsonl"
    mobile.write_bytes(
        b"".join(
            feed_line(
                mobile_feed_record(
                    film, rank, MOBILE_AT, board_date=None if rank <= 20 else TODAY.isoformat()
                )
            )
            for rank, film in enumerate(today, 1)
        )
    )
    feeds.append(str(mobile))
    return feeds, last_day


@pytest.mark.parametrize("workers", ["1", "2"])
def test_on_latest_board_tells_todays_films_from_those_that_left(tmp_path, workers) -> None:
    feeds, last_day = two_sources_feeds(tmp_path)
    out = tmp_path / "films.jsonl"
    done = postprocess(*feeds, "-o", str(out), "--workers", workers)
    assert done.returncode == 0, done.stderr
    table = pd.read_json(out, lines=True, dtype={"board_date": str})
    left = {movie for movie, day in last_day.items() if day != TODAY.isoformat()}
    assert left and len(table) == len(last_day) == 100 + len(left)  # ranks doubled
    assert dict(zip(table["movie_id"], table["on_latest_board"], strict=True)) == {
        movie: movie not in left for movie in last_day
    }
    # Today's board, every rank once: the undated mobile lines took their crawl's date.
    today = table[table["on_latest_board"]]
    assert sorted(today["rank"]) == list(range(1, 101))
    assert today["source"].str.contains("mobile").all()  # the later crawl's lines won


def test_parquet_holds_dates_and_dictionaries(tmp_path) -> None:
    feeds, _ = two_sources_feeds(tmp_path)
    films, history = tmp_path / "films.parquet", tmp_path / "history.parquet"
    done = postprocess(*feeds, "-o", str(films), "--history", str(history))
    assert done.returncode == 0, done.stderr
    schema = pq.read_schema(films)
    assert schema.field("board_date").type == pa.date32()
    assert schema.field("on_latest_board").type == pa.bool_()
    assert schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    for name in ("source", "box_office_currency"):
        assert schema.field(name).type == pa.dictionary(pa.int32(), pa.string()), name
    schema = pq.read_schema(history)
    assert schema.field("day").type == pa.date32()
    for name in ("source", "day_from", "box_office_currency"):
        assert schema.field(name).type == pa.dictionary(pa.int32(), pa.string()), name
    with duckdb.connect() as db:

        def kinds_of(path: Path) -> dict[str, str]:
            described = f"SELECT column_name, column_type FROM (DESCRIBE '{path}')"
            return dict(db.execute(described).fetchall())

        kinds = kinds_of(history)
        assert kinds["day"] == "DATE" and kinds["source"] == "VARCHAR"
        assert kinds["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
        days = db.execute(
            f"SELECT day, count(*) FROM '{history}' WHERE day >= DATE '2026-11-22' "
            "GROUP BY day ORDER BY day"
        ).fetchall()
        assert days == [(date(2026, 11, 22), 100), (TODAY, 100)]
        kinds = kinds_of(films)
        assert kinds["board_date"] == "DATE" and kinds["on_latest_board"] == "BOOLEAN"
        assert db.execute(f"SELECT count(*) FROM '{films}' WHERE on_latest_board").fetchone() == (
            100,
        )


#: A cell of a flat OpenDocument spreadsheet, and the attributes that type it.
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def spreadsheet_cells(csv: Path, folder: Path) -> list[dict[str, tuple[str, str]]]:
    """The CSV as LibreOffice Calc opens it (UTF-8, comma, standard detection): per
    row, each column's (value type, value) as the spreadsheet holds it."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("no LibreOffice: install Debian's libreoffice-calc-nogui (.ci/debian-packages)")
    subprocess.run(
        [office, "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/lo",
         "--convert-to", "fods", "--infilter=CSV:44,34,76,1", "--outdir", str(folder), str(csv)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sheet = ET.parse(folder / f"{csv.stem}.fods")
    rows = []
    for row in sheet.iter(f"{{{TABLE}}}table-row"):
        cells = []
        for cell in row.iter(f"{{{TABLE}}}table-cell"):
            repeat = int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1"))
            kind = cell.get(f"{{{OFFICE}}}value-type", "")
            value = (
                cell.get(f"{{{OFFICE}}}date-value")
                or cell.get(f"{{{OFFICE}}}value")
                or "".join(cell.itertext()).strip()
            )
            cells += [(kind, value)] * min(repeat, 50)
        rows.append(cells)
    header = [value for _, value in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if row and row[0][1]]


def test_csv_times_open_as_dates_and_amounts_as_whole_numbers(tmp_path) -> None:
    feeds, _ = two_sources_feeds(tmp_path)
    box = tmp_path / "box.jsonl"  # the box office board: amounts in 万 and 亿
    box.write_bytes(
        b"".join(
            feed_line(feed_record(film, rank, "2026-11-23T00:00:00Z", board_id=1))
            for rank, film in enumerate(BOARDS[1], 1)
        )
    )
    films, history = tmp_path / "films.csv", tmp_path / "history.csv"
    done = postprocess(*feeds, str(box), "-o", str(films), "--history", str(history))
    assert done.returncode == 0, done.stderr
    text = films.read_text(encoding="utf-8-sig")
    assert "T00:00:00Z" not in text and ",2026-11-13 00:00:00," in text
    table = pd.read_csv(films, dtype=str)
    amounts = table[["box_office_realtime", "box_office_total"]].stack().dropna()
    assert len(amounts) > 10 and amounts.str.fullmatch(r"\d+").all()  # 1560000000, no .0
    assert table["score"].dropna().str.fullmatch(r"\d\.\d").all()  # 9.0 stays a score
    assert set(table["first_seen"].str.len()) == {19}  # YYYY-MM-DD HH:MM:SS
    for row in spreadsheet_cells(films, tmp_path):
        for name in ("first_seen", "last_seen"):
            kind, value = row[name]
            assert kind == "date" and re.fullmatch(r"2026-11-\d\d(T\d\d:\d\d:\d\d)?", value), row
        if row["board_id"] == ("float", "1"):
            assert row["box_office_total"][0] == "float", row
            assert float(row["box_office_total"][1]).is_integer()
        assert row["title"][0] == "string"
    for row in spreadsheet_cells(history, tmp_path):
        assert row["crawled_at"][0] == "date", row
        assert row["day"][0] == "date", row
