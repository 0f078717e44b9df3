"""One feed line: is it usable, and what does it become in the table.

Validation runs on every line, so it is cheap and decides early; normalisation runs
only on the lines that survive deduplication (see :mod:`postprocess.worker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from postprocess.history import board_day
from postprocess.normalise import (
    HIDDEN,
    UNPARSED,
    canonical_poster_url,
    normalise_text,
    normalise_title,
    parse_box_office,
    parse_release,
    parse_score,
    parse_wish_count,
    split_stars,
)
from postprocess.schema import FILMS

#: Output columns, in order (:data:`postprocess.schema.FILMS`). ``first_seen``/
#: ``last_seen``/``times_seen`` come from the merge; ``on_latest_board``: the film is
#: on its board's latest day in the run's feeds.
COLUMNS = list(FILMS)
INTEGER_FIELDS = ("board_id", "rank", "movie_id")
#: The largest whole number the tables hold (their integer columns are 64-bit): a larger
#: one (JSON allows it) is a reject, not a failed run.
INT64_MAX = 2**63 - 1


def time_key(value: object) -> str | None:
    """An ISO-8601 time as a sortable UTC key ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    A time without a zone is taken as UTC (the feed writes UTC); ``None`` for
    anything that is not an ISO-8601 time.
    """
    if not isinstance(value, str):
        return None
    return canonical_key(value) or converted_key(value)


def converted_key(value: str) -> str | None:
    """The key of a time in any other ISO-8601 form, converted (see :func:`time_key`)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_key(value: str) -> str | None:
    """The key of a time in the form the feed writes (``2026-11-23T08:00:00Z``), or
    ``None`` for any other form.

    This form is already UTC and in key order, so it needs only checking, not
    converting: the check is a fifth of the cost of :func:`time_key`'s general path,
    and it runs on every line (merged feeds have a time of their own on nearly every
    line, so remembering converted times does not help)."""
    if (
        len(value) == 20
        and value[19] == "Z"
        and value[10] == "T"
        and value[4] == value[7] == "-"
        and value[13] == value[16] == ":"
    ):
        try:
            datetime.fromisoformat(value)  # the digits make a real date and time
        except ValueError:
            return None
        return value[:19] + ".000000Z"
    return None


def display_time(key: str) -> str:
    """A time key as people write it: ``2026-11-23T08:00:00Z`` when it has no fraction."""
    return key.replace(".000000Z", "Z")


def source_of(obj: dict[str, Any]) -> str | None:
    """The line's ``source`` (``desktop``, ``mobile``), or ``None`` where it states none
    (feeds written before there were two sources): the one rule for "no source"."""
    source = obj.get("source")
    return source if type(source) is str and source else None


#: How far ahead of the run's clock a crawl time may be (clocks and zones differ a little).
FUTURE_SLACK = timedelta(days=1)

#: How many converted times a checker remembers before it starts afresh: a feed with a
#: time of its own on every line must not grow the cache with its length.
TIME_CACHE_SIZE = 4096


class RecordChecker:
    """Decides whether a parsed feed line is usable, as cheaply as it can.

    It runs on every input line, so the common case is a handful of type checks, and
    the values a crawl repeats on many lines (``crawled_at``, ``score``) are parsed
    once and remembered.
    """

    def __init__(self, now: datetime | None = None) -> None:
        #: Times in other forms than the feed's, converted once each (bounded: see
        #: :data:`TIME_CACHE_SIZE`).
        self.time_keys: dict[str, str] = {}
        self.good_scores: dict[str, bool] = {}
        #: A line crawled later than this (a day ahead of the clock) would win every
        #: deduplication for ever: a clock gone wrong, or an edited feed.
        now = now or datetime.now(UTC)
        self.clock = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.latest = (now + FUTURE_SLACK).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def __call__(self, obj: Any) -> tuple[str | None, str | None]:
        """``(reason, time key)``: the reason is ``None`` for a usable line."""
        if type(obj) is not dict:
            return f"not a JSON object but a {type(obj).__name__}", None
        get = obj.get
        board_id, rank, movie_id = get("board_id"), get("rank"), get("movie_id")
        if not (type(board_id) is int and type(rank) is int and type(movie_id) is int):
            return _integer_problem(obj), None
        if not (
            0 <= board_id <= INT64_MAX and 1 <= rank <= INT64_MAX and 0 <= movie_id <= INT64_MAX
        ):
            return _integer_problem(obj), None
        title = get("title")
        if type(title) is not str or not title or title.isspace():
            return _title_problem(title), None
        crawled_at = get("crawled_at")
        if crawled_at is None:
            return "missing crawled_at", None
        key = None
        if type(crawled_at) is str:
            key = canonical_key(crawled_at) or self.time_keys.get(crawled_at)
            if key is None:
                key = converted_key(crawled_at)
                if key is not None:
                    if len(self.time_keys) >= TIME_CACHE_SIZE:
                        self.time_keys.clear()
                    self.time_keys[crawled_at] = key
        if key is None:
            return f"crawled_at is not an ISO-8601 time: {crawled_at!r:.40}", None
        if key > self.latest:
            return (
                f"crawled_at is in the future: {crawled_at!r:.40} is more than a day ahead "
                f"of this run's clock ({self.clock})"
            ), None
        score = get("score")
        if score is not None and not self._score_ok(score):
            return f"score is not a number from 0 to 10: {score!r:.40}", None
        return None, key

    def _score_ok(self, score: object) -> bool:
        if type(score) is str:
            ok = self.good_scores.get(score)
            if ok is None:
                number = parse_score(score)
                ok = self.good_scores[score] = number is not None and 0 <= number <= 10
            return ok
        number = parse_score(score)
        return number is not None and 0 <= number <= 10


