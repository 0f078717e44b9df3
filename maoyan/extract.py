"""Turn a Maoyan board page into feed entries.

Everything here is a pure function of a page's HTML and URL, so the parser can be
tested on saved pages without a crawl, and the spider stays about *which* pages to
fetch and *how politely*.

The markup has drifted since 2019 (indentation, attributes split over lines, CDN
hosts, optional release times and scores) and will drift again, so entries are found
by meaning -- the board list, the element holding a ``board-index`` -- never by
position or line layout. A field that cannot be read is left ``None``; deciding
whether an entry is usable belongs to the validation pipeline, which can then say
which page and which field were at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

STAR_LABEL = re.compile(r"^\s*主\s*演\s*[:：]\s*")
RELEASE_LABEL = re.compile(r"^\s*上映\s*(?:时间|日期)\s*[:：]\s*")
FILM_LINK = re.compile(r"/films/(\d+)")
MOVIE_ID_IN_DATA_VAL = re.compile(r"movieId\s*:\s*(\d+)")
BOARD_IN_PATH = re.compile(r"/board/(\d+)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
WHITESPACE = re.compile(r"\s+")

#: Where the entries live: any element inside the board list that holds a rank badge.
ENTRY_XPATH = (
    "//*[has-class('board-wrapper')]//*[./*[has-class('board-index')]]"
    " | //*[has-class('board-wrapper')]/dd[not(.//*[has-class('board-index')])]"
)


@dataclass(frozen=True)
class BoardPage:
    """What one board page says: its entries, its date and where its pager leads."""

    url: str
    board_id: int | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    board_date: str | None = None
    next_url: str | None = None
    has_board: bool = False


def collapse(text: str | None) -> str | None:
    """Collapse runs of whitespace and trim; ``None`` for nothing left."""
    if text is None:
        return None
    text = WHITESPACE.sub(" ", text).strip()
    return text or None


def board_id_from_url(url: str) -> int | None:
    """The board number in ``/board/<id>``, or ``None`` for another URL."""
    match = BOARD_IN_PATH.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def _text(sel: Selector) -> str | None:
    return collapse(" ".join(sel.xpath(".//text()").getall()))


def _rank(entry: Selector) -> int | None:
    raw = collapse(entry.xpath("./*[has-class('board-index')]//text()").get())
    return int(raw) if raw and raw.isdigit() else None


def _film_link(entry: Selector) -> str | None:
    for href in entry.xpath(".//a/@href").getall():
        if FILM_LINK.search(href):
            return href.strip()
    return None


def _movie_id(entry: Selector, link: str | None) -> int | None:
    if link:
        return int(FILM_LINK.search(link).group(1))
    data_val = entry.xpath(".//@data-val").re_first(MOVIE_ID_IN_DATA_VAL)
    return int(data_val) if data_val else None


def _title(entry: Selector) -> str | None:
    name = entry.xpath(".//*[has-class('name')]")
    candidates = [
        name.xpath(".//a/@title").get(),
        _text(name) if name else None,
        entry.xpath(".//a[has-class('image-link')]/@title").get(),
        entry.xpath(".//img[has-class('board-img')]/@alt").get(),
    ]
    for candidate in candidates:
        if title := collapse(candidate):
            return title
    return None


def _labelled(entry: Selector, css_class: str, label: re.Pattern[str]) -> str | None:
    node = entry.xpath(f".//*[has-class('{css_class}')]")
    if not node:
        return None
    return collapse(label.sub("", _text(node[0]) or ""))


def _score(entry: Selector) -> str | None:
    node = entry.xpath(".//*[has-class('score')]")
    if not node:
        return None
    raw = "".join(node[0].xpath(".//text()").getall())
    raw = WHITESPACE.sub("", raw)
    return raw if NUMBER.match(raw) else None


def _poster(entry: Selector, page_url: str) -> str | None:
    """The real poster: lazy-loaded from ``data-src``; ``src`` is a loading placeholder."""
    src = (
        entry.xpath(".//img[has-class('board-img')]/@data-src").get()
        or entry.xpath(".//img[not(has-class('poster-default'))]/@data-src").get()
        or entry.xpath(".//img[has-class('board-img')]/@src").get()
    )
    src = collapse(src)
    return urljoin(page_url, src) if src else None


def parse_entry(entry: Selector, page_url: str) -> dict[str, Any]:
    """Read one board entry; fields the markup does not give are ``None``."""
    link = _film_link(entry)
    movie_id = _movie_id(entry, link)
    if link is None and movie_id is not None:
        link = f"/films/{movie_id}"  # the film page's canonical path
    return {
        "rank": _rank(entry),
        "movie_id": movie_id,
        "title": _title(entry),
        "stars": _labelled(entry, "star", STAR_LABEL),
        "release": _labelled(entry, "releasetime", RELEASE_LABEL),
        "score": _score(entry),
        "poster_url": _poster(entry, page_url),
        "detail_url": urljoin(page_url, link) if link else None,
    }


def _next_url(page: Selector, page_url: str) -> str | None:
    for link in page.xpath("//*[has-class('list-pager')]//a"):
        if collapse(" ".join(link.xpath(".//text()").getall())) == "下一页":
            href = collapse(link.xpath("@href").get())
            if href and not href.lower().startswith("javascript"):
                return urljoin(page_url, href)
    return None


def parse_board_page(html: str, url: str) -> BoardPage:
    """Read a board page (a whole page or a fragment holding the board list).

    Entries carry the page's ``board_id``, ``board_date`` and ``page_url`` so each
    feed line stands on its own.
    """
    page = Selector(text=html)
    board_id = board_id_from_url(url)
    date_text = " ".join(page.xpath("//*[has-class('update-time')]//text()").getall())
    date_match = DATE.search(date_text)
    board_date = date_match.group(0) if date_match else None
    has_board = bool(page.xpath("//*[has-class('board-wrapper')]"))
    entries = []
    for entry in page.xpath(ENTRY_XPATH):
        fields = parse_entry(entry, url)
        fields.update(board_id=board_id, board_date=board_date, page_url=url)
        entries.append(fields)
    return BoardPage(
        url=url,
        board_id=board_id,
        entries=entries,
        board_date=board_date,
        next_url=_next_url(page, url),
        has_board=has_board,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m maoyan.extract PAGE.html [URL]``: print what the parser reads from a
    saved page, as JSON -- the quickest check when the site's markup has changed."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m maoyan.extract", description=main.__doc__)
    parser.add_argument("page", type=Path, help="a saved board page (HTML, UTF-8)")
    parser.add_argument("url", nargs="?", default="https://www.maoyan.com/board/4?offset=0")
    args = parser.parse_args(argv)
    page = parse_board_page(args.page.read_text(encoding="utf-8"), args.url)
    summary = {
        "url": page.url,
        "board_date": page.board_date,
        "next_url": page.next_url,
        "entries": [
            {k: v for k, v in e.items() if k not in ("board_id", "board_date", "page_url")}
            for e in page.entries
        ],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
