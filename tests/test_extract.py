"""Extraction: the exact entries read from hand-written 2026 pages and from real
pages people saved between 2019 and 2021."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maoyan.extract.desktop import board_id_from_url, board_number, parse_board_page
from maoyan.extract.html import collapse, parse_html
from tests.helpers import SHARED_ABSENT, SHARED_PAGES

SHARED_PARTIALS = SHARED_PAGES / "partials"

FIXTURES = Path(__file__).parent / "fixtures"
OWN_PAGES = sorted((FIXTURES / "pages").glob("*.html"))
SHARED_EXPECTED = sorted((FIXTURES / "shared_expected").glob("*.expected.json"))


def check_page(html: str, expected: dict, name: str) -> None:
    page = parse_board_page(html, expected["url"])
    assert page.board_date == expected["board_date"], f"{name}: board_date"
    assert page.next_url == expected["next_url"], f"{name}: next_url"
    assert len(page.entries) == len(expected["entries"]), f"{name}: number of entries"
    if "numbers_hidden" in expected:
        hidden = [list(pair) for pair in page.numbers_hidden]
        assert hidden == expected["numbers_hidden"], f"{name}: numbers_hidden"
    for got, want in zip(page.entries, expected["entries"], strict=True):
        for field, value in want.items():
            assert got[field] == value, f"{name}, rank {want['rank']}: {field}"
        assert got["page_url"] == expected["url"]
        assert got["board_date"] == expected["board_date"]
        assert got["board_id"] == board_id_from_url(expected["url"])


@pytest.mark.parametrize("path", OWN_PAGES, ids=lambda p: p.stem)
def test_own_fixture_pages(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    check_page(path.read_text(encoding="utf-8"), expected, path.name)


@pytest.mark.parametrize("expected_path", SHARED_EXPECTED, ids=lambda p: p.stem)
def test_real_saved_pages(expected_path: Path) -> None:
    page_path = SHARED_PAGES / expected_path.name.replace(".expected.json", ".html")
    if not page_path.exists():
        pytest.skip(SHARED_ABSENT)
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    check_page(page_path.read_text(encoding="utf-8"), expected, page_path.name)


def test_every_shared_page_has_expectations() -> None:
    if not SHARED_PAGES.exists():
        pytest.skip(SHARED_ABSENT)
    pages = {p.stem for p in SHARED_PAGES.glob("*.html")}
    assert pages == {p.name.replace(".expected.json", "") for p in SHARED_EXPECTED}


def test_2026_page_details() -> None:
    """The facts a user checks first, spelled out rather than read from a file."""
    html = (FIXTURES / "pages" / "board4_offset90_2026.html").read_text(encoding="utf-8")
    page = parse_board_page(html, "https://www.maoyan.com/board/4?offset=90")
    first, no_score, no_release, last = (page.entries[i] for i in (0, 2, 3, 9))
    assert first == {
        "board_id": 4,
        "rank": 91,
        "movie_id": 1294,
        "title": "搏击俱乐部",
        "stars": "布拉德·皮特,爱德华·诺顿,海伦娜·伯翰·卡特",
        "release": "1999-09-10(意大利)",
        "score": "8.8",
        "box_office_realtime": None,
        "box_office_total": None,
        "wish_month": None,
        "wish_total": None,
        "poster_url": "https://p0.pipi.cn/mmdb/25bfd6d7536b0c3d3e4a8c1ee8b4f4e4a1c3e.jpg"
        "?imageView2/1/w/160/h/220",
        "detail_url": "https://www.maoyan.com/films/1294",
        "board_date": "2026-11-23",
        "page_url": "https://www.maoyan.com/board/4?offset=90",
    }
    assert no_score["score"] is None and no_score["release"] == "2013-07-31"
    assert no_release["release"] is None and no_release["score"] == "9.0"
    assert page.numbers_hidden == []  # TOP100 shows a score, in plain text
    assert last["rank"] == 100 and last["stars"] is None and last["score"] is None
    # offset 90 shows 上一页 but no 下一页: the pager leads nowhere further.
    assert page.next_url is None


def test_placeholder_is_never_the_poster() -> None:
    html = (FIXTURES / "pages" / "board4_offset90_2026.html").read_text(encoding="utf-8")
    page = parse_board_page(html, "https://www.maoyan.com/board/4?offset=90")
    assert all("loading" not in e["poster_url"] for e in page.entries)
    # a protocol-relative data-src is made absolute
    assert page.entries[1]["poster_url"].startswith("https://p0.pipi.cn/mmdb/")


def test_page_without_board() -> None:
    page = parse_board_page(
        "<html><title>猫眼验证中心</title></html>", "https://www.maoyan.com/board/4"
    )
    assert not page.has_board and page.entries == [] and page.board_date is None


def test_collapse() -> None:
    assert collapse("  张国荣,\n   张丰毅 ") == "张国荣, 张丰毅"
    assert collapse(" \n ") is None
    assert collapse(None) is None


def shared_partial(name: str) -> str:
    path = SHARED_PARTIALS / name
    if not path.exists():
        pytest.skip(SHARED_ABSENT)
    return path.read_text(encoding="utf-8")


def test_real_wish_entry_with_lost_glyphs_keeps_the_film_and_hides_the_numbers() -> None:
    """Board 6, rank 11, as saved about August 2018: the stonefont spans came out empty."""
    html = f'<dl class="board-wrapper">{shared_partial("2018-08_board6_entry_rank11.html")}</dl>'
    page = parse_board_page(html, "https://maoyan.com/board/6?offset=10")
    (entry,) = page.entries
    assert (entry["rank"], entry["movie_id"], entry["title"]) == (11, 1229214, "爸，我一定行的")
    assert entry["stars"] == "郑润奇,郑鹏生,张咏娴" and entry["release"] == "2018-08-24"
    assert entry["score"] is None
    assert entry["wish_month"] is None and entry["wish_total"] is None
    assert page.numbers_hidden == [(11, "wish_month"), (11, "wish_total")]
    # No lazy-load data-src on this old page: the poster is its src.
    assert entry["poster_url"] == (
        "http://p1.meituan.net/movie/808c13573707a7414224bb1a28fde34b853667.jpg@160w_220h_1e_1c"
    )


def test_real_wish_snippet_numbers_are_hidden() -> None:
    root = parse_html(shared_partial("2020-09_board6_snippet.html"))
    month, total = (root.find(f".//p[@class='{css}']") for css in ("month-wish", "total-wish"))
    assert board_number(month) == (None, True)
    assert board_number(total) == (None, True)


def test_real_board7_fragment_scores_are_read_beside_the_font_face() -> None:
    style = shared_partial("2019-04-08_board7_fontface_style.html")
    body = shared_partial("2019-04-08_board7_fragment_rank1-2.html") + "</dl>"
    page = parse_board_page(style + body, "https://maoyan.com/board/7")
    assert [(e["rank"], e["title"], e["score"]) for e in page.entries] == [
        (1, "波西米亚狂想曲", "9.5"),
        (2, "绿皮书", "9.5"),
    ]
    assert page.numbers_hidden == [] and page.board_date == "2019-04-08"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p class="realtime">实时票房: <span><span class="stonefont">2301.42</span></span>万</p>',
         ("2301.42万", False)),
        ('<p class="total-boxoffice">\n 总票房:\n <span><span class="stonefont">14.52</span>'
         "</span>\n 亿\n</p>", ("14.52亿", False)),
        ('<p class="realtime">周末票房: <span><span class="stonefont">3532</span></span>万美元</p>',
         ("3532万美元", False)),
        ('<p class="month-wish">本月新增想看：<span><span class="stonefont">73916</span>'
         "</span>人</p>", ("73916人", False)),
        ('<p class="month-wish">本月新增想看：<span><span class="stonefont">&#xe624;&#xf7b7;'
         "</span></span>人</p>", (None, True)),
        ('<p class="realtime">实时票房: <span><span class="stonefont">&#xe624;.&#xf7b7;</span>'
         "</span>万</p>", (None, True)),
        ('<p class="total-wish">总想看：<span><span class="stonefont"></span></span>人</p>',
         (None, True)),
        ('<p class="total-wish">总想看：暂无</p>', (None, False)),
    ],
)  # fmt: skip
def test_board_number(html: str, expected: tuple) -> None:
    assert board_number(parse_html(html).find(".//p")) == expected
