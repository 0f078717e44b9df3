"""The history report, as a person sees it: opened from disk in a real headless
Chromium with the network shut.

The report over the 13 real snapshots of late 2023 is checked against facts read off
those files by hand (see tests/test_history.py); the hostile-title report checks that
feed text stays text.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from postprocess.report import data
from tests.browser import need_browser, open_offline
from tests.helpers import REPO, daily_feeds, needs_snapshots

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "$x^2$ and {{ 7*7 }}",
]


def make_report(history: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "postprocess.report", str(history), "-o", str(out), *options],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def snapshot_report(snapshot_history, tmp_path_factory) -> Path:
    history, _ = snapshot_history
    folder = tmp_path_factory.mktemp("report")
    path = folder / "history.parquet"
    history.to_parquet(path)
    out = folder / "report.html"
    done = make_report(path, out)
    assert done.returncode == 0, done.stderr
    assert "board 4: 11 day(s), 2023-10-09 to 2023-12-07" in done.stdout
    return out


def one_day_history(titles: list[str], board_id: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "board_id": board_id,
            "day": "2026-11-24",
            "rank": range(1, len(titles) + 1),
            "movie_id": range(100, 100 + len(titles)),
            "title": titles,
            "score": 9.1,
            "release_date": "1994-09-10",
            "release_region": "美国",
            "detail_url": [
                "javascript:alert(3)" if i == 0 else f"https://www.maoyan.com/films/{100 + i}"
                for i in range(len(titles))
            ],
        }
    )


@needs_snapshots
def test_snapshot_report_in_a_browser(snapshot_report, tmp_path) -> None:
    need_browser()
    with open_offline(snapshot_report) as visit:
        page = visit.page
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert (tmp_path / "report.png").stat().st_size > 50_000
        board = page.locator("section[data-board='4']")
        assert "2023-10-09 – 2023-12-07" in board.locator("p.meta").first.inner_text()
        # The latest board (2023-12-07) against 2023-12-03: read off the two snapshots.
        rows = board.locator("table.latest tbody tr")
        assert rows.count() == 100

        def row(rank: int) -> list[str]:
            return [cell.strip() for cell in rows.nth(rank - 1).locator("td").all_inner_texts()]

        assert row(1)[:4] == ["1", "–", "我不是药神", "9.6"]
        assert row(65)[:3] == ["65", "↑1", "无间道"]
        assert row(69)[:3] == ["69", "↓4", "天空之城"]
        assert board.locator("table.latest .change.new").count() == 0  # nobody entered
        assert board.locator("p.exits").count() == 0  # nobody left
        link = rows.nth(0).locator("a")
        assert link.get_attribute("href") == "https://m.maoyan.com/asgard/movie/1200486"
        # Bump charts: today's top 10 and five movers, one point per day on the board.
        top = board.locator("svg[data-chart='bump-top'] g[id^='series-']")
        assert top.count() == 10
        assert [top.nth(i).locator("use").count() for i in range(10)] == [11] * 10
        movers = board.locator("svg[data-chart='bump-movers'] g[id^='series-']")
        assert movers.count() == 5
        assert board.locator("svg[data-chart='bump-movers'] g#series-1228 use").count() == 11
        legend = board.locator("svg[data-chart='bump-movers'] text").all_text_contents()
        # Chart text from a feed is isolated as <bdi> isolates it in the page.
        assert "\u2068天空之城\u2069" in legend
        # No film entered or left in the 11 days, and every film was on the board every
        # day: a sentence each, no empty axis, no table of 100 equal rows.
        assert board.locator("svg[data-chart='entries']").count() == 0
        assert board.locator("[data-sentence='entries']").inner_text() == (
            "11 天内没有影片进榜或出榜。 No film entered or left the board in 11 days."
        )
        assert board.locator("table.longest").count() == 0
        assert (
            "全部 100 部影片在 11 天里每天都在榜"
            in board.locator("[data-sentence='longest']").inner_text()
        )
        # Climbs and falls over the whole period (first seen -> 2023-12-07).
        falls = board.locator("[data-moves='falls_all'] tbody tr").first.all_inner_texts()
        assert falls[0].split("\t")[:4] == ["天空之城", "65", "69", "↓4"]
        climbs = board.locator("[data-moves='climbs_all'] tbody tr").first.all_inner_texts()
        assert climbs[0].split("\t")[:4] == ["死亡诗社", "34", "32", "↑2"]
        # Distributions of the latest board; TOP100 draws no numbers over time.
        # Decades of the 2023-12-06 snapshot, counted by hand from pubDesc/rt:
        # 1930s 1, 1950s 3, 1970s 2, 1980s 2, 1990s 20, 2000s 24, 2010s 41, 2020s 7.
        decades = board.locator("svg[data-chart='decades']")
        assert decades.locator("g[id^='decades-']").count() == 8
        words = [t.strip() for t in decades.locator("text").all_text_contents()]
        assert words[words.index("1930s") : words.index("2020s") + 1] == [
            "1930s",
            "1950s",
            "1970s",
            "1980s",
            "1990s",
            "2000s",
            "2010s",
            "2020s",
        ]
        assert words[-8:] == ["1", "3", "2", "2", "20", "24", "41", "7"]
        assert board.locator("svg[data-chart='scores']").count() == 1
        assert board.locator("svg[data-chart='numbers']").count() == 0
        assert board.locator("[data-notice='one-day']").count() == 0
        # Labels in Chinese with English beside them.
        assert "最新榜单 Latest board" in board.locator("h3").first.inner_text()
    assert visit.requests == [snapshot_report.resolve().as_uri()]
    assert visit.console_errors == []
    assert visit.page_errors == []


def test_hostile_titles_are_text_and_one_day_says_so(tmp_path) -> None:
    need_browser()
    history = tmp_path / "history.csv"
    one_day_history([*HOSTILE, "霸王别姬"]).to_csv(history, index=False)
    out = tmp_path / "report.html"
    done = make_report(history, out)
    assert done.returncode == 0, done.stderr
    with open_offline(out, width=390, height=844) as visit:  # a phone's screen
        page = visit.page
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        titles = page.locator("table.latest td.title").all_inner_texts()
        assert titles == [*HOSTILE, "霸王别姬"]
        assert page.locator("table.latest img, table.latest script").count() == 0
        assert page.locator("body script").count() == 0
        # A javascript: link stays text; the others link.
        first = page.locator("table.latest tbody tr").first
        assert first.locator("a").count() == 0
        assert page.locator("table.latest a").count() == 3
        notice = page.locator("[data-notice='one-day']")
        assert "trends" in notice.inner_text() and "更多天" in notice.inner_text()
        assert page.locator("svg[data-chart^='bump']").count() == 0
        assert page.locator("table.latest .change").all_inner_texts() == [""] * 4
        # Every film of 1994, of 美国, scored 9.1: a sentence each, not one full-width bar.
        assert page.locator("svg[data-chart]").count() == 0
        sentences = {
            name: page.locator(f"[data-sentence='{name}']").inner_text()
            for name in ("decades", "regions", "scores")
        }
        assert "All 4 films were released in the 1990s" in sentences["decades"]
        assert sentences["regions"].endswith("All 4 films were released in: 美国")
        assert "All 4 films score 9.1" in sentences["scores"]
        # Nothing is wider than the phone's screen but the tables' own scrolling boxes.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert visit.requests == [out.resolve().as_uri()]  # no <img src=x> was ever fetched
    assert visit.dialogs == []
    assert visit.console_errors == [] and visit.page_errors == []


def test_hostile_titles_are_escaped_in_the_file(tmp_path) -> None:
    history = tmp_path / "history.jsonl"
    one_day_history(HOSTILE).to_json(history, orient="records", lines=True, force_ascii=False)
    out = tmp_path / "report.html"
    assert make_report(history, out).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<script>" not in page
    assert 'href="javascript:' not in page
    assert "{{ 7*7 }}" in page  # data is never a template either
    assert "script-src" not in page and "default-src 'none'" in page


def test_labels_follow_lang(tmp_path) -> None:
    history = tmp_path / "history.parquet"
    one_day_history(["霸王别姬", "活着"]).to_parquet(history)
    english = tmp_path / "en.html"
    assert make_report(history, english, "--lang", "en").returncode == 0
    text = english.read_text(encoding="utf-8")
    assert "Latest board" in text and "最新榜单" not in text
    assert "霸王别姬" in text  # data stays as the feed has it
    chinese = tmp_path / "zh.html"
    assert make_report(history, chinese, "--lang", "zh").returncode == 0
    text = chinese.read_text(encoding="utf-8")
    assert "最新榜单" in text and "Latest board" not in text


def test_box_office_board_draws_its_numbers(tmp_path) -> None:
    rows = []
    for day, shift in (("2026-11-22", 0), ("2026-11-23", 1), ("2026-11-24", 2)):
        for index, movie_id in enumerate((7, 8, 9)):
            rows.append(
                {
                    "board_id": 1,
                    "day": day,
                    "rank": (index + shift) % 3 + 1,
                    "movie_id": movie_id,
                    "title": "<b>$x^2$</b>" if movie_id == 9 else f"片{movie_id}",
                    "box_office_total": 1e8 * movie_id + 1e7 * shift,
                    "box_office_currency": "CNY",
                }
            )
    history = pd.DataFrame(rows)
    board = data.load_history_frame(history)
    latest = data.latest_board(board)
    # 2026-11-23 -> 24: film 8 climbs 3 -> 1, films 9 and 7 drop one place each.
    assert latest[["rank", "movie_id", "change"]].values.tolist() == [
        [1, 8, 2],
        [2, 9, -1],
        [3, 7, -1],
    ]
    assert data.entries_and_exits(board)[["entered", "left"]].values.tolist() == [[0, 0], [0, 0]]
    path = tmp_path / "history.parquet"
    history.to_parquet(path)
    out = tmp_path / "report.html"
    assert make_report(path, out).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('id="numbers-') == 3
    # A title is text in the table and in the chart's legend alike, never markup or TeX.
    assert page.count("&lt;b&gt;$x^2$&lt;/b&gt;") >= 3  # table, bump chart, numbers chart
    assert "<b>" not in page
    assert '<td class="num">9.20亿</td>' in page  # film 9 on the last day: 9亿 + 2 × 1000万
    assert "920,000,000" not in page


def test_entries_and_exits_are_counted_per_day() -> None:
    board = data.load_history_frame(
        pd.DataFrame(
            {
                "board_id": 7,
                "day": ["2026-11-22"] * 3 + ["2026-11-23"] * 3,
                "rank": [1, 2, 3, 1, 2, 3],
                "movie_id": [1, 2, 3, 2, 4, 1],
                "title": ["甲", "乙", "丙", "乙", "丁", "甲"],
            }
        )
    )
    assert data.entries_and_exits(board).values.tolist() == [["2026-11-23", 1, 1]]
    latest = data.latest_board(board)
    assert latest["new"].tolist() == [False, True, False]
    assert latest["change"].tolist()[0] == 1 and latest["change"].tolist()[2] == -2
    assert data.exits(board)["title"].tolist() == ["丙"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("a,b\n1,2\n", "h.csv", "not a history table (no column board_id, day, rank"),
        ("{not json\n", "h.jsonl", "cannot read it as .jsonl"),
        ("x", "h.xlsx", "unknown history format '.xlsx'"),
    ],
)
def test_unreadable_history_is_a_clear_error(tmp_path, content, name, message) -> None:
    history = tmp_path / name
    history.write_text(content, encoding="utf-8")
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")
    done = make_report(history, out)
    assert done.returncode == 2
    assert str(history) in done.stderr and message in done.stderr
    assert out.read_text(encoding="utf-8") == "old report"


def test_stand_in_history_shows_entries_exits_and_new_badges(tmp_path) -> None:
    """The demo's kind of history (daily crawls made from the stand-in's films, with
    films entering and leaving), post-processed and reported: the page's NEW badges,
    arrows and exits are those of the last two boards, worked out here from the boards."""
    need_browser()
    from datetime import date

    from standin.feeds import earlier_days
    from standin.films import BOARDS

    today = BOARDS[4]
    reserve = [film for film in BOARDS[7] if film not in today]
    boards = [*earlier_days(today, reserve, 30, date(2026, 11, 23)), ("2026-11-23", today)]
    # End the history on the last day a film entered, so the page has one to show.
    ids = [{film.movie_id for film in films} for _, films in boards]
    last = max(k for k in range(1, len(boards)) if ids[k] - ids[k - 1])
    boards = boards[: last + 1]
    feeds = daily_feeds(tmp_path, boards)
    history, out = tmp_path / "history.csv", tmp_path / "report.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "postprocess",
            *feeds,
            "-o",
            str(tmp_path / "films.csv"),
            "--history",
            str(history),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    assert make_report(history, out).returncode == 0
    # Expected, from the last two boards themselves.
    (_, before), (_, after) = boards[-2], boards[-1]
    rank_before = {film.movie_id: rank for rank, film in enumerate(before, 1)}
    expected = []
    for rank, film in enumerate(after, 1):
        if film.movie_id not in rank_before:
            expected.append("新上榜 NEW")
        elif rank_before[film.movie_id] > rank:
            expected.append(f"↑{rank_before[film.movie_id] - rank}")
        elif rank_before[film.movie_id] < rank:
            expected.append(f"↓{rank - rank_before[film.movie_id]}")
        else:
            expected.append("–")
    gone = [f.title for f in before if f.movie_id not in {g.movie_id for g in after}]
    entered_days = sum(
        bool({f.movie_id for f in b} - {f.movie_id for f in a})
        for (_, a), (_, b) in itertools.pairwise(boards)
    )
    assert entered_days > 0 and "新上榜 NEW" in expected and gone  # the boards do move
    with open_offline(out) as visit:
        page = visit.page
        assert page.locator("table.latest .change").all_inner_texts() == expected
        exits = page.locator("p.exits")
        assert exits.count() == (1 if gone else 0)
        for title in gone:
            assert title in exits.inner_text()
        bars = page.locator("svg[data-chart='entries'] g[id^='entered-']")
        assert bars.count() == len(boards) - 1
        top = page.locator("svg[data-chart='bump-top'] g[id^='series-']")
        assert top.count() == 10
    assert visit.requests == [out.resolve().as_uri()]
    assert visit.console_errors == [] and visit.page_errors == []
