"""Turn a desktop board page (www.maoyan.com/board/N) into feed entries.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from maoyan.extract.html import (
    WHITESPACE,
    absolute,
    collapse,
    has_class,
    index_classes,
    parse_html,
    text_of,
)

if TYPE_CHECKING:
    from maoyan.items import EntryFields

STAR_LABEL = re.compile(r"^\s*主\s*演\s*[:：]\s*")
RELEASE_LABEL = re.compile(r"^\s*上映\s*(?:时间|日期)\s*[:：]\s*")
FILM_LINK = re.compile(r"/films/(\d+)")
MOVIE_ID_IN_DATA_VAL = re.compile(r"movieId\s*:\s*(\d+)")
BOARD_IN_PATH = re.compile(r"/board/(\d+)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
#: A board number as text, unit included: "73916人", "2301.42万", "14.52亿", "3532万美元".
NUMBER_WITH_UNIT = re.compile(r"^\d[\d,]*(?:\.\d+)?[^\d.,]*$")
#: Up to a label's colon: "本月新增想看：", "实时票房:", "总票房: ".
NUMBER_LABEL = re.compile(r"^[^:：]*[:：]")
#: Unicode's private-use area, where web fonts such as Maoyan's stonefont put the
#: characters they draw as digits.
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


#: The classes that place things on a page.
LANDMARKS = frozenset({"update-time", "board-wrapper", "board-index", "list-pager"})
#: The board numbers other than the score: feed field -> the class of the ``p`` that
#: shows it (boards 6, 1 and 2; ``realtime`` is the weekend gross on board 2).
NUMBER_FIELDS = {
    "box_office_realtime": "realtime",
    "box_office_total": "total-boxoffice",
    "wish_month": "month-wish",
    "wish_total": "total-wish",
}
#: The classes an entry's fields are read from.
ENTRY_PARTS = frozenset(
    {"name", "star", "releasetime", "score", "board-img", "image-link", *NUMBER_FIELDS.values()}
)


@dataclass(frozen=True)
class BoardPage:
    """What one board page says: its entries, its date and where its pager leads.

    ``numbers_hidden`` lists ``(rank, field)`` for each number the page shows only
    as web-font glyphs: the field is ``None`` in the entry, and the crawl says so.
    """

    url: str
    board_id: int | None
    entries: list[EntryFields] = field(default_factory=list)
    board_date: str | None = None
    next_url: str | None = None
    #: The offsets the page's pager links to (``?offset=N``), the page's own included:
    #: the pager's promise of how far the board goes.
    pager_offsets: tuple[int, ...] = ()
    has_board: bool = False
    numbers_hidden: list[tuple[int | None, str]] = field(default_factory=list)


def board_id_from_url(url: str) -> int | None:
    """The board number in ``/board/<id>``, or ``None`` for another URL."""
    match = BOARD_IN_PATH.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def _movie_link(entry: etree._Element) -> tuple[int | None, str | None]:
    for link in entry.iter("a"):
        href = link.get("href") or ""
        if match := FILM_LINK.search(href):
            return int(match.group(1)), href.strip()
    for element in entry.iter(etree.Element):
        if data_val := MOVIE_ID_IN_DATA_VAL.search(element.get("data-val") or ""):
            movie_id = int(data_val.group(1))
            return movie_id, f"/films/{movie_id}"  # the film page's canonical path
    return None, None


def _first_text(candidates: Iterable[str | None]) -> str | None:
    """The first candidate with text in it (candidates are produced lazily)."""
    for candidate in candidates:
        if text := collapse(candidate):
            return text
    return None


def _title(classes: dict[str, list[etree._Element]]) -> str | None:
    names = classes.get("name", [])[:1]
    return _first_text(
        chain(
            (link.get("title") for name in names for link in name.iter("a")),
            (text_of(name) for name in names),
            (link.get("title") for link in classes.get("image-link", []) if link.tag == "a"),
            (img.get("alt") for img in classes.get("board-img", []) if img.tag == "img"),
        )
    )


def _poster(entry: etree._Element, classes: dict[str, list[etree._Element]]) -> str | None:
    """The real poster: lazy-loaded from ``data-src``; ``src`` is a loading placeholder."""
    board_imgs = [img for img in classes.get("board-img", []) if img.tag == "img"]
    return _first_text(
        chain(
            (img.get("data-src") for img in board_imgs),
            (
                img.get("data-src")
                for img in entry.iter("img")
                if not has_class(img, "poster-default")
            ),
            (img.get("src") for img in board_imgs),
        )
    )


def _labelled(
    classes: dict[str, list[etree._Element]], name: str, label: re.Pattern[str]
) -> str | None:
    found = classes.get(name)
    return collapse(label.sub("", text_of(found[0]))) if found else None


def _score(classes: dict[str, list[etree._Element]]) -> str | None:
    found = classes.get("score")
    raw = WHITESPACE.sub("", text_of(found[0])) if found else ""
    return raw if NUMBER.match(raw) else None


def board_number(paragraph: etree._Element | None) -> tuple[str | None, bool]:
    """A board number as the page shows it, unit included, and whether it is hidden.

    ``<p class="month-wish">本月新增想看：<span><span class="stonefont">73916</span></span>人</p>``
    gives ``("73916人", False)``. When the digits are web-font glyphs (private-use
    characters, or a ``stonefont`` span left empty) the page's text does not hold the
    number: ``(None, True)``. The font is the site's protection of these numbers and
    is never decoded here.
    """
    if paragraph is None:
        return None, False
    text = "".join(NUMBER_LABEL.sub("", text_of(paragraph), count=1).split())
    if PRIVATE_USE.search(text):
        return None, True
    if NUMBER_WITH_UNIT.match(text):
        return text, False
    drawn_by_font = any(has_class(span, "stonefont") for span in paragraph.iter("span"))
    return None, drawn_by_font


def _rank(entry: etree._Element) -> int | None:
    for child in entry:
        if isinstance(child.tag, str) and has_class(child, "board-index"):
            rank = collapse(text_of(child))
            return int(rank) if rank and rank.isdigit() else None
    return None


def parse_entry(entry: etree._Element, page_url: str) -> tuple[EntryFields, list[str]]:
    """Read one board entry; fields the markup does not give are ``None``.

    Also says which of its numbers the page hides behind a web font.
    """
    classes = index_classes(entry, ENTRY_PARTS)
    movie_id, link = _movie_link(entry)
    fields: EntryFields = {
        "rank": _rank(entry),
        "movie_id": movie_id,
        "title": _title(classes),
        "stars": _labelled(classes, "star", STAR_LABEL),
        "release": _labelled(classes, "releasetime", RELEASE_LABEL),
        "score": _score(classes),
        "poster_url": absolute(page_url, _poster(entry, classes)),
        "detail_url": absolute(page_url, link),
    }
    hidden = []
    for name, css in NUMBER_FIELDS.items():
        found = [p for p in classes.get(css, []) if p.tag == "p"]
        fields[name], is_hidden = board_number(found[0] if found else None)
        if is_hidden:
            hidden.append(name)
    return fields, hidden


def board_entries(board: etree._Element, badges: list[etree._Element]) -> list[etree._Element]:
    """The entries of a board list: each element holding a rank badge, plus any
    ``dd`` without one, so a broken entry is counted, not lost."""
    entries = [
        badge.getparent()
        for badge in badges
        if badge.getparent() is not None and any(up is board for up in badge.iterancestors())
    ]
    known = set(entries)
    broken = [
        dd
        for dd in board.iter("dd")
        if dd not in known
        and not any(has_class(element, "board-index") for element in dd.iter(etree.Element))
    ]
    if not broken:
        return entries
    order = {element: index for index, element in enumerate(board.iter(etree.Element))}
    return sorted(entries + broken, key=order.__getitem__)


def _next_url(classes: dict[str, list[etree._Element]], page_url: str) -> str | None:
    for pager in classes.get("list-pager", []):
        for link in pager.iter("a"):
            href = collapse(link.get("href"))
            if (
                collapse(text_of(link)) == "下一页"
                and href
                and not href.lower().startswith("javascript")
            ):
                return absolute(page_url, href)
    return None


def _pager_offsets(classes: dict[str, list[etree._Element]], page_url: str) -> tuple[int, ...]:
    """Every offset the pager links to, with the page's own: the pager of 2019-2025
    (``li`` items, 上一页/下一页) and of 2026 (bare ``a`` links, no 下一页) alike."""
    offsets = {query_offset(page_url)} if classes.get("list-pager") else set()
    for pager in classes.get("list-pager", []):
        for link in pager.iter("a"):
            href = collapse(link.get("href"))
            if href and not href.lower().startswith("javascript"):
                offsets.add(query_offset(absolute(page_url, href)))
    return tuple(sorted(offsets))


def query_offset(url: str) -> int:
    """The ``offset`` of a board page's URL (0 when it has none)."""
    values = parse_qs(urlsplit(url).query).get("offset", ["0"])
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


