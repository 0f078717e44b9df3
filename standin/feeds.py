"""Feed lines as ``scrapy crawl board -O`` writes them, for tests and benchmarks.

Made from the stand-in's films, so post-process inputs look like real crawls:
Chinese text, long poster URLs, nulls where the board shows nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from standin.films import Film
from standin.pages import poster_url

BASE_URL = "https://www.maoyan.com"


def feed_record(
    film: Film,
    rank: int,
    crawled_at: str,
    board_id: int = 4,
    board_date: str = "2026-11-23",
    base_url: str = BASE_URL,
    numbers_hidden: bool = False,
) -> dict:
    """The feed line a crawl of ``base_url`` writes for ``film`` at ``rank``.

    ``numbers_hidden``: the page drew the board's numbers with its web font, so the
    crawl could not read them (null), as on today's site.
    """

    def number(text: str | None) -> str | None:
        return None if numbers_hidden else text

    return {
        "board_id": board_id,
        "rank": rank,
        "movie_id": film.movie_id,
        "title": film.title,
        "stars": film.stars,
        "release": film.release,
        "score": film.score,
        "box_office_realtime": number(film.box_office_realtime),
        "box_office_total": number(film.box_office_total),
        "wish_month": number(film.wish_month),
        "wish_total": number(film.wish_total),
        "poster_url": poster_url(film.movie_id),
        "detail_url": f"{base_url}/films/{film.movie_id}",
        "board_date": board_date,
        "page_url": f"{base_url}/board/{board_id}?offset={(rank - 1) // 10 * 10}",
        "crawled_at": crawled_at,
    }


def feed_line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def crawl_time(crawl: int, start: datetime = datetime(2026, 1, 1, 2, tzinfo=UTC)) -> str:
    """The ``crawled_at`` of daily crawl number ``crawl``."""
    return (start + timedelta(days=crawl)).strftime("%Y-%m-%dT%H:%M:%SZ")


def daily_crawls(films: list[Film], crawls: int, board_size: int = 100) -> Iterator[bytes]:
    """Feed lines of ``crawls`` daily crawls; each shows ``board_size`` films, the
    board's window sliding so that every film appears over the crawls."""
    for crawl in range(crawls):
        when = crawl_time(crawl)
        start = (crawl * board_size) % len(films)
        for rank in range(1, board_size + 1):
            film = films[(start + rank - 1) % len(films)]
            yield feed_line(feed_record(film, rank, when))
