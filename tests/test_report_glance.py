"""The report as a morning glance, in a real headless Chromium at a desktop's and a
phone's width: what changed on every board first, numbers in 万 and 亿, honest
distributions, no chart without information, titles that cannot disguise the text
around them.

What the page should say is worked out here from the history file itself (the last
two days of every board), not from the report's own code.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from standin.feeds import earlier_days
from standin.films import BOARDS, STALE_BOARD_DATES, Film, moved_board
from tests.browser import need_browser, open_offline
from tests.helpers import REPO, daily_feeds

LAST_DAY = date(2026, 11, 23)
DAYS = 6
#: U+202E RIGHT-TO-LEFT OVERRIDE: "我是药神" drawn backwards looks like another film.
REVERSED = "\u202e神药是我"


def board_days(board_id: int) -> list[tuple[str, list[Film]]]:
    """A board's lineup on each of the history's days, oldest first."""
    if board_id == 4:  # films enter and leave
        today = BOARDS[4]
        reserve = [film for film in BOARDS[7] if film not in today]
        earlier = list(earlier_days(today, reserve, DAYS - 1, LAST_DAY))
        return [*earlier, (LAST_DAY.isoformat(), today)]
    if board_id == 2:  # a board with its own old date: one day
        return [(STALE_BOARD_DATES[2], BOARDS[2])]
    return [
        (date.fromordinal(LAST_DAY.toordinal() - DAYS + 1 + step).isoformat(),
         moved_board(BOARDS[board_id], board_id, step))
        for step in range(DAYS)
    ]  # fmt: skip


def make_history(folder: Path, boards: dict[int, list[tuple[str, list[Film]]]]) -> Path:
    """Feeds of daily crawls of ``boards``, post-processed into a history (Parquet)."""
    feeds = [
        feed for board_id, days in boards.items() for feed in daily_feeds(folder, days, board_id)
    ]
    history = folder / "history.parquet"
    subprocess.run(
        [sys.executable, "-m", "postprocess", *feeds, "-o", str(folder / "films.parquet"),
         "--history", str(history)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return history


def make_report(history: Path, out: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "postprocess.report", str(history), "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def expected_changes(history: pd.DataFrame, board_id: int) -> dict:
    """The last day of a board against the day before, read off the history's rows."""
    board = history[history["board_id"] == board_id]
    days = sorted(board["day"].astype(str).unique())
    if len(days) < 2:
        return {"one_day": True}
    ranks = [
        dict(zip(rows["movie_id"], rows["rank"], strict=True))
        for rows in (board[board["day"].astype(str) == day] for day in days[-2:])
    ]
    before, now = ranks
    title = dict(zip(board["movie_id"], board["title"], strict=True))
    moved = [(before[m] - now[m], now[m], m) for m in now if m in before and before[m] != now[m]]
    climbs = sorted((c for c in moved if c[0] > 0), key=lambda c: (-c[0], c[1]))[:3]
    falls = sorted((c for c in moved if c[0] < 0), key=lambda c: (c[0], c[1]))[:3]
    leader, leader_before = min(now, key=now.get), min(before, key=before.get)

    def move(climb: int, rank: int, movie: int) -> str:
        arrow = f"↑{climb}" if climb > 0 else f"↓{-climb}"
        return f"{title[movie]} {arrow} ({rank + climb} → {rank})"

    return {
        "one_day": False,
        "entered": [title[m] for m in sorted(set(now) - set(before), key=now.get)],
        "left": [title[m] for m in sorted(set(before) - set(now), key=before.get)],
        "climbs": [move(*c) for c in climbs],
        "falls": [move(*c) for c in falls],
        "leader": None if leader == leader_before else title[leader],
    }


