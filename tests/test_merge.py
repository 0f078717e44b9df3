"""Two sources, one board, one day, one film (postprocess.merge): each field from the
latest line that has it, in the history and in the films table, one process or a pool
of workers over many ranges alike.

Board 6 (最受期待榜) is the case users meet: the desktop page draws the wish counts
with a web font (null in its lines), the mobile site shows them; whichever source is
crawled later that day, the day's wish counts stay."""

from __future__ import annotations

import pytest

from postprocess.merge import filled
from postprocess.run import run
from standin.feeds import feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS
from tests.helpers import read_jsonl

WANTED = BOARDS[6]
DAY = "2026-11-23"
#: 08:00 and 08:05 Beijing time (00:00 and 00:05 UTC).
EARLY, LATER = f"{DAY}T00:00:00Z", f"{DAY}T00:05:00Z"


def desktop_lines(when: str, board_date: str = DAY) -> list[dict]:
    """The desktop's board 6 of a day: wish counts drawn with the web font (null)."""
    return [
        feed_record(film, rank, when, board_id=6, board_date=board_date, numbers_hidden=True)
        for rank, film in enumerate(WANTED, 1)
    ]


def mobile_lines(when: str, board_date: str | None = DAY) -> list[dict]:
    """The mobile site's board 6 of a day: the wish counts in plain text."""
    return [
        mobile_feed_record(
            film,
            rank,
            when,
            mobile_board=6,
            page_url="https://m.maoyan.com/asgard/board?id=6&year=0&term=0",
            board_date=board_date,
        )
        for rank, film in enumerate(WANTED, 1)
    ]


def post_process(tmp_path, *feeds: list[dict], workers: int = 1, chunk_bytes=None):
    paths = []
    for number, records in enumerate(feeds):
        path = tmp_path / f"feed-{number}.jsonl"
        path.write_bytes(b"".join(feed_line(record) for record in records))
        paths.append(str(path))
    out, history = tmp_path / f"films-{workers}.jsonl", tmp_path / f"history-{workers}.jsonl"
    run(
        paths,
        out,
        workers=workers,
        rejects=tmp_path / "rejects.jsonl",
        history_path=history,
        chunk_bytes=chunk_bytes,
    )
    return read_jsonl(out), read_jsonl(history)


def test_each_field_from_the_latest_line_that_has_it() -> None:
    desktop = {"rank": 3, "wish_total": None, "score": "", "source": "desktop", "page_url": "d"}
    mobile = {"rank": 4, "wish_total": 120, "score": "8.1", "source": "mobile", "page_url": "m"}
    assert filled(desktop, [mobile]) == {
        "rank": 3,  # the latest line's
        "wish_total": 120,
        "score": "8.1",
        "source": "desktop+mobile",
        "page_url": "d",  # where this line was read: never taken from another
    }
    assert filled(mobile, [desktop]) == mobile  # nothing lacking: the latest line whole
    # A history row's day values: the first row that has each value, latest first
    day = [
        {"score": None, "wish_total": None, "source": "desktop"},
        {"score": 7.9, "wish_total": 120, "source": "mobile"},
        {"score": 8.0, "wish_total": 99, "source": "desktop"},
    ]
    assert filled(day[0], day[1:]) == {"score": 7.9, "wish_total": 120, "source": "desktop+mobile"}
    assert filled(day[1], []) == {"score": 7.9, "wish_total": 120, "source": "mobile"}


@pytest.mark.parametrize("desktop_later", [True, False])
def test_a_desktop_line_hides_no_mobile_number_of_its_day(tmp_path, desktop_later) -> None:
    desktop = desktop_lines(LATER if desktop_later else EARLY)
    mobile = mobile_lines(EARLY if desktop_later else LATER)
    films, history = post_process(tmp_path, desktop, mobile)
    assert len(films) == len(history) == 50
    expected_wishes = [line["wish_total"] for line in mobile]
    assert all(isinstance(wishes, int) for wishes in expected_wishes)
    assert [row["wish_total"] for row in history] == expected_wishes
    assert [row["wish_total"] for row in sorted(films, key=lambda r: r["rank"])] == (
        expected_wishes
    )
    source = "desktop+mobile" if desktop_later else "mobile"
    assert {row["source"] for row in history} == {row["source"] for row in films} == {source}
    assert {row["crawled_at"] for row in history} == {LATER}


def test_another_day_gives_nothing(tmp_path) -> None:
    """Yesterday's mobile numbers are not today's: the desktop's day stays without them."""
    yesterday = "2026-11-22"
    films, history = post_process(
        tmp_path,
        mobile_lines(f"{yesterday}T00:00:00Z", board_date=yesterday),
        desktop_lines(LATER),
    )
    today = [row for row in history if row["day"] == DAY]
    assert len(today) == 50 and {row["wish_total"] for row in today} == {None}
    assert {row["source"] for row in today} == {"desktop"}
    assert {row["wish_total"] for row in films} == {None}  # the films' latest day: today's
    earlier = [row for row in history if row["day"] == yesterday]
    assert len(earlier) == 50 and None not in {row["wish_total"] for row in earlier}


def test_a_pool_over_many_ranges_merges_as_one_process(tmp_path) -> None:
    # Both sources' lines spread over several ranges and files, each source crawled
    # twice that day (its earlier crawl gives nothing once its later one is there).
    feeds = [
        mobile_lines(EARLY),
        desktop_lines(f"{DAY}T00:02:00Z"),
        desktop_lines(LATER),
        mobile_lines(f"{DAY}T00:01:00Z"),
    ]
    alone = post_process(tmp_path, *feeds, workers=1)
    pooled = post_process(tmp_path, *feeds, workers=2, chunk_bytes=4096)
    assert pooled == alone
    _, history = alone
    assert {row["source"] for row in history} == {"desktop+mobile"}
    assert [row["wish_total"] for row in history] == [
        line["wish_total"] for line in mobile_lines(EARLY)
    ]
