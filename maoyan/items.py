"""The feed's record: one film on one board, as the page showed it.

Typing and normalisation belong to the post-process stage; the feed keeps what the
page says so a later, better normaliser can be re-run over old crawls.

:class:`BoardEntry` is the one declaration of the feed: its field order is the feed's
column order (``FEED_FIELDS``, Scrapy's FEED_EXPORT_FIELDS), its annotations are the
types, and ``required`` fields are those without which a line is useless
(``REQUIRED_FIELDS``, checked by :class:`maoyan.pipelines.ValidateEntryPipeline`).
Every field may be ``None`` while a record is built: the validation pipeline, not the
parser, decides whether an entry is usable, and names the field at fault.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict


def required() -> Any:
    """A field the feed line cannot do without."""
    return field(default=None, metadata={"required": True})


@dataclass
class BoardEntry:
    """One line of the feed (itemadapter reads dataclasses as Scrapy items)."""

    #: The board, the same for both sources: 4 TOP100, 7 热映口碑榜, 6 最受期待榜,
    #: 1 国内票房榜, 2 北美票房榜 (the desktop's and the app API's numbers); 56 周票房榜,
    #: 55 购票评分榜 (mobile only). See maoyan_common.boards.
    board_id: int | None = required()
    #: The number in i.board-index / the API's rank.
    rank: int | None = required()
    #: From /films/<id> / the API's id.
    movie_id: int | None = required()
    title: str | None = required()
    #: "张国荣,张丰毅,巩俐", label removed.
    stars: str | None = None
    #: "陈凯歌" (mobile, where the API gives it).
    director: str | None = None
    #: "剧情,犯罪" (mobile).
    genres: str | None = None
    #: "1994-09-10(加拿大)" (desktop), "1994-09-13美国上映" (mobile), label removed.
    release: str | None = None
    #: "9.5" as shown; None where the board shows none.
    score: str | None = None
    #: "猫眼购票评分" / "猫眼综合评分" (mobile).
    score_label: str | None = None
    #: The boards' other numbers, as the page shows them, unit included; None where the
    #: board shows none, and where its digits are web-font glyphs. Board 1 "2301.42万";
    #: board 2's weekend gross.
    box_office_realtime: str | None = None
    #: "14.52亿", "2468.90万", "3532万美元".
    box_office_total: str | None = None
    #: Board 6's 本月新增想看 "67913人"; the mobile source gives JSON numbers (people).
    wish_month: str | int | None = None
    #: Board 6's 总想看 "127877人"; mobile 127877.
    wish_total: str | int | None = None
    #: The one-line blurb (mobile: "印度代神药，良心及时现").
    blurb: str | None = None
    #: Absolute, from the lazy-load data-src.
    poster_url: str | None = None
    #: Absolute film page URL.
    detail_url: str | None = required()
    #: The board's update date.
    board_date: str | None = None
    #: "desktop" or "mobile", the source the line was read from.
    source: str | None = required()
    #: The page the entry was read from.
    page_url: str | None = required()
    #: ISO-8601 UTC time of the fetch.
    crawled_at: str | None = required()


def _kind(hint: Any) -> type:
    """``int | None`` -> ``int``: the type a required field must hold."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        (kind,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
        return kind
    return hint


_HINTS = typing.get_type_hints(BoardEntry)
#: Feed columns, in the order the feed writes them (FEED_EXPORT_FIELDS).
FEED_FIELDS = [entry_field.name for entry_field in fields(BoardEntry)]
#: Fields without which a feed line is useless, with the type each must hold.
REQUIRED_FIELDS = {
    entry_field.name: _kind(_HINTS[entry_field.name])
    for entry_field in fields(BoardEntry)
    if entry_field.metadata.get("required")
}

#: What an extraction module reads of one entry: any of the record's fields, by name
#: (the spider adds ``source`` and ``crawled_at`` and makes the :class:`BoardEntry`).
EntryFields = TypedDict("EntryFields", {name: _HINTS[name] for name in FEED_FIELDS}, total=False)