def _integer_problem(obj: dict[str, Any]) -> str:
    for name in INTEGER_FIELDS:
        value = obj.get(name)
        if value is None:
            return f"missing {name}"
        if type(value) is float:
            return f"{name} is not a whole number written as one (like 7): {value!r:.40}"
        if type(value) is not int:
            return f"{name} is not an integer: {value!r:.40}"
        if value < 0 or (name == "rank" and value == 0) or value > INT64_MAX:
            return f"{name} is out of range: {value}"
    raise AssertionError("called for a line whose integers are fine")


def _title_problem(title: object) -> str:
    if title is None:
        return "missing title"
    if not isinstance(title, str):
        return f"title is not a string: {title!r:.40}"
    return "title is empty"


@dataclass
class Oddities:
    """What a row kept although its text could not become a value (counted in the summary)."""

    unparsed_release: int = 0
    unparsed_numbers: int = 0
    numbers_hidden: int = 0

    def add(self, other: Oddities) -> None:
        self.unparsed_release += other.unparsed_release
        self.unparsed_numbers += other.unparsed_numbers
        self.numbers_hidden += other.numbers_hidden


def normalise_record(obj: dict[str, Any]) -> tuple[tuple[Any, ...], Oddities]:
    """A checked feed line as the table row's columns up to ``source``, and what
    in it could not be read: a release text (``unparsed_release``), board numbers that
    are no number (``unparsed_numbers``) or are web-font glyphs (``numbers_hidden``)."""
    release = obj.get("release")
    release_date, region = parse_release(release)
    board_id = obj["board_id"]
    realtime, realtime_currency, realtime_problem = parse_box_office(
        obj.get("box_office_realtime"), board_id
    )
    total, total_currency, total_problem = parse_box_office(obj.get("box_office_total"), board_id)
    wish_month, month_problem = parse_wish_count(obj.get("wish_month"))
    wish_total, total_wish_problem = parse_wish_count(obj.get("wish_total"))
    problems = (realtime_problem, total_problem, month_problem, total_wish_problem)
    oddities = Oddities(
        # Text that is no date, or a value of the wrong type (a number, a list).
        unparsed_release=int(
            release is not None
            and release_date is None
            and not (isinstance(release, str) and not release.strip())
        ),
        unparsed_numbers=problems.count(UNPARSED),
        numbers_hidden=problems.count(HIDDEN),
    )
    detail_url = obj.get("detail_url")
    board_date = obj.get("board_date")
    row = (
        obj["board_id"],
        obj["rank"],
        obj["movie_id"],
        normalise_title(obj["title"]),
        split_stars(obj.get("stars")),
        normalise_text(obj.get("director")),
        split_stars(obj.get("genres")),
        release_date,
        region,
        parse_score(obj.get("score")),
        normalise_text(obj.get("score_label")),
        realtime,
        total,
        total_currency or realtime_currency,
        wish_month,
        wish_total,
        normalise_text(obj.get("blurb")),
        canonical_poster_url(obj.get("poster_url")),
        detail_url if isinstance(detail_url, str) else None,
        board_day(board_date),
        source_of(obj),
    )
    return row, oddities
