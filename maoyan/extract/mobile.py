"""Turn Maoyan's mobile board answers into feed entries: the board page of
m.maoyan.com (``/asgard/board?id=N``) and the JSON behind its scrolling
(``/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/N.json``).

Pure functions of the answer's text and URL, like :mod:`maoyan.extract.desktop` for the
desktop pages. Both answers carry the same film objects (``id``, ``nm``, ``sc``,
``rank``, ``star``, ``cat``, ``pubDesc``, ``img``, ``wish``...), so one function reads
a film whichever answer it came in. The page's data is its ``var AppData = {...};``
script; its film cards are read only for what that script lacks (the wish counts
the cards show as text). Fields keep what Maoyan wrote (``"1994-09-13美国上映"``,
``"剧情,犯罪"``), numbers stay numbers; typing is the post-process's job.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from maoyan.extract.html import collapse, index_classes, parse_html, text_of
from maoyan_common.boards import currency
from maoyan_common.clock import BEIJING

if TYPE_CHECKING:
    from maoyan.items import EntryFields

APP_DATA = re.compile(r"\bvar\s+AppData\s*=\s*")
MOVIE_LINK = re.compile(r"/asgard/movie/(\d+)")
#: "总想看：287810人", "本月新增想看 73916": the label, then the number.
WISH_TEXT = {
    "wish_total": re.compile(r"总想看\s*[:：]?\s*(\d[\d,]*)"),
    "wish_month": re.compile(r"本月新增想看\s*[:：]?\s*(\d[\d,]*)"),
}
DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Paging:
    """What an answer says about the rest of the board."""

    offset: int
    limit: int
    total: int | None
    has_more: bool | None


@dataclass(frozen=True)
class MobileAnswer:
    """What one mobile answer says: its entries, the board's title and date, and the
    paging when it gives one. ``readable`` is false for an answer without the board
    data this module reads (no ``AppData`` on a page, no ``data.movies`` in JSON)."""

    url: str
    readable: bool
    entries: list[EntryFields] = field(default_factory=list)
    title: str | None = None
    board_date: str | None = None
    paging: Paging | None = None


def app_data(html: str) -> dict[str, Any] | None:
    """The object of the page's ``var AppData = {...};`` script, or ``None``."""
    match = APP_DATA.search(html)
    if not match:
        return None
    try:
        value, _ = DECODER.raw_decode(html, match.end())
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def paging_of(outer: dict[str, Any], board: dict[str, Any]) -> dict[str, Any] | None:
    """A board's ``paging``, wherever the answer keeps it: beside the board's ``data``
    (the page of 2026: ``{data: {...}, paging, success}``) or inside it (the app API's
    JSON: ``{data: {movies, paging}}``)."""
    for holder in (outer, board):
        paging = holder.get("paging")
        if isinstance(paging, dict):
            return paging
    return None