@pytest.fixture(scope="module")
def glance_report(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("glance")
    history = make_history(folder, {board: board_days(board) for board in (4, 7, 1, 6, 2)})
    out = folder / "report.html"
    make_report(history, out)
    return out, pd.read_parquet(history)


@pytest.mark.parametrize("width", [1280, 390])
def test_today_says_what_changed_on_every_board_first(glance_report, width) -> None:
    need_browser()
    out, history = glance_report
    boards = sorted(history["board_id"].unique())
    with open_offline(out, width=width, height=900) as visit:
        page = visit.page
        today = page.locator("section#today")
        # Above every long table, and the first thing after the page's header.
        bottom = today.bounding_box()["y"] + today.bounding_box()["height"]
        tables = page.locator("table.latest")
        assert tables.count() == len(boards)
        assert all(tables.nth(i).bounding_box()["y"] > bottom for i in range(tables.count()))
        assert today.locator("article.glance").count() == len(boards)
        seen = {"entered": 0, "left": 0, "climbs": 0, "falls": 0}
        for board_id in boards:
            card = today.locator(f"article[data-board='{board_id}']")
            link = card.locator("h3 a")
            assert link.get_attribute("href") == f"#board-{board_id}"
            assert page.locator(f"section#board-{board_id}").count() == 1
            expected = expected_changes(history, board_id)
            if expected["one_day"]:
                assert card.locator("[data-change='one-day']").count() == 1
                assert card.locator("li").count() == 0
                continue
            for kind in ("entered", "left"):
                titles = card.locator(f"li[data-change='{kind}'] .film bdi").all_inner_texts()
                assert titles == expected[kind], (board_id, kind)
                seen[kind] += len(titles)
            for kind in ("climbs", "falls"):
                moves = card.locator(f"li[data-change='{kind}'] .film").all_inner_texts()
                assert [" ".join(m.split()) for m in moves] == expected[kind], (board_id, kind)
                seen[kind] += len(moves)
            leader = card.locator("li[data-change='leader'] bdi")
            if expected["leader"] is None:
                assert leader.count() == 0
            else:
                assert leader.first.inner_text() == expected["leader"]
        assert all(seen.values()), seen  # the boards did move: every kind was shown
        # A board no film entered or left in all its days draws no entries chart: it says so.
        quiet = 0
        for board_id in boards:
            board = history[history["board_id"] == board_id]
            films = board.groupby(board["day"].astype(str))["movie_id"].apply(frozenset)
            if len(films) < 2:
                continue
            section = page.locator(f"section#board-{board_id}")
            charts = section.locator("svg[data-chart='entries']").count()
            sentence = section.locator("[data-sentence='entries']")
            if films.nunique() == 1:
                quiet += 1
                assert charts == 0
                assert f"in {len(films)} days" in sentence.inner_text()
            else:
                assert charts == 1 and sentence.count() == 0
        assert quiet  # the box office and wish boards only swap places
        # Numbers at a glance: the box office board's first three with their totals.
        last = history[history["day"].astype(str) == history["day"].astype(str).max()]
        box = last[last["board_id"] == 1].sort_values("rank")
        leaders = today.locator("article[data-board='1'] [data-leaders='box_office_total'] .film")
        assert [t.split(". ", 1)[1].rsplit(" ", 1)[0] for t in leaders.all_inner_texts()] == (
            box["title"].head(3).tolist()
        )
        values = leaders.locator(".value").all_inner_texts()
        assert len(values) == 3 and all(re.fullmatch(r"[\d,.]+(亿|万)", v) for v in values)
        # The North America board in 万美元, the wish board in 万人.
        na = today.locator("article[data-board='2'] .value").all_inner_texts()
        assert na and all(re.fullmatch(r"[\d,.]+(万|亿)美元", v) for v in na)
        wishes = today.locator("article[data-board='6'] .value").all_inner_texts()
        assert wishes and all(re.fullmatch(r"[\d,.]+万人", v) for v in wishes)
        # Nothing wider than the screen; at a phone's width the latest board's rank,
        # change, title and score are all on screen without scrolling sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        rights = page.evaluate(
            """() => Array.from(document.querySelectorAll('table.latest tbody tr'))
                 .map(row => row.children[3].getBoundingClientRect().right)"""
        )
        assert len(rights) == len(history[history["day"] == history.groupby("board_id")[
            "day"].transform("max")])  # fmt: skip
        assert max(rights) <= width
        # Chart text stays legible on the phone as on the desktop.
        heights = page.evaluate(
            """() => Array.from(document.querySelectorAll('svg.chart text'))
                 .map(t => t.getBoundingClientRect().height).filter(h => h > 0)"""
        )
        assert heights and min(heights) >= 9.5  # px: 10 less rounding
    assert visit.requests == [out.resolve().as_uri()]
    assert visit.console_errors == [] and visit.page_errors == []


