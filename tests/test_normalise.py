"""The pure normalisers: real-world forms, and properties over any string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postprocess.normalise import (
    canonical_poster_url,
    format_release,
    normalise_text,
    normalise_title,
    parse_board_number,
    parse_box_office,
    parse_release,
    parse_score,
    parse_wish_count,
    split_stars,
)
from postprocess.records import RecordChecker, display_time, time_key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("霸王别姬", "霸王别姬"),
        ("  小森林\u3000夏秋篇 ", "小森林 夏秋篇"),  # ideographic space
        ("Ｔｏｍ ＆ Ｊｅｒｒｙ", "Tom ＆ Jerry"),  # full-width letters, not punctuation
        ("蝙蝠侠：黑暗骑士", "蝙蝠侠：黑暗骑士"),  # Chinese punctuation as the site writes it
        ("摔跤吧！爸爸", "摔跤吧！爸爸"),
        ("你好，李焕英", "你好，李焕英"),
        ("速度与激情１０", "速度与激情10"),  # full-width digits
        ("千与千寻\u00a0 ", "千与千寻"),  # no-break space
        ("ﾄﾄﾛ", "ﾄﾄﾛ"),  # other compatibility forms stay (NFKC would change them)
        ("阿丽塔\n  战斗天使", "阿丽塔 战斗天使"),
        ("   ", None),
        (None, None),
        (42, None),
    ],
)
def test_title(raw, clean) -> None:
    assert normalise_title(raw) == clean


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("张国荣,张丰毅,巩俐", ["张国荣", "张丰毅", "巩俐"]),
        ("马特·达蒙, 罗宾·威廉姆斯，本·阿弗莱克", ["马特·达蒙", "罗宾·威廉姆斯", "本·阿弗莱克"]),
        ("雅克·贝汉,Philippe Labro", ["雅克·贝汉", "Philippe Labro"]),
        ("徐峥,,  ,周一围,", ["徐峥", "周一围"]),
        ("", []),
        (None, []),
        (["张国荣 ", " 巩俐"], ["张国荣", "巩俐"]),
    ],
)
def test_stars(raw, names) -> None:
    assert split_stars(raw) == names


@pytest.mark.parametrize(
    ("raw", "when", "region"),
    [
        ("1994-09-10(加拿大)", "1994-09-10", "加拿大"),
        ("1993-07-01(中国香港)", "1993-07-01", "中国香港"),
        ("1998-05-01（日本）", "1998-05-01", "日本"),
        ("2018-07-05", "2018-07-05", None),
        ("2018-07-05中国大陆上映", "2018-07-05", "中国大陆"),
        ("2018-07-05上映", "2018-07-05", None),
        # The mobile site's pubDesc of a re-release (the 2023 snapshots): a time of day.
        ("2020-12-25 12:00中国大陆上映", "2020-12-25", "中国大陆"),
        ("2023-06-01 08:00中国大陆上映", "2023-06-01", "中国大陆"),
        ("1992", "1992", None),
        ("2026-11", "2026-11", None),
        ("1997-2", "1997-02", None),
        ("2013-7-31", "2013-07-31", None),
        (" 2019-03-22 ", "2019-03-22", None),
        ("2019-02-30", None, None),  # no such day
        ("2019-13", None, None),
        ("待定", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_release(raw, when, region) -> None:
    assert parse_release(raw) == (when, region)


@pytest.mark.parametrize(
    ("raw", "score"),
    [("9.5", 9.5), ("9.", 9.0), (9.5, 9.5), (9, 9.0), (" 8.8 ", 8.8), ("", None), (None, None),
     ("暂无评分", None), (True, None), ("nan", None), ("inf", None)],
)  # fmt: skip
def test_score(raw, score) -> None:
    assert parse_score(raw) == score


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "https://p0.meituan.net/movie/20803f59291c47e1e116c11963ce019e68711.jpg@160w_220h_1e_1c",
            "https://p0.meituan.net/movie/20803f59291c47e1e116c11963ce019e68711.jpg",
        ),
        (
            "https://p0.meituan.net/moviemachine/c2496a7290a72eac6081321898c347693550574.jpg@160w_220h_1e_1c",
            "https://p0.meituan.net/moviemachine/c2496a7290a72eac6081321898c347693550574.jpg",
        ),
        (
            "https://p0.pipi.cn/mmdb/25bfd6d7536b0c3d3e4a8c1ee8b4f4e4a1c3e.jpg?imageView2/1/w/160/h/220",
            "https://p0.pipi.cn/mmdb/25bfd6d7536b0c3d3e4a8c1ee8b4f4e4a1c3e.jpg",
        ),
        ("//p0.pipi.cn/mmdb/abc.jpg?imageView2/1/w/160/h/220", "https://p0.pipi.cn/mmdb/abc.jpg"),
        # The mobile source's form of the same poster.
        (
            "https://p0.pipi.cn/mmdb/d2dad59253751bd236338fa5bd5a27c710413.jpg?imageMogr2/thumbnail/2500x2500%3E",
            "https://p0.pipi.cn/mmdb/d2dad59253751bd236338fa5bd5a27c710413.jpg",
        ),
        ("https://p0.pipi.cn/mmdb/abc.jpg", "https://p0.pipi.cn/mmdb/abc.jpg"),
        ("", None),
        (None, None),
    ],
)
def test_poster(raw, canonical) -> None:
    assert canonical_poster_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  陈凯歌 ", "陈凯歌"), ("印度代神药，\n良心及时现", "印度代神药， 良心及时现"), ("", None),
     ("  ", None), (None, None), (7, None)],
)  # fmt: skip
def test_free_text(raw, clean) -> None:
    assert normalise_text(raw) == clean


def test_time_keys() -> None:
    assert time_key("2026-11-23T08:00:00Z") == "2026-11-23T08:00:00.000000Z"
    assert time_key("2026-11-23T16:00:00+08:00") == "2026-11-23T08:00:00.000000Z"
    assert time_key("2026-11-23T08:00:00") == "2026-11-23T08:00:00.000000Z"  # taken as UTC
    assert time_key("2026-11-23T08:00:00.5Z") == "2026-11-23T08:00:00.500000Z"
    assert time_key("yesterday") is None and time_key(1700000000) is None
    assert display_time("2026-11-23T08:00:00.000000Z") == "2026-11-23T08:00:00Z"


GOOD = {
    "board_id": 4,
    "rank": 1,
    "movie_id": 1203,
    "title": "霸王别姬",
    "crawled_at": "2026-11-23T08:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"rank": None}, "missing rank"),
        ({"movie_id": "1203"}, "movie_id is not an integer: '1203'"),
        ({"board_id": True}, "board_id is not an integer: True"),
        ({"rank": 0}, "rank is out of range: 0"),
        ({"title": "  "}, "title is empty"),
        ({"title": ["霸王别姬"]}, "title is not a string: ['霸王别姬']"),
        ({"crawled_at": "last tuesday"}, "crawled_at is not an ISO-8601 time: 'last tuesday'"),
        ({"crawled_at": None}, "missing crawled_at"),
        ({"crawled_at": ["x"]}, "crawled_at is not an ISO-8601 time: ['x']"),
        ({"score": "11"}, "score is not a number from 0 to 10: '11'"),
        ({"score": "暂无"}, "score is not a number from 0 to 10: '暂无'"),
        ({"score": -1}, "score is not a number from 0 to 10: -1"),
    ],
)
def test_check_record_reasons(change, reason) -> None:
    assert RecordChecker()({**GOOD, **change})[0] == reason


def test_check_record_accepts_nullable_fields() -> None:
    record = {**GOOD, "score": None, "stars": None, "release": None, "poster_url": None}
    assert RecordChecker()(record) == (None, "2026-11-23T08:00:00.000000Z")
    assert RecordChecker()([GOOD])[0] == "not a JSON object but a list"


# -- properties: no exception on any string, and clean values stay clean -----------

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
release_like = st.from_regex(r"\A\s?\d{4}(-\d{1,2}(-\d{1,2})?)?[(（]?[^()（）]{0,6}[)）]?\s?\Z")


@given(text)
def test_title_idempotent(value: str) -> None:
    once = normalise_title(value)
    assert once is None or normalise_title(once) == once


@given(st.one_of(text, st.lists(text, max_size=5)))
def test_stars_idempotent(value) -> None:
    names = split_stars(value)
    assert split_stars(names) == names
    assert split_stars(",".join(names)) == names


@given(st.one_of(text, release_like))
def test_release_round_trip(value: str) -> None:
    when, region = parse_release(value)
    assert (when is None) <= (region is None)  # no region without a date
    assert parse_release(format_release(when, region)) == ((when, region) if when else (None, None))


@given(st.one_of(text, st.floats(), st.integers()))
def test_score_never_raises(value) -> None:
    score = parse_score(value)
    assert score is None or parse_score(score) == score


@given(text)
def test_poster_idempotent(value: str) -> None:
    once = canonical_poster_url(value)
    assert once is None or canonical_poster_url(once) == once


@given(text)
def test_check_record_never_raises(value: str) -> None:
    for field in ("title", "crawled_at", "score", "rank"):
        reason, _ = RecordChecker()({**GOOD, field: value})
        assert reason is None or isinstance(reason, str)


@pytest.mark.parametrize(
    ("raw", "board_id", "expected"),
    [
        ("2301.42万", 1, (23_014_200.0, "CNY", None)),  # exact, not 23014200.000000004
        ("14.52亿", 1, (1_452_000_000.0, "CNY", None)),
        (" 2468.90 万 ", 1, (24_689_000.0, "CNY", None)),
        ("1,234万", 1, (12_340_000.0, "CNY", None)),
        ("3532万美元", 2, (35_320_000.0, "USD", None)),
        ("3532万", 2, (35_320_000.0, "USD", None)),  # 北美票房榜 is in dollars
        (12345.0, 1, (12345.0, "CNY", None)),  # a number: already in ones
        (10**400, 1, (None, None, "unparsed")),
        ("\ue624\uf7b7.\ue76e万", 1, (None, None, "hidden")),
        ("暂无", 1, (None, None, "unparsed")),
        ("73916人", 1, (None, None, "unparsed")),
        (None, 1, (None, None, None)),
        ("", 1, (None, None, None)),
    ],
)
def test_box_office(raw, board_id, expected) -> None:
    assert parse_box_office(raw, board_id) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("73916人", (73916, None)),
        ("287810", (287810, None)),
        ("12.7万人", (127_000, None)),
        ("\ue624\uf7b7人", (None, "hidden")),
        ("3532万美元", (None, "unparsed")),
        ("1.5人", (None, "unparsed")),
        (True, (None, "unparsed")),
        (None, (None, None)),
    ],
)
def test_wish_count(raw, expected) -> None:
    assert parse_wish_count(raw) == expected


@given(st.one_of(text, st.floats(), st.integers(), st.none()))
def test_board_numbers_never_raise(value) -> None:
    number, _, problem = parse_board_number(value)
    assert number is None or problem is None
    parse_box_office(value, 1)
    parse_wish_count(value)
