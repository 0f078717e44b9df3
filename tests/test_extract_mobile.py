"""Mobile extraction: the exact entries read from mobile board pages and board JSON
(fixtures built from the facts of real answers of 2017 and 2023, in the page shape of
2026), and the real answers in the team's shared folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maoyan.extract.mobile import (
    app_data,
    board_date,
    has_board_data,
    has_movies,
    movie_entry,
    parse_board_json,
    parse_board_page,
    refusal,
)
from tests.helpers import SHARED

FIXTURES = Path(__file__).parent / "fixtures" / "mobile"
EXPECTED = sorted(FIXTURES.glob("*.expected.json"))
SHARED_API = SHARED / "maoyan-api"
API_ABSENT = (
    f"{SHARED_API} is absent: the real API answers live in the team's shared folder; clone "
    "beside it (../shared) or set MAOYAN_SHARED=/path/to/shared to run this test"
)


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.stem)
def test_fixture_answers(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    stem = expected_path.name.removesuffix(".expected.json")
    name = f"{stem}.html" if expected["kind"] == "page" else f"{stem}.json"
    text = (FIXTURES / name).read_text(encoding="utf-8")
    if expected["kind"] == "page":
        answer = parse_board_page(text, expected["url"], expected["board_id"])
    else:
        answer = parse_board_json(
            text, expected["url"], expected["board_id"], "https://m.maoyan.com"
        )
    assert answer.readable
    assert answer.title == expected["title"]
    assert answer.board_date == expected["board_date"]
    paging = answer.paging and {
        "offset": answer.paging.offset,
        "limit": answer.paging.limit,
        "total": answer.paging.total,
        "has_more": answer.paging.has_more,
    }
    assert paging == expected["paging"]
    assert len(answer.entries) == len(expected["entries"])
    for got, want in zip(answer.entries, expected["entries"], strict=True):
        assert set(got) == set(want), f"{name}, rank {want['rank']}: the fields"
        for field, value in want.items():
            assert got[field] == value, f"{name}, rank {want['rank']}: {field}"


def test_top100_page_fields_by_hand() -> None:
    """Two entries of the TOP100 page, every field written out."""
    url = "https://m.maoyan.com/asgard/board?id=39&year=0&term=0"
    page = parse_board_page((FIXTURES / "board39_page_2026.html").read_text("utf-8"), url, 4)
    first, second = page.entries[:2]
    assert first == {
        "board_id": 4,
        "rank": 1,
        "movie_id": 1200486,
        "title": "我不是药神",
        "stars": "徐峥,周一围,王传君",
        "director": None,
        "genres": "剧情,喜剧",
        "release": "2018-07-05中国大陆上映",
        "score": "9.6",
        "score_label": "猫眼购票评分",
        "box_office_realtime": None,
        "box_office_total": None,
        "wish_month": None,
        "wish_total": 164738,
        "blurb": "印度代神药，良心及时现",
        "poster_url": "https://p0.pipi.cn/mmdb/d2dad59253751bd236338fa5bd5a27c710413.jpg"
        "?imageMogr2/thumbnail/2500x2500%3E",
        "detail_url": "https://m.maoyan.com/asgard/movie/1200486",
        "board_date": None,
        "page_url": url,
    }
    # No mainland release date (rt), no blurb: the release as pubDesc says it, blurb null.
    assert (second["title"], second["release"], second["blurb"]) == (
        "肖申克的救赎",
        "1994-09-13美国上映",
        None,
    )
    # Rank 20 (情书) has no label in the fixture: the score is its sc, 8.9, as shown.
    assert (page.entries[19]["title"], page.entries[19]["score"]) == ("情书", "8.9")
    assert page.paging.total == 100 and page.paging.has_more is True


def test_wish_counts_come_from_the_cards_when_the_data_has_none() -> None:
    url = "https://m.maoyan.com/asgard/board?id=6&year=0&term=0"
    page = parse_board_page((FIXTURES / "board6_page_2026.html").read_text("utf-8"), url, 6)
    first = page.entries[0]
    assert (first["title"], first["wish_month"], first["wish_total"]) == (
        "生化危机6：终章",
        67913,
        127877,
    )
    assert first["director"] == "保罗·安德森" and first["score"] is None
    assert [entry["rank"] for entry in page.entries] == list(range(1, 11))


def test_readable_and_refused_answers() -> None:
    page = (FIXTURES / "board39_page_2026.html").read_text("utf-8")
    answer = (FIXTURES / "board39_offset20_2023.json").read_text("utf-8")
    assert has_board_data(page) and not has_board_data(page.replace("AppData", "__STATE__"))
    assert not has_board_data("<html><body>访问请求由于过于频繁而被禁止</body></html>")
    assert not has_board_data("<script>var AppData = {broken</script>")
    assert has_movies(answer) and not has_movies(answer.replace('"movies"', '"list"'))
    assert not has_movies("[]") and not has_movies("not json")
    assert refusal(answer) is None and refusal(page) is None
    refused = '{"success": false, "error": {"code": 406, "message": "请求被拒绝"}}'
    assert refusal(refused) == "success: false, 请求被拒绝"
    assert refusal('{"success": false}') == "success: false"
    in_page = f'<script>var AppData = {{"data": {refused}}};</script>'
    assert refusal(in_page) == "success: false, 请求被拒绝"
    assert app_data("<script>var AppData = [1];</script>") is None


def test_paging_is_read_beside_or_inside_the_boards_data() -> None:
    """The page of 2026 keeps ``paging`` beside ``data`` in AppData.data; the older app
    API kept it inside ``data``: the same board, the same total, either way."""
    url = "https://m.maoyan.com/asgard/board?id=39&year=0&term=0"
    page = (FIXTURES / "board39_page_2026.html").read_text("utf-8")
    outer = app_data(page)["data"]
    assert "paging" in outer and "paging" not in outer["data"]
    beside = parse_board_page(page, url, 4)
    inside = dict(outer, data={**outer["data"], "paging": outer["paging"]})
    del inside["paging"]
    older = page.replace(
        json.dumps(outer, ensure_ascii=False), json.dumps(inside, ensure_ascii=False)
    )
    assert older != page
    moved = parse_board_page(older, url, 4)
    assert beside.paging == moved.paging and beside.paging.total == 100
    assert moved.entries == beside.entries
    # The JSON: inside data (the app API), or beside it.
    answer = json.loads((FIXTURES / "board39_offset20_2023.json").read_text("utf-8"))
    json_url = "https://i.maoyan.com/x/39.json?offset=20&limit=30"
    assert "paging" not in answer and "paging" not in answer["data"]
    answer["data"]["paging"] = {"hasMore": True, "limit": 30, "offset": 20, "total": 100}
    inside_json = parse_board_json(json.dumps(answer), json_url, 4, "https://m.maoyan.com")
    beside_answer = {**answer, "paging": answer["data"]["paging"]}
    beside_answer["data"] = {k: v for k, v in answer["data"].items() if k != "paging"}
    beside_json = parse_board_json(json.dumps(beside_answer), json_url, 4, "https://m.maoyan.com")
    assert inside_json.paging == beside_json.paging and inside_json.paging.total
    assert inside_json.entries == beside_json.entries


def test_board_date_is_beijings_day() -> None:
    # 2023-10-08 16:30 UTC is already 2023-10-09 in Beijing.
    assert board_date(1696782600000) == "2023-10-09"
    assert board_date("2017-02-04") == "2017-02-04"
    assert board_date(0) is None and board_date(True) is None and board_date("soon") is None


def test_a_film_without_fields_is_kept_for_the_pipeline_to_name() -> None:
    entry = movie_entry({}, 7, "https://m.maoyan.com", 4)
    assert entry["rank"] == 7 and entry["movie_id"] is None and entry["title"] is None
    assert entry["detail_url"] is None


def test_real_top100_snapshots() -> None:
    """The 13 real TOP100 answers of late 2023: every film of each reads with the
    fields the feed requires, ranks 1-100 once each; facts read off the files by hand."""
    folder = SHARED_API / "top100-2023"
    if not folder.exists():
        pytest.skip(API_ABSENT)
    ranks_of: dict[str, dict[int, int]] = {}
    for path in sorted(folder.glob("*.json")):
        archived = json.loads(path.read_text(encoding="utf-8"))
        movies = archived.get("draft") or archived["movies"]
        entries = [movie_entry(movie, None, "https://m.maoyan.com", 4) for movie in movies]
        assert sorted(entry["rank"] for entry in entries) == list(range(1, 101)), path.name
        for entry in entries:
            assert isinstance(entry["movie_id"], int) and entry["title"], path.name
            assert entry["score"] is not None and float(entry["score"]) > 0, path.name
            assert entry["genres"] and entry["release"], path.name
        ranks_of[path.stem[-8:]] = {entry["movie_id"]: entry["rank"] for entry in entries}
    assert len(ranks_of) == 13
    first = ranks_of["20231011"]
    assert first[1200486] == 1 and first[1297] == 2  # 我不是药神, 肖申克的救赎


def test_real_app_api_answers() -> None:
    """The app API of 2016-2017 (its ``data`` objects): directors, wish counts and
    North American box office in 万美元."""
    folder = SHARED_API / "app-api-2016-2017"
    if not folder.exists():
        pytest.skip(API_ABSENT)
    url = "https://api.maoyan.com/mmdb/movieboard/fixedboard/2.json?offset=0&limit=10"
    text = json.dumps(
        {"data": json.loads((folder / "board2_northamerica_2016-06-07.json").read_text())}
    )
    answer = parse_board_json(text, url, 2, "https://m.maoyan.com")
    first = answer.entries[0]
    assert (first["title"], first["director"]) == ("忍者神龟2：破影而出", "戴夫·格林")
    assert (first["box_office_realtime"], first["box_office_total"]) == ("3532万美元", "3532万美元")
    assert answer.entries[1]["box_office_total"] == "11700万美元"
    assert answer.board_date == "2016-06-07" and answer.paging.total == 10
    wanted = json.loads((folder / "board6_want_2017-02-04.json").read_text())
    answer = parse_board_json(json.dumps({"data": wanted}), url, 6, "https://m.maoyan.com")
    assert (answer.entries[0]["wish_month"], answer.entries[0]["wish_total"]) == (67913, 127877)
    assert answer.paging.has_more is True and answer.paging.total == 50


def test_extract_command_reads_saved_mobile_answers() -> None:
    """``python -m maoyan.extract SAVED`` (the unreadable-page advice) reads mobile
    pages and board JSON too, telling them from desktop pages by their content."""
    import subprocess
    import sys

    for name, first in (("board39_offset20_2023.json", 21), ("board6_page_2026.html", 1)):
        proc = subprocess.run(
            [sys.executable, "-m", "maoyan.extract", str(FIXTURES / name)],
            capture_output=True,
            text=True,
            check=True,
        )
        summary = json.loads(proc.stdout)
        assert summary["readable"] is True and summary["entries"][0]["rank"] == first