def test_box_office_and_wish_axes_read_in_wan_and_yi(glance_report) -> None:
    need_browser()
    out, _ = glance_report
    with open_offline(out) as visit:
        page = visit.page
        for board_id, unit in ((1, ""), (6, "人")):
            ticks = page.locator(
                f"section#board-{board_id} svg[data-chart='numbers'] g[id^='ytick'] text"
            ).all_text_contents()
            ticks = [tick.strip() for tick in ticks if tick.strip()]
            assert len(ticks) >= 3, (board_id, ticks)
            pattern = rf"0|[\d.]+(万|亿){unit}"
            assert all(re.fullmatch(pattern, tick) for tick in ticks), (board_id, ticks)
        cells = page.locator("section#board-1 table.latest td.num").all_inner_texts()
        assert any(cell.endswith("亿") for cell in cells)
        assert not any(re.fullmatch(r"[\d,]{7,}(\.\d+)?", cell) for cell in cells)


def test_regions_count_the_films_that_state_none(tmp_path) -> None:
    need_browser()
    releases = ["1994-09-10(美国)", "1993-01-01", "2001-07-20(日本)", "1999-03-31(美国)",
                "2002-12-12", "2010-07-16(美国)", "2005-05-05(中国香港)"]  # fmt: skip
    films = [Film(900 + at, f"片{at}", None, release, "9.0") for at, release in enumerate(releases)]
    history = make_history(tmp_path, {4: [("2026-11-23", films)]})
    out = tmp_path / "report.html"
    make_report(history, out)
    with open_offline(out) as visit:
        chart = visit.page.locator("svg[data-chart='regions']")
        assert chart.locator("g[id^='regions-']").count() == 4
        names = [t.strip() for t in chart.locator("g[id^='ytick'] text").all_text_contents()]
        # Most first, ties by name, not stated last; every bar named.
        regions = ["美国", "中国香港", "日本"]
        assert names == [*(f"\u2068{name}\u2069" for name in regions), "未注明 not stated"]
        words = [t.strip() for t in chart.locator("text").all_text_contents()]
        assert "…" not in words
        assert words[-4:] == ["3", "1", "1", "2"]  # every film counted: 7


def test_bidi_controls_in_a_title_reorder_only_the_title(tmp_path) -> None:
    need_browser()
    films = BOARDS[4][:10]
    climber = Film(990, REVERSED, None, "2026-11-20", "9.9")
    leaver = Film(991, "\u202e城之空天", None, "1986-08-02(日本)", "9.0")
    first = [films[0], climber, *films[1:8], leaver]
    second = [climber, films[0], *films[1:8], films[9]]  # a new number 1; one left
    history = make_history(tmp_path, {4: [("2026-11-22", first), ("2026-11-23", second)]})
    out = tmp_path / "report.html"
    make_report(history, out)
    with open_offline(out, width=390, height=844) as visit:
        page = visit.page
        card = page.locator("article[data-board='4']")
        assert card.locator("li[data-change='leader'] bdi").first.inner_text() == REVERSED
        assert card.locator("li[data-change='left'] bdi").all_inner_texts() == [leaver.title]
        # Each title is isolated: the text after it (its rank, its move) is drawn after
        # it, left to right, not pulled into the title's right-to-left run.
        placed = page.evaluate(
            """() => Array.from(document.querySelectorAll('bdi'))
              .filter(b => b.textContent.includes('\\u202e'))
              .map(b => {
                let node = b.parentElement.tagName === 'A' ? b.parentElement : b;
                let next = node.nextSibling;
                while (next && !next.textContent.trim()) next = next.nextSibling;
                if (!next) return null;
                const range = document.createRange();
                range.selectNodeContents(next);
                const after = range.getClientRects()[0], title = b.getBoundingClientRect();
                return {after: after.left, title: title.right, top: after.top - title.top,
                        isolate: getComputedStyle(b).unicodeBidi};
              }).filter(Boolean)"""
        )
        # The new number 1, its climb, the film that left (today) and the exits line.
        assert len(placed) >= 4
        for box in placed:
            assert box["isolate"] == "isolate"
            if abs(box["top"]) < 2:  # on the same line
                assert box["after"] >= box["title"] - 1, box
        legend = page.locator("svg[data-chart='bump-top'] text").all_text_contents()
        assert f"\u2068{REVERSED}\u2069" in legend
    assert visit.console_errors == [] and visit.page_errors == []
