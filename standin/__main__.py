"""``python -m standin``: serve the stand-in site, or run the offline demo against it.

    python -m standin serve --port 8000 [--ban-after 3 --ban-kind verify] [--flaky] [--day N]
                            [--site-of-old | --no-ua-check --no-cookie-handshake --plain-digits
                             --classic-pager]
    python -m standin demo [--out demo-output]

The stand-in behaves like today's site (2026) unless told otherwise: it refuses
User-Agents that are not a browser's, sets its uuid cookie with a redirect to the
same URL, and draws the numbers of boards 6, 1 and 2 with a web font. It also serves
the mobile site's board page and board JSON (``/asgard/...``) on the same port.

The demo starts the stand-in on a free port of 127.0.0.1, runs the real
``scrapy crawl board -a board=all -a source=all`` against it with the project's
polite defaults (every board of both sites), then the post-process stage over the
feed with --history (today's crawl, and the 14 daily TOP100 crawls before it, made
from the stand-in's films), then the report, so a newcomer sees the whole daily
chain work without reaching maoyan.com.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from standin.feeds import earlier_crawls
from standin.films import BOARDS
from standin.server import BAN_KINDS, Behaviour, StandinSite

REPO = Path(__file__).resolve().parents[1]
#: Daily crawls before today's that the demo's history holds.
HISTORY_DAYS = 14


def serve(args: argparse.Namespace) -> int:
    old = args.site_of_old
    behaviour = Behaviour(
        browser_ua_only=not (old or args.no_ua_check),
        cookie_handshake=not (old or args.no_cookie_handshake),
        font_version=None if old or args.plain_digits else 1,
        ban_after=args.ban_after,
        ban_kind=args.ban_kind,
        flaky=args.flaky,
        robots_disallow=args.robots_disallow,
        redesigned=args.redesigned,
        top100_size=args.top100_size,
        bare_pager=not (old or args.classic_pager),
        day=args.day,
    )
    site = StandinSite(behaviour, port=args.port)
    print(f"Stand-in Maoyan at {site.url}/board/4 -- Ctrl-C to stop", flush=True)
    print(f"Behaving as: {behaviour}", flush=True)
    print(f"Crawl it: scrapy crawl board -O out.jsonl -s MAOYAN_BASE_URL={site.url}", flush=True)
    print(
        "Or its mobile site: scrapy crawl board -a source=mobile -O out.jsonl "
        f"-s MAOYAN_MOBILE_BASE_URL={site.url} -s MAOYAN_MOBILE_API_URL={site.url}",
        flush=True,
    )
    print(
        "Or every board of both: scrapy crawl board -a board=all -a source=all -O out.jsonl "
        f"-s MAOYAN_BASE_URL={site.url} -s MAOYAN_MOBILE_BASE_URL={site.url} "
        f"-s MAOYAN_MOBILE_API_URL={site.url}",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        site.serve_forever()
    return 0


def run_step(title: str, command: list[str]) -> int:
    print(f"\n== {title}\n$ {' '.join(command)}", flush=True)
    started = time.monotonic()
    code = subprocess.run(command, cwd=REPO).returncode
    print(f"-- exit status {code} after {time.monotonic() - started:.1f}s", flush=True)
    return code


def demo(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    feed, table = out / "board.jsonl", out / "board.csv"
    with StandinSite() as site:
        print(
            f"Stand-in Maoyan serving on {site.url} (127.0.0.1 only), behaving like today's "
            "site: it refuses non-browser User-Agents, sets its uuid cookie with a redirect "
            "to the same URL, and draws the numbers of boards 6, 1 and 2 with a web font"
        )
        crawl = [
            sys.executable, "-m", "scrapy", "crawl", "board", "-a", "board=all",
            "-a", "source=all", "-O", str(feed), "-s", f"MAOYAN_BASE_URL={site.url}",
            "-s", f"MAOYAN_MOBILE_BASE_URL={site.url}", "-s", f"MAOYAN_MOBILE_API_URL={site.url}",
        ]  # fmt: skip
        code = run_step(
            "Crawl every board of both sources politely (about a minute: one request at a "
            "time, 27 in all)",
            crawl,
        )
    if code != 0:
        return code
    feeds = [str(path) for path in write_earlier_days(feed, out / "days", HISTORY_DAYS)]
    history, report = out / "history.parquet", out / "report.html"
    post = [
        sys.executable, "-m", "postprocess", *feeds, str(feed), "-o", str(table),
        "--history", str(history),
    ]  # fmt: skip
    code = run_step(
        f"Post-process today's crawl with the {HISTORY_DAYS} daily TOP100 crawls before it "
        "(made from the stand-in's films): the table, and the boards' history",
        post,
    )
    if code != 0:
        return code
    show = [sys.executable, "-m", "postprocess.report", str(history), "-o", str(report)]
    code = run_step("Report: the history as one offline page", show)
    if code == 0:
        print(f"\nFeed:    {feed}\nTable:   {table}\nHistory: {history}\nReport:  {report}")
    return code


def write_earlier_days(feed: Path, folder: Path, days: int) -> list[Path]:
    """The daily crawls before today's, one feed a day as a cron job leaves them, for
    the demo's history: today's board, undone a few moves a day (see
    :func:`standin.feeds.earlier_days`)."""
    folder.mkdir(exist_ok=True)
    for old in folder.glob("top100-*.jsonl"):
        old.unlink()
    lines = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line["board_id"] == 4 and line["source"] == "desktop"]
    by_id = {film.movie_id: film for film in BOARDS[4]}
    today = [by_id[line["movie_id"]] for line in sorted(lines, key=lambda line: line["rank"])]
    reserve = [film for film in BOARDS[7] if film.movie_id not in by_id]
    last_day = date.fromisoformat(lines[0]["board_date"] or lines[0]["crawled_at"][:10])
    written = []
    for day, day_lines in earlier_crawls(today, reserve, days, last_day):
        path = folder / f"top100-{day}.jsonl"
        path.write_bytes(b"".join(day_lines))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the stand-in site until Ctrl-C")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--ban-after", type=int, default=None, help="ban after N board pages")
    serve_cmd.add_argument("--ban-kind", choices=BAN_KINDS, default="verify")
    serve_cmd.add_argument("--flaky", action="store_true", help="503s and cut connections")
    serve_cmd.add_argument("--robots-disallow", action="store_true")
    serve_cmd.add_argument(
        "--no-ua-check", action="store_true", help="serve any User-Agent, browser or not"
    )
    serve_cmd.add_argument(
        "--no-cookie-handshake", action="store_true", help="no first-visit redirect to set uuid"
    )
    serve_cmd.add_argument(
        "--plain-digits", action="store_true", help="numbers of boards 6/1/2 as plain text"
    )
    serve_cmd.add_argument(
        "--classic-pager", action="store_true", help="the desktop pager before 2026 (下一页)"
    )
    serve_cmd.add_argument(
        "--site-of-old", action="store_true", help="the site of 2019-2021: all four of the above"
    )
    serve_cmd.add_argument(
        "--day",
        type=int,
        default=0,
        help="the boards N days on, as they moved (dated N days on)",
    )
    serve_cmd.add_argument(
        "--redesigned", action="store_true", help="boards in a markup the crawler does not know"
    )
    serve_cmd.add_argument(
        "--top100-size", type=int, default=100, help="films on board 4 (10 a page)"
    )
    demo_cmd = commands.add_parser("demo", help="crawl the stand-in and post-process the feed")
    demo_cmd.add_argument("--out", default="demo-output", help="folder for the feed and table")
    args = parser.parse_args(argv)
    return serve(args) if args.command == "serve" else demo(args)


if __name__ == "__main__":
    raise SystemExit(main())