def board_of_page(data: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(board, paging)`` of AppData: ``AppData.data`` is ``{data: {title, content,
    dataSourceDesc, movies}, paging, success}`` (``paging`` inside ``data`` in older
    answers); ``None`` when its shape is not that."""
    outer = data.get("data") if data else None
    board = outer.get("data") if isinstance(outer, dict) else None
    if not isinstance(board, dict) or not isinstance(board.get("movies"), list):
        return None
    return board, paging_of(outer, board) or {}


def board_of_json(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON answer's ``data`` (``{created, title, content, movies}``), or ``None``."""
    board = data.get("data") if data else None
    if not isinstance(board, dict) or not isinstance(board.get("movies"), list):
        return None
    return board


def has_board_data(html: str) -> bool:
    """Whether a mobile board page holds the board data this module reads."""
    return board_of_page(app_data(html)) is not None


def has_movies(text: str) -> bool:
    """Whether a JSON answer holds ``data.movies``."""
    return board_of_json(json_object(text)) is not None


def refusal(text: str) -> str | None:
    """The answer's own words when it says the request was refused: Maoyan's APIs
    answer ``{"success": false, "error": {...}}`` (in JSON or in a page's AppData)."""
    data = json_object(text) if text.lstrip().startswith("{") else app_data(text)
    if data is None:
        return None
    for holder in (data, data.get("data")):
        if isinstance(holder, dict) and holder.get("success") is False:
            error = holder.get("error") or holder.get("msg") or holder.get("message") or ""
            if isinstance(error, dict):
                error = error.get("message") or error.get("msg") or error.get("code") or ""
            return f"success: false{f', {error}' if error else ''}"
    return None


def board_date(created: object) -> str | None:
    """``created`` as a date: epoch milliseconds (Beijing's day) or a date text."""
    if isinstance(created, int | float) and not isinstance(created, bool) and created > 0:
        try:
            moment = datetime.fromtimestamp(created / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.astimezone(BEIJING).date().isoformat()
    if isinstance(created, str) and re.match(r"^\d{4}-\d{2}-\d{2}", created.strip()):
        return created.strip()[:10]
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: object) -> str | None:
    return collapse(value) if isinstance(value, str) else None


def _score(movie: dict[str, Any]) -> str | None:
    """The score as the page shows it (``label.number`` when it is one, else ``sc``);
    ``None`` for 0, Maoyan's "no score yet"."""
    label = movie.get("label")
    if isinstance(label, dict) and label.get("text") == "分":
        shown = _text(label.get("number"))
        if shown and re.fullmatch(r"\d+(?:\.\d+)?", shown) and float(shown) > 0:
            return shown
    score = movie.get("sc")
    if isinstance(score, int | float) and not isinstance(score, bool) and score > 0:
        return f"{score:.1f}"
    return None


def _count(value: object) -> int | None:
    """A count as the API gives it (a number), or ``None``."""
    number = _int(value)
    return number if number is not None and number >= 0 else None


def _box_office(value: object, feed_board_id: int) -> str | None:
    """The app API gives box office as a number in 万 (万美元 for a board in dollars,
    北美票房榜); the feed keeps the desktop's form, unit included ("3532万美元"), text as
    it is."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}万{'美元' if currency(feed_board_id) == 'USD' else ''}"
    return None


def movie_entry(
    movie: dict[str, Any], rank: int | None, film_root: str, feed_board_id: int
) -> EntryFields:
    """One film of a mobile answer as the feed's fields (``rank``: the film's own, or
    its place in the answer where it gives none). Fields the film lacks are ``None``."""
    movie_id = _int(movie.get("id"))
    return {
        "board_id": feed_board_id,
        "rank": _int(movie.get("rank")) or rank,
        "movie_id": movie_id,
        "title": _text(movie.get("nm")),
        "stars": _text(movie.get("star")),
        "director": _text(movie.get("dir")),
        "genres": _text(movie.get("cat")),
        "release": _text(movie.get("pubDesc")) or _text(movie.get("rt")),
        "score": _score(movie),
        "score_label": _text(movie.get("scoreLabel")),
        "box_office_realtime": _box_office(movie.get("weekBoxOffice"), feed_board_id),
        "box_office_total": _box_office(movie.get("sumBoxOffice"), feed_board_id),
        "wish_month": _count(movie.get("monthWish")),
        "wish_total": _count(movie.get("wish")),
        "blurb": _text(movie.get("shortDec")),
        "poster_url": _text(movie.get("img")),
        "detail_url": f"{film_root}/asgard/movie/{movie_id}" if movie_id is not None else None,
    }


def _paging(paging: dict[str, Any], offset: int, count: int) -> Paging:
    has_more = paging.get("hasMore")
    return Paging(
        offset=_int(paging.get("offset")) or offset,
        limit=_int(paging.get("limit")) or count,
        total=_int(paging.get("total")),
        has_more=has_more if isinstance(has_more, bool) else None,
    )


def _entries(
    movies: list[Any], offset: int, url: str, film_root: str, feed_board_id: int, date: str | None
) -> list[dict[str, Any]]:
    entries = []
    for position, movie in enumerate(movies, start=1):
        if not isinstance(movie, dict):
            movie = {}  # kept as an entry without fields: the pipeline names it and drops it
        entry = movie_entry(movie, offset + position, film_root, feed_board_id)
        entry.update(board_date=date, page_url=url)
        entries.append(entry)
    return entries


def site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _card_wishes(html: str) -> dict[int, dict[str, int]]:
    """The wish counts the film cards show as text, by film id."""
    root = parse_html(html)
    if root is None:
        return {}
    wishes: dict[int, dict[str, int]] = {}
    for card in index_classes(root, frozenset({"board-card"})).get("board-card", []):
        link = next((a.get("href") for a in card.iter("a") if a.get("href")), "") or ""
        match = MOVIE_LINK.search(link)
        if not match:
            continue
        text = " ".join(text_of(card).split())
        found = {
            name: int(number.group(1).replace(",", ""))
            for name, pattern in WISH_TEXT.items()
            if (number := pattern.search(text))
        }
        if found:
            wishes[int(match.group(1))] = found
    return wishes


def parse_board_page(html: str, url: str, feed_board_id: int) -> MobileAnswer:
    """Read a mobile board page: its ``AppData`` films (often only the board's first
    ones: its paging says how many the board holds), with the wish counts of the film
    cards where the data has none."""
    found = board_of_page(app_data(html))
    if found is None:
        return MobileAnswer(url=url, readable=False)
    board, paging = found
    movies = board["movies"]
    date = board_date(board.get("created"))
    entries = _entries(movies, 0, url, site_root(url), feed_board_id, date)
    if any(entry["wish_total"] is None or entry["wish_month"] is None for entry in entries):
        cards = _card_wishes(html)
        for entry in entries:
            for name, count in cards.get(entry["movie_id"], {}).items():
                if entry[name] is None:
                    entry[name] = count
    return MobileAnswer(
        url=url,
        readable=True,
        entries=entries,
        title=_text(board.get("title")),
        board_date=date,
        paging=_paging(paging, 0, len(movies)),
    )


def query_int(url: str, name: str) -> int:
    try:
        return int(parse_qs(urlsplit(url).query).get(name, ["0"])[0])
    except ValueError:
        return 0


def parse_board_json(text: str, url: str, feed_board_id: int, film_root: str) -> MobileAnswer:
    """Read the board JSON of one ``offset``/``limit`` window (both from ``url``);
    ``film_root`` is the mobile site whose film pages the entries link to."""
    data = json_object(text)
    board = board_of_json(data)
    if data is None or board is None:
        return MobileAnswer(url=url, readable=False)
    movies = board["movies"]
    offset = query_int(url, "offset")
    date = board_date(board.get("created"))
    paging = paging_of(data, board)
    return MobileAnswer(
        url=url,
        readable=True,
        entries=_entries(movies, offset, url, film_root, feed_board_id, date),
        title=_text(board.get("title")),
        board_date=date,
        paging=_paging(paging, offset, len(movies)) if isinstance(paging, dict) else None,
    )