def parse_board_page(html: str, url: str) -> BoardPage:
    """Read a board page (a whole page or a fragment holding the board list).

    Entries carry the page's ``board_id``, ``board_date`` and ``page_url`` so each
    feed line stands on its own.
    """
    board_id = board_id_from_url(url)
    page = parse_html(html) if html.strip() else None
    if page is None:  # nothing that parses as HTML
        return BoardPage(url=url, board_id=board_id)
    classes = index_classes(page, LANDMARKS)
    updates = classes.get("update-time")
    date_match = DATE.search(text_of(updates[0])) if updates else None
    board_date = date_match.group(0) if date_match else None
    entries, numbers_hidden = [], []
    badges = classes.get("board-index", [])
    for board in classes.get("board-wrapper", []):
        for entry in board_entries(board, badges):
            fields, hidden = parse_entry(entry, url)
            fields.update(board_id=board_id, board_date=board_date, page_url=url)
            entries.append(fields)
            numbers_hidden += [(fields["rank"], name) for name in hidden]
    return BoardPage(
        url=url,
        board_id=board_id,
        entries=entries,
        board_date=board_date,
        next_url=_next_url(classes, url),
        pager_offsets=_pager_offsets(classes, url),
        has_board="board-wrapper" in classes,
        numbers_hidden=numbers_hidden,
    )
