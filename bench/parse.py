"""Parse benchmark: microseconds per board page, project extraction vs the seed's way.

    python -m bench.parse [--rounds 9]

Every real page in ../shared/maoyan-pages (when present), the hand-written fixtures,
and a 2026-markup page from the stand-in. Both parsers run on the same pages,
interleaved round by round; the seed's output is checked against the project's
before any time is reported, and a page where the seed reads wrong data is flagged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import best_of, markdown_table, median, save
from bench.seed import seed_parse
from maoyan.extract.desktop import parse_board_page
from standin.films import BOARDS
from standin.pages import render_board_page

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "maoyan-pages"


def pages() -> list[tuple[str, str, str]]:
    """(name, html, url) of every page to measure."""
    found = []
    for path in sorted(SHARED.glob("*.html")):
        board = 7 if "board7" in path.name else 4
        found.append(
            (
                f"real {path.stem}",
                path.read_text(encoding="utf-8"),
                f"https://www.maoyan.com/board/{board}",
            )
        )
    for path in sorted((REPO / "tests" / "fixtures" / "pages").glob("*.html")):
        board = 7 if "board7" in path.name else 4
        found.append(
            (
                f"fixture {path.stem}",
                path.read_text(encoding="utf-8"),
                f"https://www.maoyan.com/board/{board}?offset=0",
            )
        )
    html = render_board_page(4, 0, BOARDS[4], "2026-11-23")
    found.append(("stand-in board4 offset0", html, "https://www.maoyan.com/board/4?offset=0"))
    return found


def seed_agrees(html: str, url: str) -> tuple[bool, int]:
    """Does every entry the seed prints match the project's reading? (and how many entries)"""
    ours = parse_board_page(html, url).entries
    seed = seed_parse(html)
    if len(seed) != len(ours):
        return False, len(ours)
    for theirs, mine in zip(seed, ours, strict=True):
        star = theirs["star"].removeprefix("主演：")
        release = theirs["releasetime"].removeprefix("上映时间：")
        if (int(theirs["index"]), theirs["title"], " ".join(star.split()), release) != (
            mine["rank"],
            mine["title"],
            mine["stars"],
            mine["release"],
        ):
            return False, len(ours)
    return True, len(ours)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parse")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=30, help="parses per round")
    args = parser.parse_args(argv)
    rows, figures = [], []
    for name, html, url in pages():
        agrees, entries = seed_agrees(html, url)
        seed_times, project_times = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same machine state
            seed_times += best_of(lambda h=html: [seed_parse(h) for _ in range(args.repeat)], 1)
            project_times += best_of(
                lambda h=html, u=url: [parse_board_page(h, u) for _ in range(args.repeat)], 1
            )
        seed_us = median(seed_times) / args.repeat * 1e6
        project_us = median(project_times) / args.repeat * 1e6
        figures.append(
            {
                "page": name,
                "entries": entries,
                "seed_us": round(seed_us, 1),
                "project_us": round(project_us, 1),
                "speedup": round(seed_us / project_us, 2),
                "seed_output_correct": agrees,
            }
        )
        rows.append(
            [
                name,
                entries,
                f"{seed_us:,.0f}",
                f"{project_us:,.0f}",
                f"{seed_us / project_us:.1f}x",
                "yes" if agrees else "**no**",
            ]
        )
    table = markdown_table(
        ["page", "entries", "seed µs/page", "project µs/page", "speed-up", "seed reads it right"],
        rows,
    )
    print(table)
    overall = median([f["speedup"] for f in figures])
    print(f"\nmedian speed-up: {overall:.1f}x (target: at least 10x)")
    path = save(
        "parse",
        {"rounds": args.rounds, "repeat": args.repeat, "pages": figures, "median_speedup": overall},
    )
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
