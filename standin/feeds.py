"""Feed lines as ``scrapy crawl board -O`` writes them, for tests and benchmarks.

Made from the stand-in's films, so post-process inputs look like real crawls:
Chinese text, long poster URLs, nulls where the board shows nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from maoyan.items import BoardEntry
from maoyan_common.boards import find_board
from standin import mobile
from standin.films import Film
from standin.pages import poster_url

BASE_URL = "https://www.maoyan.com"
MOBILE_URL = "https://m.maoyan.com"


def feed_record(
    film: Film,
    rank: int,
    crawled_at: str,
    board_id: int = 4,
    board_date: str = "2026-11-23",
    base_url: str = BASE_URL,
    numbers_hidden: bool = False,
) -> dict:
    """The feed line a crawl of ``base_url`` writes for ``film`` at ``rank`` (every field
    of :class:`~maoyan.items.BoardEntry`, in its order).

    ``numbers_hidden``: the page drew the board's numbers with its web font, so the
    crawl could not read them (null), as on today's site.
    """

    def number(text: str | None) -> str | None:
        return None if numbers_hidden else text

    entry = BoardEntry(
        board_id=board_id,
        rank=rank,
        movie_id=film.movie_id,
        title=film.title,
        stars=film.stars,
        release=film.release,
        score=film.score,
        box_office_realtime=number(film.box_office_realtime),
        box_office_total=number(film.box_office_total),
        wish_month=number(film.wish_month),
        wish_total=number(film.wish_total),
        poster_url=poster_url(film.movie_id),
        detail_url=f"{base_url}/films/{film.movie_id}",
        board_date=board_date,
        source="desktop",
        page_url=f"{base_url}/board/{board_id}?offset={(rank - 1) // 10 * 10}",
        crawled_at=crawled_at,
    )
    return asdict(entry)


def mobile_feed_record(
    film: Film,
    rank: int,
    crawled_at: str,
    mobile_board: int = 39,
    page_url: str = f"{MOBILE_URL}/asgard/board?id=39&year=0&term=0",
    board_date: str | None = None,
    mobile_url: str = MOBILE_URL,
) -> dict:
    """The feed line a mobile crawl writes for ``film`` at ``rank``, read from the
    answer at ``page_url`` (the board page gives no date; the JSON does)."""
    answer = mobile.movie(film, rank, mobile_board)
    feed_board = find_board("mobile", mobile_board).feed_id
    score = f"{answer['sc']:.1f}" if answer["sc"] else None
    unit = "万"
    entry = BoardEntry(
        board_id=feed_board,
        rank=rank,
        movie_id=film.movie_id,
        title=film.title,
        stars=film.stars,
        genres=answer["cat"],
        release=answer.get("pubDesc"),
        score=score,
        score_label=answer["scoreLabel"] or None,
        box_office_realtime=f"{answer['weekBoxOffice']:g}{unit}"
        if "weekBoxOffice" in answer
        else None,
        box_office_total=f"{answer['sumBoxOffice']:g}{unit}" if "sumBoxOffice" in answer else None,
        wish_month=answer.get("monthWish"),
        wish_total=answer["wish"],
        blurb=answer["shortDec"] or None,
        poster_url=mobile.mobile_poster(film.movie_id),
        detail_url=f"{mobile_url}/asgard/movie/{film.movie_id}",
        board_date=board_date,
        source="mobile",
        page_url=page_url,
        crawled_at=crawled_at,
    )
    return asdict(entry)


def feed_line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def crawl_time(
    crawl: int, start: datetime = datetime(2026, 1, 1, 2, tzinfo=UTC), seconds: int = 0
) -> str:
    """The ``crawled_at`` of daily crawl number ``crawl``, ``seconds`` after it began."""
    return (start + timedelta(days=crawl, seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def daily_crawls(
    films: list[Film],
    crawls: int,
    board_size: int = 100,
    dated: bool = False,
    line_times: bool = False,
) -> Iterator[bytes]:
    """Feed lines of ``crawls`` daily crawls; each shows ``board_size`` films, the
    board's window sliding so that every film appears over the crawls. ``dated``: each
    crawl's board carries its own day (else all carry one fixed date). ``line_times``:
    each line a second after the one before (as in feeds merged from many crawls or
    written by other tools), else one time per crawl."""
    for crawl in range(crawls):
        when = crawl_time(crawl)
        extra = {"board_date": when[:10]} if dated else {}
        start = (crawl * board_size) % len(films)
        for rank in range(1, board_size + 1):
            film = films[(start + rank - 1) % len(films)]
            if line_times:
                when = crawl_time(crawl, seconds=rank - 1)
            yield feed_line(feed_record(film, rank, when, **extra))


def earlier_days(
    board: list[Film], reserve: list[Film], days: int, last_day: date, seed: int = 2026
) -> Iterator[tuple[str, list[Film]]]:
    """The ``days`` boards before ``last_day`` (oldest first), made by undoing, day by
    day going back, a few moves of a living board: neighbours that swapped places and,
    now and then, a film that entered (before it, a ``reserve`` film held its place).
    Seeded, so the demo's report is the same on every machine."""
    chance = random.Random(seed)
    order, waiting = list(board), list(reserve)
    boards = []
    for back in range(1, days + 1):
        for _ in range(chance.randint(2, 6)):
            place = chance.randrange(len(order) - 1)
            order[place], order[place + 1] = order[place + 1], order[place]
        if waiting and chance.random() < 0.4:
            place = chance.randrange(len(order) // 2, len(order))
            order[place] = waiting.pop(0)
        if chance.random() < 0.3:  # a film that climbed far overnight
            start = chance.randrange(len(order) // 3, len(order))
            order.insert(start, order.pop(chance.randrange(0, start)))
        boards.append(((last_day - timedelta(days=back)).isoformat(), list(order)))
    yield from reversed(boards)


def earlier_crawls(
    board: list[Film], reserve: list[Film], days: int, last_day: date, board_id: int = 4
) -> Iterator[tuple[str, list[bytes]]]:
    """Feed lines of the daily crawls that came before ``last_day``, one crawl a day at
    08:00 Beijing time, dated by the board like a desktop crawl."""
    for day, films in earlier_days(board, reserve, days, last_day):
        when = f"{day}T00:00:00Z"
        yield (
            day,
            [
                feed_line(feed_record(film, rank, when, board_id=board_id, board_date=day))
                for rank, film in enumerate(films, start=1)
            ],
        )
