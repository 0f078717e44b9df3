"""The post-process's map and reduce steps give the same files however they run.

One process or two, one range per file or dozens: the outputs are the same bytes and
every line is accounted for, on a season of crawls and on random feeds. And what the
speed work relies on holds: a time in the feed's own form is its key without
conversion.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postprocess.records import TIME_CACHE_SIZE, RecordChecker, time_key
from postprocess.run import run
from standin.feeds import earlier_crawls, feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS

FILMS = BOARDS[4]
BOX_OFFICE = BOARDS[1]


def usable_lines(feeds: list[str]) -> list[dict]:
    """The feeds' lines that are film records, read independently of the stage."""
    lines = []
    for feed in feeds:
        data = Path(feed).read_bytes()
        data = gzip.decompress(data) if feed.endswith(".gz") else data
        for line in data.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "rank" in record:
                lines.append(record)
    return lines


def mixed_feeds(folder: Path) -> list[str]:
    """What a season of crawls looks like: a fortnight of daily desktop TOP100 crawls
    (one day crawled twice), the box-office board, mobile crawls whose board page is
    undated (one just after midnight in Beijing), lines without a source, bad lines and
    a blank one, a gzip file and a plain one."""
    days = list(earlier_crawls(FILMS, BOARDS[7], 14, datetime(2026, 11, 24).date()))
    desktop = [line for _, lines in days for line in lines]
    again = [line.replace(b"T00:00:00Z", b"T09:30:00Z") for line in days[3][1][:40]]
    box_office = [
        feed_line(feed_record(film, rank, "2026-11-23T02:00:00Z", board_id=1))
        for rank, film in enumerate(BOX_OFFICE, start=1)
    ]
    mobile = []
    for when, day in (("2026-11-22T01:00:00Z", "2026-11-22"), ("2026-11-22T16:30:00Z", None)):
        mobile += [
            feed_line(mobile_feed_record(film, rank, when, board_date=None if rank <= 20 else day))
            for rank, film in enumerate(FILMS[:50], start=1)
        ]
    unstated = [
        feed_line({**feed_record(film, rank, "2026-11-21T03:00:00Z"), "source": None})
        for rank, film in enumerate(FILMS[:30], start=1)
    ]
    bad = [b"not json\n", b"[1]\n", b'{"board_id": 4}\n', b"\n"]
    plain = folder / "a.jsonl"
    plain.write_bytes(b"".join(desktop[:700] + bad + box_office + unstated))
    packed = folder / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(b"".join(desktop[700:] + again + mobile)))
    return [str(plain), str(packed)]


def outputs(folder: Path, feeds: list[str], table: str, history: str, **options) -> dict:
    """Every file a run writes, as bytes, and its summary without the timings."""
    folder.mkdir()
    out, history_path = folder / f"films{table}", folder / f"history{history}"
    summary = run(
        feeds,
        out,
        rejects=folder / "rejects.jsonl",
        history_path=history_path,
        summary_path=folder / "summary.json",
        **options,
    )
    assert summary.lines == summary.rejected + summary.duplicates + summary.written
    assert summary.lines == summary.rejected + summary.history_duplicates + summary.history_written
    written = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    facts = json.loads(written.pop("summary.json"))
    for varying in ("seconds", "workers", "output", "rejects", "history"):
        facts.pop(varying)
    return {"files": written, "summary": facts}


@pytest.mark.parametrize(
    ("table", "history"), [(".jsonl", ".parquet"), (".parquet", ".csv"), (".csv", ".jsonl")]
)
def test_one_or_two_workers_and_many_ranges_write_the_same_bytes(tmp_path, table, history) -> None:
    feeds = mixed_feeds(tmp_path)
    usable = usable_lines(feeds)
    alone = outputs(tmp_path / "alone", feeds, table, history, workers=1)
    summary = alone["summary"]
    assert (summary["lines"], summary["rejected"], summary["blank_lines"]) == (1583, 3, 1)
    assert summary["written"] == len({(line["board_id"], line["movie_id"]) for line in usable})
    assert summary["sources"] == {"desktop": 1450, "mobile": 100, "unstated": 30}
    assert summary["history_days"] == 14 + 1  # TOP100's fortnight, one box-office day
    for workers, chunk_bytes in ((2, None), (2, 8192), (3, 4096)):
        many = outputs(
            tmp_path / f"w{workers}-{chunk_bytes}", feeds, table, history,
            workers=workers, chunk_bytes=chunk_bytes,
        )  # fmt: skip
        assert many == alone, (workers, chunk_bytes)


def test_history_rows_keep_whole_wish_counts(tmp_path) -> None:
    """Counts travel from the reduce step as floats (to carry the missing ones); the
    rows written must hold the feed's whole numbers, as one process writes them."""
    feeds = mixed_feeds(tmp_path)
    written = outputs(tmp_path / "out", feeds, ".csv", ".jsonl", workers=2)["files"]
    rows = [json.loads(line) for line in written["history.jsonl"].splitlines()]
    mobile = [row for row in rows if row["source"] == "mobile"]
    assert mobile and all(type(row["wish_total"]) is int for row in mobile)
    first = next(row for row in mobile if row["movie_id"] == FILMS[0].movie_id)
    assert first["wish_total"] == mobile_feed_record(FILMS[0], 1, first["crawled_at"])["wish_total"]


