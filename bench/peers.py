"""What a data engineer would run instead of ``python -m postprocess``: the same job in
DuckDB and in polars, for the post-process benchmark to measure against.

    python -m bench.peers duckdb|polars FEED OUT.jsonl [--history HISTORY.parquet] [--threads 2]

The job, as ours does it: keep the latest line per board_id + movie_id with first and
last seen and a count; split the stars and genres; parse the release into date and
region; strip the poster's resize suffix; parse the score; write JSONL sorted by board,
rank, film. With ``--history``, also one row per board, day and film, by the day rule of
``postprocess.history`` (the board's date, else the crawl's Beijing day, which an undated
line of a crawl that dated others takes from that crawl), the latest line of each day
winning, its numbers parsed, the film's title, release and link from the films table.

Neither peer accounts for bad lines: DuckDB's ``ignore_errors`` turns each into a row of
nulls (dropped here by ``WHERE board_id IS NOT NULL``, else they become one film of
nulls) and polars stops at the first. The comparison is the benchmark's, before any
time is reported.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: The feed's columns and their types, given so neither peer guesses from a sample.
FEED_TYPES = {
    "board_id": "BIGINT",
    "rank": "BIGINT",
    "movie_id": "BIGINT",
    "title": "VARCHAR",
    "stars": "VARCHAR",
    "genres": "VARCHAR",
    "release": "VARCHAR",
    "score": "VARCHAR",
    "box_office_realtime": "VARCHAR",
    "box_office_total": "VARCHAR",
    "wish_month": "VARCHAR",
    "wish_total": "VARCHAR",
    "poster_url": "VARCHAR",
    "detail_url": "VARCHAR",
    "board_date": "VARCHAR",
    "source": "VARCHAR",
    "crawled_at": "TIMESTAMPTZ",
}

#: ``postprocess.normalise``'s patterns in RE2 (DuckDB) / Rust regex (polars) syntax.
RELEASE = (
    r"^\s*(\d{4})(?:\s*-\s*(\d{1,2})(?:\s*-\s*(\d{1,2}))?)?\s*"
    r"(?:[(（]\s*([^()（）]*?)\s*[)）]|([^()（）\d\s][^()（）]*?))?\s*(?:上映)?\s*$"
)
POSTER_SUFFIX = r"\?image(?:View2|Mogr2)/.*$"
MEITUAN_SUFFIX = r"(\.(?:[jJ][pP][eE]?[gG]|[pP][nN][gG]|[wW][eE][bB][pP]|[gG][iI][fF]))@[^/?#]*$"
NUMBER = r"^(\d+(?:\.\d+)?)(万|亿)?(美元|元|人)?$"


def duckdb_sql(feed: str, out: str, history: str | None) -> list[str]:
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in FEED_TYPES.items())
    statements = [
        f"""CREATE TEMP {"TABLE" if history else "VIEW"} lines AS
        SELECT *, row_number() OVER () AS line
        FROM read_json('{feed}', format = 'newline_delimited', ignore_errors = true,
                       columns = {{{columns}}})
        WHERE board_id IS NOT NULL AND movie_id IS NOT NULL""",
        """CREATE TEMP MACRO names(text) AS list_filter(
            list_transform(string_split(replace(coalesce(text, ''), '，', ','), ','),
                           lambda x: trim(regexp_replace(x, '\\s+', ' ', 'g'))),
            lambda x: x <> '')""",
        f"""CREATE TEMP MACRO release_date(text) AS CASE
            WHEN regexp_matches(text, '{RELEASE}') THEN
              CASE WHEN regexp_extract(text, '{RELEASE}', 3) <> '' THEN
                     strftime(try_strptime(regexp_extract(text, '{RELEASE}', 1) || '-' ||
                       regexp_extract(text, '{RELEASE}', 2) || '-' ||
                       regexp_extract(text, '{RELEASE}', 3), '%Y-%m-%d'), '%Y-%m-%d')
                   WHEN regexp_extract(text, '{RELEASE}', 2) <> '' THEN
                     strftime(try_strptime(regexp_extract(text, '{RELEASE}', 1) || '-' ||
                       regexp_extract(text, '{RELEASE}', 2), '%Y-%m'), '%Y-%m')
                   ELSE regexp_extract(text, '{RELEASE}', 1) END END""",
        f"""CREATE TEMP MACRO release_region(text) AS CASE
            WHEN release_date(text) IS NOT NULL THEN nullif(trim(regexp_replace(
              regexp_replace(coalesce(nullif(regexp_extract(text, '{RELEASE}', 4), ''),
                                      regexp_extract(text, '{RELEASE}', 5)), '\\s+', ' ', 'g'),
              '(上映)+$', '')), '') END""",
        f"""CREATE TEMP MACRO board_number(text) AS CASE
            WHEN regexp_matches(replace(text, ',', ''), '{NUMBER}') THEN
              CAST(regexp_extract(replace(text, ',', ''), '{NUMBER}', 1) AS DECIMAL(38, 6)) *
              CASE regexp_extract(replace(text, ',', ''), '{NUMBER}', 2)
                WHEN '万' THEN 10000 WHEN '亿' THEN 100000000 ELSE 1 END END""",
        """CREATE TEMP TABLE films AS SELECT board_id, movie_id,
            arg_max(lines, (crawled_at, line)) AS l, min(crawled_at) AS first_seen,
            max(crawled_at) AS last_seen, count(*) AS times_seen
          FROM lines GROUP BY board_id, movie_id""",
        f"""COPY (SELECT board_id, l.rank AS rank, movie_id,
              trim(regexp_replace(l.title, '\\s+', ' ', 'g')) AS title,
              names(l.stars) AS stars, names(l.genres) AS genres,
              release_date(l.release) AS release_date, release_region(l.release) AS release_region,
              try_cast(trim(l.score) AS DOUBLE) AS score,
              regexp_replace(regexp_replace(l.poster_url, '{POSTER_SUFFIX}', ''),
                             '{MEITUAN_SUFFIX}', '\\1') AS poster_url,
              l.detail_url AS detail_url, l.board_date AS board_date, l.source AS source,
              strftime(first_seen AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS first_seen,
              strftime(last_seen AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS last_seen,
              times_seen
            FROM films ORDER BY board_id, rank, movie_id)
          TO '{out}' (FORMAT json)""",
    ]
    if history:
        statements += [
            """CREATE TEMP TABLE dated AS SELECT board_id, movie_id, rank, score,
                box_office_realtime, box_office_total, wish_month, wish_total, source,
                crawled_at, line,
                CAST(timezone('UTC', crawled_at) + INTERVAL 8 HOURS AS DATE) AS crawl_day,
                CAST(try_strptime(board_date, '%Y-%m-%d') AS DATE) AS board_day
              FROM lines""",
            """CREATE TEMP TABLE crawls AS SELECT board_id, source, crawl_day,
                arg_max(board_day, (crawled_at, line)) AS crawl_board_day
              FROM dated WHERE board_day IS NOT NULL GROUP BY ALL""",
            """CREATE TEMP TABLE days AS SELECT d.board_id, d.movie_id,
                coalesce(d.board_day, c.crawl_board_day, d.crawl_day) AS day,
                CASE WHEN coalesce(d.board_day, c.crawl_board_day) IS NULL THEN 'crawl'
                     ELSE 'board' END AS day_from,
                arg_max({rank: d.rank, score: d.score, box_office_realtime: d.box_office_realtime,
                         box_office_total: d.box_office_total, wish_month: d.wish_month,
                         wish_total: d.wish_total, source: d.source, crawled_at: d.crawled_at},
                        (d.crawled_at, d.line)) AS l
              FROM dated d LEFT JOIN crawls c
                ON d.board_day IS NULL AND c.board_id = d.board_id
                AND c.source IS NOT DISTINCT FROM d.source AND c.crawl_day = d.crawl_day
              GROUP BY ALL""",
            f"""COPY (SELECT d.board_id, d.day AS day, d.l.rank AS rank,
                  d.movie_id, trim(regexp_replace(f.l.title, '\\s+', ' ', 'g')) AS title,
                  try_cast(trim(d.l.score) AS DOUBLE) AS score,
                  CAST(board_number(d.l.box_office_realtime) AS DOUBLE) AS box_office_realtime,
                  CAST(board_number(d.l.box_office_total) AS DOUBLE) AS box_office_total,
                  CASE WHEN coalesce(d.l.box_office_total, d.l.box_office_realtime) LIKE '%美元'
                         THEN 'USD'
                       WHEN board_number(d.l.box_office_total) IS NOT NULL
                         OR board_number(d.l.box_office_realtime) IS NOT NULL
                         THEN CASE d.board_id WHEN 2 THEN 'USD' ELSE 'CNY' END
                  END AS box_office_currency,
                  CAST(board_number(d.l.wish_month) AS BIGINT) AS wish_month,
                  CAST(board_number(d.l.wish_total) AS BIGINT) AS wish_total,
                  release_date(f.l.release) AS release_date,
                  release_region(f.l.release) AS release_region,
                  f.l.detail_url AS detail_url, d.day_from, d.l.source AS source,
                  d.l.crawled_at AS crawled_at
                FROM days d JOIN films f USING (board_id, movie_id)
                ORDER BY d.board_id, day, rank, d.movie_id)
              TO '{history}' (FORMAT parquet)""",
        ]
    return statements


def run_duckdb(feed: str, out: str, history: str | None, threads: int) -> None:
    import duckdb

    connection = duckdb.connect(config={"threads": threads})
    for statement in duckdb_sql(feed, out, history):
        connection.execute(statement)


def run_polars(feed: str, out: str, history: str | None, threads: int) -> None:
    import os

    os.environ["POLARS_MAX_THREADS"] = str(threads)  # read when polars is imported
    import polars as pl

    schema = {
        name: pl.Int64 if kind == "BIGINT" else pl.String for name, kind in FEED_TYPES.items()
    }
    lines = pl.scan_ndjson(feed, schema=schema).with_row_index("line")
    when = pl.col("crawled_at").str.to_datetime(time_zone="UTC")
    lines = lines.with_columns(when.alias("when"))

    def names(column: str) -> pl.Expr:
        parts = pl.col(column).fill_null("").str.replace_all("，", ",").str.split(",")
        parts = parts.list.eval(pl.element().str.replace_all(r"\s+", " ").str.strip_chars())
        return parts.list.eval(pl.element().filter(pl.element() != ""))

    def release(column: str) -> tuple[pl.Expr, pl.Expr]:
        text = pl.col(column)
        parts = text.str.extract_groups(RELEASE)
        year, month, day = (parts.struct.field(str(i)) for i in (1, 2, 3))
        full = pl.concat_str(year, month.str.zfill(2), day.str.zfill(2), separator="-")
        full = full.str.to_date("%Y-%m-%d", strict=False).dt.strftime("%Y-%m-%d")
        month_only = pl.concat_str(year, month.str.zfill(2), separator="-")
        month_only = (month_only + "-01").str.to_date("%Y-%m-%d", strict=False).dt.strftime("%Y-%m")
        date = (
            pl.when(day.is_not_null())
            .then(full)
            .when(month.is_not_null())
            .then(month_only)
            .otherwise(year)
        )
        region = pl.coalesce(parts.struct.field("4"), parts.struct.field("5"))
        region = region.str.replace_all(r"\s+", " ").str.strip_chars()
        region = region.str.replace(r"(上映)+$", "").str.strip_chars()
        region = pl.when(date.is_not_null() & (region != "")).then(region)
        return date, region

    films = (
        lines.sort("when", "line")
        .group_by("board_id", "movie_id")
        .agg(
            pl.all().last(),
            pl.col("when").min().alias("first_seen"),
            pl.len().alias("times_seen"),
        )
    )
    release_date, release_region = release("release")
    time_text = "%Y-%m-%dT%H:%M:%SZ"
    table = films.select(
        "board_id",
        "rank",
        "movie_id",
        pl.col("title").str.replace_all(r"\s+", " ").str.strip_chars(),
        names("stars").alias("stars"),
        names("genres").alias("genres"),
        release_date.alias("release_date"),
        release_region.alias("release_region"),
        pl.col("score").str.strip_chars().cast(pl.Float64, strict=False),
        pl.col("poster_url")
        .str.replace(POSTER_SUFFIX, "")
        .str.replace(MEITUAN_SUFFIX, "${1}")
        .alias("poster_url"),
        "detail_url",
        "board_date",
        "source",
        pl.col("first_seen").dt.strftime(time_text),
        pl.col("when").dt.strftime(time_text).alias("last_seen"),
        "times_seen",
    ).sort("board_id", "rank", "movie_id")
    table.sink_ndjson(out)
    if history:
        raise SystemExit("polars: --history is measured against DuckDB only")


def comparable(column: Any) -> list:
    """A column as plain Python values: missing values as ``None`` (NaN, NA, null),
    times as ``YYYY-MM-DDTHH:MM:SSZ`` text, days as ``YYYY-MM-DD``, lists as tuples."""
    import datetime

    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    values = column.astype(object).where(column.notna(), None).tolist()
    return [
        tuple(value) if isinstance(value, list | np.ndarray)
        else value.isoformat() if isinstance(value, datetime.date)
        else value
        for value in values
    ]  # fmt: skip


def agree(ours: Any, theirs: Any, what: str) -> None:
    """Raise unless ``theirs`` has ``ours``'s rows and, on every column it computes,
    ``ours``'s values."""
    keys = [name for name in ("board_id", "day", "rank", "movie_id") if name in theirs]
    if len(ours) != len(theirs):
        raise RuntimeError(f"{what}: {len(theirs)} rows, ours {len(ours)}; no time reported")
    ours = ours.sort_values(keys, ignore_index=True)
    theirs = theirs.sort_values(keys, ignore_index=True)
    for name in theirs.columns:
        if name not in ours:
            raise RuntimeError(f"{what}: column {name} is not ours; no time reported")
        mine, other = comparable(ours[name]), comparable(theirs[name])
        if mine != other:
            at = next(i for i, (a, b) in enumerate(zip(mine, other, strict=True)) if a != b)
            raise RuntimeError(
                f"{what}: {name} differs at row {at}: ours {mine[at]!r}, theirs {other[at]!r}"
                "; no time reported"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    parser.add_argument("peer", choices=["duckdb", "polars"])
    parser.add_argument("feed")
    parser.add_argument("out")
    parser.add_argument("--history")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    peer = run_duckdb if args.peer == "duckdb" else run_polars
    peer(args.feed, args.out, args.history, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
