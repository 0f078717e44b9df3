"""The boards' history (``--history``): one row per board, day and film.

The facts asserted on the real snapshots were read off the shared files by hand:
the wrappers' fetch times and board dates, and the ranks in their ``movies``/``draft``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from postprocess.history import beijing_day, board_day
from postprocess.run import Summary, run
from standin.feeds import feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS
from tests.helpers import REPO, SNAPSHOT_DAYS, needs_snapshots, read_jsonl

FILMS = BOARDS[4]


def rank_of(history: pd.DataFrame, title: str, day: str) -> int:
    row = history[(history["title"] == title) & (history["day"] == day)]
    assert len(row) == 1, (title, day, row)
    return int(row["rank"].iloc[0])


@needs_snapshots
def test_snapshots_make_one_row_per_day_and_film(snapshot_history) -> None:
    history, summary = snapshot_history
    assert summary["lines"] == 1300
    assert summary["history_written"] == 1100
    # Two snapshots each of the boards of 10-09 and 10-16: the earlier of each pair
    # is 100 duplicates.
    assert summary["history_duplicates"] == 200
    assert summary["lines"] == (
        summary["rejected"] + summary["history_duplicates"] + summary["history_written"]
    )
    assert sorted(history["day"].unique()) == SNAPSHOT_DAYS
    assert history.groupby("day").size().eq(100).all()
    # The latest crawl of a day wins: 10-09's board as fetched on 10-15, not 10-11.
    day = history[history["day"] == "2023-10-09"]
    assert set(day["crawled_at"].astype(str)) == {"2023-10-15 04:22:00+00:00"}
    # The board page's 20 films (no board date) joined their crawl's board date.
    assert set(history.loc[history["day"] <= "2023-10-16", "day_from"]) == {"board"}
    assert set(history.loc[history["day"] > "2023-10-16", "day_from"]) == {"crawl"}


@needs_snapshots
def test_snapshots_facts_read_by_hand(snapshot_history) -> None:
    history, _ = snapshot_history
    assert rank_of(history, "心灵奇旅", "2023-10-09") == 43
    assert rank_of(history, "心灵奇旅", "2023-10-16") == 42
    assert rank_of(history, "死亡诗社", "2023-10-16") == 34
    assert rank_of(history, "死亡诗社", "2023-11-09") == 32
    assert rank_of(history, "天空之城", "2023-12-03") == 65
    assert rank_of(history, "天空之城", "2023-12-07") == 69
    assert rank_of(history, "我不是药神", "2023-12-07") == 1
    # Nobody entered or left the TOP100 over those two months: the same 100 films daily.
    films_by_day = history.groupby("day")["movie_id"].apply(frozenset)
    assert films_by_day.nunique() == 1
    top = history[(history["day"] == "2023-12-07") & (history["rank"] == 1)].iloc[0]
    assert (top["movie_id"], top["score"], top["wish_total"]) == (1200486, 9.6, 164738)
    assert top["detail_url"] == "https://m.maoyan.com/asgard/movie/1200486"


def test_day_is_the_board_date_else_the_crawl_day_in_beijing() -> None:
    assert beijing_day("2026-11-23T15:59:59.000000Z") == "2026-11-23"
    assert beijing_day("2026-11-23T16:00:00.000000Z") == "2026-11-24"
    assert board_day("2026-11-23") == "2026-11-23"
    assert board_day("2026-02-30") is None
    assert board_day("23/11/2026") is None
    assert board_day(None) is None


def lines(*records: dict) -> bytes:
    return b"".join(feed_line(record) for record in records)


def history_run(
    tmp_path, feed_bytes: bytes, suffix: str = ".jsonl", workers: int = 1, **options
) -> tuple[Summary, Path]:
    """Post-process one feed with ``--history`` (history in ``suffix``'s format)."""
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(feed_bytes)
    history = tmp_path / f"history{suffix}"
    summary = run(
        [str(feed)],
        tmp_path / "films.jsonl",
        workers=workers,
        rejects=tmp_path / "r.jsonl",
        history_path=history,
        **options,
    )
    return summary, history


def test_history_accounts_for_every_line(tmp_path) -> None:
    summary, history_path = history_run(
        tmp_path,
        # Day one, crawled twice (the second at 23:30 Beijing time): the later wins.
        lines(
            *(
                feed_record(f, r, "2026-11-22T02:00:00Z", board_date=None)
                for r, f in enumerate(FILMS[:3], 1)
            )
        )
        + lines(
            *(
                feed_record(f, r, "2026-11-22T15:30:00Z", board_date=None)
                for r, f in enumerate(reversed(FILMS[:3]), 1)
            )
        )
        + b"not json\n"
        # Day two: the board's own date.
        + lines(
            *(
                feed_record(f, r, "2026-11-22T16:30:00Z", board_date="2026-11-23")
                for r, f in enumerate(FILMS[1:4], 1)
            )
        ),
    )
    assert (summary.lines, summary.rejected) == (10, 1)
    assert (summary.history_written, summary.history_duplicates, summary.history_days) == (6, 3, 2)
    rows = read_jsonl(history_path)
    by_day = {}
    for row in rows:
        by_day.setdefault(row["day"], []).append((row["rank"], row["movie_id"], row["day_from"]))
    assert by_day == {
        "2026-11-22": [(r, f.movie_id, "crawl") for r, f in enumerate(reversed(FILMS[:3]), 1)],
        "2026-11-23": [(r, f.movie_id, "board") for r, f in enumerate(FILMS[1:4], 1)],
    }
    assert {row["crawled_at"] for row in rows if row["day"] == "2026-11-22"} == {
        "2026-11-22T15:30:00Z"
    }
    assert rows[0]["title"] == FILMS[2].title


def test_undated_page_films_join_the_board_date_of_their_crawl(tmp_path) -> None:
    """A mobile crawl at 00:30 Beijing time: the JSON answers date the board the day
    before; the board page's films, undated, must land on that day too."""
    when = "2026-11-23T16:30:00Z"  # 2026-11-24 00:30 in Beijing
    page = [mobile_feed_record(f, r, when) for r, f in enumerate(FILMS[:20], 1)]
    answers = [
        mobile_feed_record(f, r, when, board_date="2026-11-23")
        for r, f in enumerate(FILMS[20:30], 21)
    ]
    summary, history_path = history_run(
        tmp_path, lines(*page, *answers), ".csv", workers=2, chunk_bytes=2048
    )
    assert summary.history_written == 30
    history = pd.read_csv(history_path)
    assert set(history["day"]) == {"2026-11-23"}
    assert set(history["day_from"]) == {"board"}
    assert history["rank"].tolist() == list(range(1, 31))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_history_formats_read_back_alike(tmp_path, suffix) -> None:
    _, path = history_run(
        tmp_path,
        lines(
            *(
                feed_record(f, r, "2026-11-22T02:00:00Z", board_id=6)
                for r, f in enumerate(BOARDS[6][:5], 1)
            )
        ),
        suffix,
    )
    read = {
        ".jsonl": lambda p: pd.read_json(p, lines=True, dtype={"day": str}),
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
    }[suffix]
    history = read(path)
    assert history["day"].astype(str).tolist() == ["2026-11-23"] * 5
    assert history["wish_total"].tolist() == [
        int(f.wish_total.removesuffix("人")) for f in BOARDS[6][:5]
    ]


def test_history_option_errors(tmp_path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(lines(feed_record(FILMS[0], 1, "2026-11-22T02:00:00Z")))
    out = tmp_path / "f.jsonl"
    for args, message in [
        (["--history", "h.xlsx"], "--history: unknown output format '.xlsx'"),
        (["--history", str(out)], "-o and --history are the same file"),
        (["--history", str(feed)], f"--history {feed} is also an input feed"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "postprocess", str(feed), "-o", str(out), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2, done.stderr
        assert message in done.stderr
    assert not out.exists()


def test_demo_history_days_are_whole_boards_that_move() -> None:
    """The demo's earlier days (standin.feeds.earlier_days): a full board a day, oldest
    first, ending the day before today's, moving a little each day, the same every run."""
    from datetime import date

    from standin.feeds import earlier_days

    reserve = [film for film in BOARDS[7] if film not in FILMS]
    days = list(earlier_days(FILMS, reserve, 14, date(2026, 11, 23)))
    assert [day for day, _ in days][0::13] == ["2026-11-09", "2026-11-22"]
    assert all(len({f.movie_id for f in films}) == len(FILMS) for _, films in days)
    changed = [
        sum(a.movie_id != b.movie_id for a, b in zip(before, after, strict=True))
        for (_, before), (_, after) in zip(days, [*days[1:], ("", FILMS)], strict=True)
    ]
    assert all(count > 0 for count in changed)
    assert days == list(earlier_days(FILMS, reserve, 14, date(2026, 11, 23)))


def test_a_page_film_and_a_dated_film_of_one_board_day_are_one_row(tmp_path) -> None:
    """Film A in the JSON of a morning crawl (dated 11-23), then on the board page
    (undated) of a crawl after midnight whose JSON still dates the board 11-23: one row
    for 11-23, the later crawl's, and one duplicate."""
    a, b = FILMS[0], FILMS[1]
    morning, midnight = "2026-11-23T02:00:00Z", "2026-11-23T16:30:00Z"
    summary, history_path = history_run(
        tmp_path,
        lines(
            mobile_feed_record(a, 25, morning, board_date="2026-11-23"),
            mobile_feed_record(a, 5, midnight),
            mobile_feed_record(b, 21, midnight, board_date="2026-11-23"),
        ),
    )
    assert (summary.history_written, summary.history_duplicates) == (2, 1)
    rows = read_jsonl(history_path)
    assert [(r["day"], r["rank"], r["movie_id"], r["day_from"], r["crawled_at"]) for r in rows] == [
        ("2026-11-23", 5, a.movie_id, "board", midnight),
        ("2026-11-23", 21, b.movie_id, "board", midnight),
    ]


def test_a_history_that_fails_to_write_leaves_every_old_output(tmp_path, monkeypatch) -> None:
    """The history is published with the table or not at all: a disk filling up while
    it is written leaves yesterday's table, rejects and history as they were."""
    from postprocess import output

    old = {name: f"the old {name}\n" for name in ("films.jsonl", "r.jsonl", "history.csv")}
    for name, text in old.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    def half_written(table, columns, path):
        path.write_text("board_id,day\n4,2026-11-22\n", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(output.WRITERS, ".csv", half_written)
    with pytest.raises(OSError, match="disk full"):
        history_run(tmp_path, lines(feed_record(FILMS[0], 1, "2026-11-22T02:00:00Z")), ".csv")
    for name, text in old.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