#: Lines a feed may hold besides film records.
BAD_LINES = [b"not json\n", b"[1]\n", b'{"board_id": 4}\n', b"\n", b"\xff\xfe\n", b"   \n"]
#: Crawl times over three Beijing days (one just after midnight there) and ties.
TIMES = ["2026-11-21T01:00:00Z", "2026-11-21T16:30:00Z", "2026-11-22T01:00:00Z",
         "2026-11-22T01:00:00Z", "2026-11-23T02:00:00+08:00", "2026-11-23T09:00:00.5Z"]  # fmt: skip


@st.composite
def feed_lines(draw: st.DrawFn) -> bytes:
    """One line of a random feed: a film of a few boards, from either source or none,
    dated, undated or with its numbers hidden; or a line that is no film record."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(BAD_LINES))
    film = draw(st.sampled_from(FILMS[:12]))
    rank, when = draw(st.integers(1, 12)), draw(st.sampled_from(TIMES))
    day = draw(st.sampled_from([None, "2026-11-21", "2026-11-22", "2026-11-23"]))
    source = draw(st.sampled_from(["desktop", "mobile", None]))
    if source == "mobile":
        record = mobile_feed_record(film, rank, when, board_date=day)
    else:
        record = {**feed_record(film, rank, when, board_id=draw(st.sampled_from([4, 6]))),
                  "board_date": day, "source": source}  # fmt: skip
    if draw(st.booleans()):
        record.update(score=None, wish_total=None, box_office_total=None)
    return feed_line(record)


@given(
    files=st.lists(st.lists(feed_lines(), max_size=60), min_size=1, max_size=3),
    packed=st.lists(st.booleans(), min_size=3, max_size=3),
    formats=st.sampled_from([(".jsonl", ".parquet"), (".csv", ".jsonl"), (".parquet", ".csv")]),
    workers=st.integers(2, 3),
    chunk_bytes=st.sampled_from([None, 700, 3000]),
)
@settings(max_examples=30, deadline=None)
def test_the_pool_writes_what_one_process_writes(files, packed, formats, workers, chunk_bytes):
    """Random feeds (bad lines, duplicates, ties, many days, both sources, ``.gz``):
    the pool over byte ranges writes the same bytes and summary as ``--workers 1``."""
    with tempfile.TemporaryDirectory() as folder:
        feeds = []
        for index, (lines, gz) in enumerate(zip(files, packed, strict=False)):
            data = b"".join(lines)
            path = Path(folder) / f"f{index}.jsonl{'.gz' if gz else ''}"
            path.write_bytes(gzip.compress(data) if gz else data)
            feeds.append(str(path))
        if all(line in BAD_LINES for lines in files for line in lines):
            return  # no usable line: a failed run, tested on its own
        table, history = formats
        alone = outputs(Path(folder) / "one", feeds, table, history, workers=1)
        pool = outputs(Path(folder) / "pool", feeds, table, history, workers=workers,
                       chunk_bytes=chunk_bytes)  # fmt: skip
        assert pool == alone


def reference_key(text: str) -> str:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31)))
def test_a_time_in_the_feeds_form_is_its_key_as_converted(moment: datetime) -> None:
    text = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert time_key(text) == reference_key(text)
    offset = moment.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=8)))
    assert time_key(offset.isoformat()) == reference_key(offset.isoformat())


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-02-30T00:00:00Z", None),  # looks like the feed's form, is no day
        ("2026-01-01T24:00:00Z", None),
        ("2026-01-01T02:00:60Z", None),
        ("2026-01-01t02:00:00Z", "2026-01-01T02:00:00.000000Z"),  # other forms: converted
        ("2026-01-01T02:00:00.5Z", "2026-01-01T02:00:00.500000Z"),
        ("2026-01-01T10:00:00+08:00", "2026-01-01T02:00:00.000000Z"),
    ],
)
def test_times_that_only_look_like_the_feeds_form(text, key) -> None:
    assert time_key(text) == key


def test_the_checkers_memory_of_times_is_bounded() -> None:
    """A feed with a time of its own on every line, in another form than the feed's,
    must not grow the checker with its length."""
    check = RecordChecker()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for second in range(TIME_CACHE_SIZE * 3):
        when = (start + timedelta(seconds=second)).isoformat()  # "+00:00", not "Z"
        record = {**feed_record(FILMS[0], 1, when)}
        assert check(record) == (None, reference_key(when))
        assert len(check.time_keys) <= TIME_CACHE_SIZE


def test_an_id_too_large_for_the_tables_is_a_reject_not_a_failed_run(tmp_path) -> None:
    """JSON allows any whole number; the tables' integer columns hold 64 bits."""
    feed = tmp_path / "f.jsonl"
    good = feed_line(feed_record(FILMS[0], 1, "2026-11-23T02:00:00Z"))
    huge = feed_line({**feed_record(FILMS[1], 2, "2026-11-23T02:00:00Z"), "movie_id": 2**64 - 1})
    feed.write_bytes(good + huge)
    summary = run([str(feed)], tmp_path / "o.jsonl", workers=1, rejects=tmp_path / "r.jsonl")
    assert (summary.written, summary.rejected) == (1, 1)
    [reject] = [json.loads(line) for line in (tmp_path / "r.jsonl").read_bytes().splitlines()]
    assert (reject["line"], reject["reason"]) == (2, f"movie_id is out of range: {2**64 - 1}")
