"""One feed line: is it usable, and what does it become in the table.

Validation runs on every line, so it is cheap and decides early; normalisation runs
only on the lines that survive deduplication (see :mod:`postprocess.worker`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from postprocess.normalise import (
    canonical_poster_url,
    normalise_title,
    parse_release,
    parse_score,
    split_stars,
)

#: Output columns, in order. ``first_seen``/``last_seen``/``times_seen`` come from the merge.
COLUMNS = [
    "board_id",
    "rank",
    "movie_id",
    "title",
    "stars",
    "release_date",
    "release_region",
    "score",
    "poster_url",
    "detail_url",
    "board_date",
    "first_seen",
    "last_seen",
    "times_seen",
]
INTEGER_FIELDS = ("board_id", "rank", "movie_id")


def time_key(value: object) -> str | None:
    """An ISO-8601 time as a sortable UTC key ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    A time without a zone is taken as UTC (the feed writes UTC); ``None`` for
    anything that is not an ISO-8601 time.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def display_time(key: str) -> str:
    """A time key as people write it: ``2026-11-23T08:00:00Z`` when it has no fraction."""
    return key.replace(".000000Z", "Z")


def check_record(obj: Any, time_keys: dict[str, str | None]) -> tuple[str | None, str | None]:
    """``(reason, time key)``: the reason is ``None`` for a usable line.

    ``time_keys`` caches parsed ``crawled_at`` values: a crawl writes the same few
    timestamps on many lines.
    """
    if not isinstance(obj, dict):
        return f"not a JSON object but a {type(obj).__name__}", None
    for name in INTEGER_FIELDS:
        value = obj.get(name)
        if value is None:
            return f"missing {name}", None
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} is not an integer: {value!r:.40}", None
        if value < 0 or (name == "rank" and value == 0):
            return f"{name} is out of range: {value}", None
    title = obj.get("title")
    if title is None:
        return "missing title", None
    if not isinstance(title, str):
        return f"title is not a string: {title!r:.40}", None
    if not title.strip():
        return "title is empty", None
    crawled_at = obj.get("crawled_at")
    if crawled_at is None:
        return "missing crawled_at", None
    try:
        key = time_keys[crawled_at]
    except (KeyError, TypeError):
        key = time_key(crawled_at)
        if isinstance(crawled_at, str):
            time_keys[crawled_at] = key
    if key is None:
        return f"crawled_at is not an ISO-8601 time: {crawled_at!r:.40}", None
    score = obj.get("score")
    if score is not None:
        number = parse_score(score)
        if number is None or not 0 <= number <= 10:
            return f"score is not a number from 0 to 10: {score!r:.40}", None
    return None, key


def normalise_record(obj: dict[str, Any]) -> tuple[tuple[Any, ...], bool]:
    """A checked feed line as the table row's first 11 columns, and whether its
    release text could not be parsed (counted as ``unparsed_release``)."""
    release = obj.get("release")
    release_date, region = parse_release(release)
    unparsed = isinstance(release, str) and bool(release.strip()) and release_date is None
    detail_url = obj.get("detail_url")
    board_date = obj.get("board_date")
    row = (
        obj["board_id"],
        obj["rank"],
        obj["movie_id"],
        normalise_title(obj["title"]),
        split_stars(obj.get("stars")),
        release_date,
        region,
        parse_score(obj.get("score")),
        canonical_poster_url(obj.get("poster_url")),
        detail_url if isinstance(detail_url, str) else None,
        board_date if isinstance(board_date, str) else None,
    )
    return row, unparsed
