"""``python -m maoyan.extract SAVED [URL]``: what the parsers read from a saved answer."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from maoyan.extract import desktop, mobile
from maoyan_common.boards import find_board


def mobile_summary(text: str, url: str | None) -> dict[str, Any]:
    """What :mod:`maoyan.extract.mobile` reads from a saved mobile page or board JSON."""
    is_json = text.lstrip().startswith("{")
    if url is None:
        url = (
            "https://i.maoyan.com/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/39.json"
            "?ci=1&year=0&term=0&limit=100&offset=0"
            if is_json
            else "https://m.maoyan.com/asgard/board?id=39&year=0&term=0"
        )
    number = re.search(r"fixedboard/(\d+)\.json", url)
    mobile_id = int(number.group(1)) if number else mobile.query_int(url, "id")
    board = find_board("mobile", mobile_id)
    feed_id = board.feed_id if board else mobile_id
    if is_json:
        answer = mobile.parse_board_json(text, url, feed_id, "https://m.maoyan.com")
    else:
        answer = mobile.parse_board_page(text, url, feed_id)
    return {
        "url": url,
        "readable": answer.readable,
        "title": answer.title,
        "board_date": answer.board_date,
        "paging": answer.paging.__dict__ if answer.paging else None,
        "entries": [
            {k: v for k, v in e.items() if k not in ("board_id", "board_date", "page_url")}
            for e in answer.entries
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m maoyan.extract PAGE [URL]``: print what the parser reads from a saved
    desktop board page, mobile board page or board JSON answer, as JSON -- the quickest
    check when the site's markup has changed."""
    parser = argparse.ArgumentParser(prog="python -m maoyan.extract", description=main.__doc__)
    parser.add_argument("page", type=Path, help="a saved answer (HTML or JSON, UTF-8)")
    parser.add_argument("url", nargs="?", default=None, help="the URL it was fetched from")
    args = parser.parse_args(argv)
    text = args.page.read_text(encoding="utf-8")
    if text.lstrip().startswith("{") or "AppData" in text or "/asgard/" in (args.url or ""):
        summary = mobile_summary(text, args.url)
    else:
        url = args.url or "https://www.maoyan.com/board/4?offset=0"
        page = desktop.parse_board_page(text, url)
        summary = {
            "url": page.url,
            "board_date": page.board_date,
            "next_url": page.next_url,
            "numbers_hidden": page.numbers_hidden,
            "entries": [
                {k: v for k, v in e.items() if k not in ("board_id", "board_date", "page_url")}
                for e in page.entries
            ],
        }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
