"""The post-process stage: accounting, dedupe rules, formats, atomic output, the CLI."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from postprocess import output
from postprocess.chunks import plan_chunks
from postprocess.run import run
from standin.feeds import BASE_URL, daily_crawls, feed_line, feed_record, mobile_feed_record
from standin.films import BOARDS, synthetic_films
from tests.helpers import FILMS, REPO, T1, T2, T3, crawl_lines, postprocess, read_jsonl, wait_for

BAD_LINES = [
    (b"not json at all", "not valid JSON"),
    (b"[1, 2, 3]", "not a JSON object but a list"),
    (b'{"board_id": 4}', "missing rank"),
    (
        feed_line({**feed_record(FILMS[0], 1, T1), "movie_id": "1203"}).rstrip(),
        "movie_id is not an integer",
    ),
    (
        feed_line({**feed_record(FILMS[0], 1, T1), "crawled_at": "yesterday"}).rstrip(),
        "crawled_at is not an ISO-8601 time",
    ),
    (
        feed_line({**feed_record(FILMS[0], 1, T1), "score": "11"}).rstrip(),
        "score is not a number from 0 to 10",
    ),
    ('{"title": "霸王别姬"}'.encode("gbk"), "not valid UTF-8"),
    (b"{" + b"x" * 300_000, "not valid JSON"),  # a very long broken line
]


@pytest.fixture
def messy_feeds(tmp_path: Path) -> dict:
    """Three crawls of TOP100 over four files, with every kind of bad line."""
    a = tmp_path / "a.jsonl"
    a.write_bytes(
        b"".join(crawl_lines(T1))
        + b"\n"  # a blank line
        + b"".join(crawl_lines(T2, rank_shift=1))
        + b"".join(line + b"\n" for line, _ in BAD_LINES)
    )
    b = tmp_path / "b.jsonl.gz"
    truncated = feed_line(feed_record(FILMS[5], 6, T3))[:40]  # cut mid-line, no newline
    b.write_bytes(gzip.compress(b"".join(crawl_lines(T3)) + truncated))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"oops\n[]\n{}\n")
    return {"files": [str(a), str(b), str(empty), str(bad)], "a": a, "b": b, "bad": bad}


def test_every_line_is_accounted_for(messy_feeds, tmp_path) -> None:
    out = tmp_path / "table.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    summary = run(messy_feeds["files"], out, workers=2, rejects=rejects, chunk_bytes=4096)
    assert summary.files == 4
    assert summary.lines == 300 + len(BAD_LINES) + 1 + 3
    assert summary.blank_lines == 1
    assert summary.written == 100
    assert summary.duplicates == 200
    assert summary.rejected == len(BAD_LINES) + 1 + 3
    assert summary.lines == summary.rejected + summary.duplicates + summary.written

    got = read_jsonl(rejects)
    a_name, b_name, bad_name = (str(messy_feeds[k]) for k in ("a", "b", "bad"))
    first_bad = 100 + 1 + 100 + 1  # two crawls and a blank line before the bad lines
    expected = [(a_name, first_bad + i, reason) for i, (_, reason) in enumerate(BAD_LINES)]
    expected.append((b_name, 101, "not valid JSON"))
    expected += [(bad_name, 1, "not valid JSON"), (bad_name, 2, "not a JSON object"),
                 (bad_name, 3, "missing board_id")]  # fmt: skip
    assert [(r["source"], r["line"]) for r in got] == [(s, n) for s, n, _ in expected]
    for reject, (_, _, reason) in zip(got, expected, strict=True):
        assert reject["reason"].startswith(reason), reject
    assert got[0]["raw"] == "not json at all"
    assert got[len(BAD_LINES) - 1]["raw"].endswith("…[cut]")  # the long line, shortened
    assert "\\x" in got[len(BAD_LINES) - 2]["raw"]  # undecodable bytes shown, not lost


def test_latest_crawl_wins_and_sightings_are_counted(messy_feeds, tmp_path) -> None:
    out = tmp_path / "table.jsonl"
    run(messy_feeds["files"], out, workers=2, rejects=tmp_path / "r.jsonl", chunk_bytes=4096)
    table = read_jsonl(out)
    assert [row["rank"] for row in table] == list(range(1, 101))  # the T3 ranks, sorted
    first = table[0]
    assert first == {
        "board_id": 4,
        "rank": 1,
        "movie_id": 1203,
        "title": "霸王别姬",
        "stars": ["张国荣", "张丰毅", "巩俐"],
        "director": None,
        "genres": [],
        "release_date": "1993-07-26",
        "release_region": None,
        "score": 9.5,
        "score_label": None,
        "box_office_realtime": None,
        "box_office_total": None,
        "box_office_currency": None,
        "wish_month": None,
        "wish_total": None,
        "blurb": None,
        "poster_url": "https://p0.pipi.cn/mmdb/3744112af469898c7603fbe21d80b5b5640a34b5.jpg",
        "detail_url": "https://www.maoyan.com/films/1203",
        "board_date": "2026-11-23",
        "source": "desktop",
        "first_seen": T1,
        "last_seen": T3,
        "times_seen": 3,
        "on_latest_board": True,
    }
    shawshank = next(row for row in table if row["movie_id"] == 1297)
    assert (shawshank["release_date"], shawshank["release_region"]) == ("1994-09-10", "加拿大")


def test_ties_go_to_the_later_line(tmp_path) -> None:
    feed = tmp_path / "tie.jsonl"
    film = FILMS[0]
    feed.write_bytes(
        feed_line(feed_record(film, 3, T2))
        + feed_line(feed_record(film, 1, T1))
        + feed_line(feed_record(film, 2, T2))  # same time as the first line, later
    )
    out = tmp_path / "out.jsonl"
    summary = run([str(feed)], out, workers=1, rejects=tmp_path / "r.jsonl")
    (row,) = read_jsonl(out)
    assert row["rank"] == 2 and row["first_seen"] == T1 and row["last_seen"] == T2
    assert summary.duplicates == 2


def test_unparsed_release_is_kept_and_counted(tmp_path) -> None:
    feed = tmp_path / "f.jsonl"
    odd = {**feed_record(FILMS[0], 1, T1), "release": "待定"}
    feed.write_bytes(feed_line(odd) + feed_line(feed_record(FILMS[1], 2, T1)))
    out = tmp_path / "out.jsonl"
    summary = run([str(feed)], out, workers=1, rejects=tmp_path / "r.jsonl")
    assert summary.unparsed_release == 1 and summary.written == 2
    assert read_jsonl(out)[0]["release_date"] is None


def test_one_and_two_workers_agree(tmp_path) -> None:
    feed = tmp_path / "big.jsonl"
    films = synthetic_films(300)
    lines = list(daily_crawls(films, crawls=20))
    lines.insert(777, b"broken\n")
    feed.write_bytes(b"".join(lines))
    assert len(plan_chunks(str(feed), feed, 0, 16_384)) > 10
    results = {}
    for workers in (1, 2):
        out, rejects = tmp_path / f"out{workers}.jsonl", tmp_path / f"rej{workers}.jsonl"
        summary = run([str(feed)], out, workers=workers, rejects=rejects, chunk_bytes=16_384)
        results[workers] = (out.read_bytes(), rejects.read_bytes(), summary.written)
    assert results[1] == results[2]
    assert results[1][2] == 300
    assert json.loads(results[1][1])["line"] == 778


def test_chunks_end_at_line_boundaries(tmp_path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(b"".join(crawl_lines(T1)) + b"last line without newline")
    data = feed.read_bytes()
    chunks = plan_chunks("f", feed, 0, 1000)
    assert chunks[0].start == 0 and chunks[-1].end == len(data)
    for before, after in itertools.pairwise(chunks):
        assert before.end == after.start and data[before.end - 1 : before.end] == b"\n"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_each_format_reads_back_typed(messy_feeds, tmp_path, suffix) -> None:
    out = tmp_path / f"table{suffix}"
    run(messy_feeds["files"], out, workers=2, rejects=tmp_path / "r.jsonl")
    if suffix == ".jsonl":
        table = pd.read_json(out, lines=True, dtype={"release_date": str})
        stars = table["stars"].iloc[0]
    elif suffix == ".csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, for Excel
        table = pd.read_csv(out, encoding="utf-8-sig", dtype={"release_date": str})
        stars = table["stars"].iloc[0].split("|")
    else:
        table = pd.read_parquet(out)
        stars = list(table["stars"].iloc[0])
        assert str(table["first_seen"].dtype) == "datetime64[us, UTC]"
    assert list(table.columns) == output_columns()
    assert len(table) == 100
    assert table["title"].iloc[0] == "霸王别姬"
    assert stars == ["张国荣", "张丰毅", "巩俐"]
    for column in ("board_id", "rank", "movie_id", "times_seen"):
        assert table[column].dtype == "int64", column
    assert table["score"].dtype == "float64"
    assert table["score"].isna().sum() == 3  # three films show no score


GLYPHS = "\ue624\uf7b7.\ue76e"  # digits drawn with a web font: the text holds no number
#: (board, film, realtime, total, month, wish total) as a crawl shows them, and the row.
NUMBER_CASES = [
    (1, BOARDS[1][0], "2301.42万", "14.52亿", None, None,
     (23_014_200.0, 1_452_000_000.0, "CNY", None, None)),
    (1, BOARDS[1][5], "95.12万", "2468.90万", None, None,
     (951_200.0, 24_689_000.0, "CNY", None, None)),
    (1, BOARDS[1][1], f"{GLYPHS}万", f"{GLYPHS}亿", None, None, (None, None, None, None, None)),
    (1, BOARDS[1][2], None, None, None, None, (None, None, None, None, None)),
    (2, BOARDS[2][1], "2283万美元", "11700万美元", None, None,
     (22_830_000.0, 117_000_000.0, "USD", None, None)),
    (6, BOARDS[6][0], None, None, "67913人", "12.7万人", (None, None, None, 67913, 127_000)),
    (6, BOARDS[6][1], None, None, "暂无", GLYPHS + "人", (None, None, None, None, None)),
]  # fmt: skip


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_board_numbers_become_numbers_in_one_unit(tmp_path, suffix) -> None:
    feed = tmp_path / "boards.jsonl"
    lines = []
    for rank, (board, film, realtime, total, month, wish, _) in enumerate(NUMBER_CASES, 1):
        record = feed_record(film, rank, T1, board_id=board)
        record.update(box_office_realtime=realtime, box_office_total=total)
        record.update(wish_month=month, wish_total=wish)
        lines.append(feed_line(record))
    feed.write_bytes(b"".join(lines))
    out = tmp_path / f"table{suffix}"
    summary = run([str(feed)], out, workers=1, rejects=tmp_path / "r.jsonl")
    # Nothing rejected: a number that cannot be read is null, its film kept and counted.
    assert (summary.written, summary.rejected) == (len(NUMBER_CASES), 0)
    assert (summary.numbers_hidden, summary.unparsed_numbers) == (3, 1)
    assert "hidden numbers" in summary.render()
    numbers = ["box_office_realtime", "box_office_total", "box_office_currency"]
    numbers += ["wish_month", "wish_total"]
    if suffix == ".jsonl":
        table = pd.read_json(out, lines=True, dtype={"wish_month": "Int64", "wish_total": "Int64"})
    elif suffix == ".csv":
        table = pd.read_csv(
            out, encoding="utf-8-sig", dtype={"wish_month": "Int64", "wish_total": "Int64"}
        )
    else:
        table = pd.read_parquet(out)
        assert str(table["wish_total"].dtype) == "Int64"
    assert table["box_office_total"].dtype == "float64"
    by_film = table.set_index("movie_id")
    for board, film, *_, want in NUMBER_CASES:
        row = by_film.loc[film.movie_id]
        got = tuple(None if pd.isna(row[name]) else row[name] for name in numbers)
        assert got == want, (board, film.title)
    assert by_film.loc[BOARDS[6][0].movie_id, "wish_total"] == 127_000


def output_columns() -> list[str]:
    from postprocess.records import COLUMNS

    return COLUMNS


def test_failed_run_leaves_the_old_output(messy_feeds, tmp_path, monkeypatch) -> None:
    out = tmp_path / "table.csv"
    rejects = tmp_path / "table.rejects.jsonl"
    out.write_text("the old table\n", encoding="utf-8")
    rejects.write_text("the old rejects\n", encoding="utf-8")

    def half_written(table, columns, path):
        path.write_text("board_id,rank\n4,1\n", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(output.WRITERS, ".csv", half_written)
    with pytest.raises(OSError, match="disk full"):
        run(messy_feeds["files"], out, workers=2, rejects=rejects)
    assert out.read_text(encoding="utf-8") == "the old table\n"
    assert rejects.read_text(encoding="utf-8") == "the old rejects\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- the command line, as a user runs it --------------------------------------------


def test_cli_run_and_summary(messy_feeds, tmp_path) -> None:
    out, summary = tmp_path / "t.parquet", tmp_path / "s.json"
    proc = postprocess(*messy_feeds["files"], "-o", str(out), "--summary", str(summary))
    assert proc.returncode == 0, proc.stderr
    numbers = json.loads(summary.read_text())
    assert {k: numbers[k] for k in ("files", "lines", "rejected", "duplicates", "written")} == {
        "files": 4, "lines": 312, "rejected": 12, "duplicates": 200, "written": 100,
    }  # fmt: skip
    assert numbers["unparsed_release"] == 0 and numbers["seconds"] > 0
    assert "written" in proc.stdout and "100" in proc.stdout
    assert (tmp_path / "t.parquet.rejects.jsonl").exists()  # the default rejects path


def test_cli_reads_stdin(tmp_path) -> None:
    out = tmp_path / "t.jsonl"
    data = b"".join(crawl_lines(T1)).decode("utf-8")
    proc = postprocess("-", "-o", str(out), "--workers", "1", input=data)
    assert proc.returncode == 0, proc.stderr
    assert len(read_jsonl(out)) == 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "-o", "out.jsonl"], "no such feed file: missing.jsonl"),
        (["{feed}", "-o", "out.xlsx"], "unknown output format '.xlsx'"),
        (["{feed}", "-o", "no/such/dir/out.csv"], "output folder no/such/dir does not exist"),
    ],
)
def test_cli_usage_errors(tmp_path, args, message) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(b"".join(crawl_lines(T1)))
    proc = postprocess(*(a.format(feed=feed) for a in args))
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_ctrl_c_leaves_the_old_output(tmp_path) -> None:
    out_dir, spool = tmp_path / "out", tmp_path / "spool"
    out_dir.mkdir()
    spool.mkdir()
    out = out_dir / "t.jsonl"
    out.write_text("old\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "postprocess", "-", "-o", str(out)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(spool)},
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        proc.stdin.write(b"".join(crawl_lines(T1)))  # half a run: stdin stays open
        proc.stdin.flush()
        wait_for(
            lambda: list(spool.glob("postprocess-*/feed-0.jsonl")), 30, "the run reading stdin"
        )
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert b"interrupted" in err
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in out_dir.iterdir()] == ["t.jsonl"]  # no partial output
    assert list(spool.iterdir()) == []  # the spooled input is gone too


def test_progress_bar_shows_lines_and_films_kept(tmp_path, capsys) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(b"".join(crawl_lines(T1)) + b"".join(crawl_lines(T2)))
    run([str(feed)], tmp_path / "o.jsonl", workers=1, rejects=tmp_path / "r.jsonl", progress=True)
    bar = capsys.readouterr().err
    assert "post-process" in bar and "lines=200" in bar and "kept=100" in bar


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reaches_100_percent_when_the_run_ends(tmp_path, capsys, workers) -> None:
    """The bar moves through reading, merging and writing, and shows 100 % only once
    the outputs are published, not when the last byte is read."""
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(b"".join(crawl_lines(T1)) + b"".join(crawl_lines(T2)))
    out, history = tmp_path / "o.csv", tmp_path / "h.parquet"
    run([str(feed)], out, workers=workers, rejects=tmp_path / "r.jsonl", history_path=history,
        progress=True, chunk_bytes=4096)  # fmt: skip
    states = [state.strip() for state in capsys.readouterr().err.split("\r") if state.strip()]
    percents = [int(re.search(r"(\d+)%", state).group(1)) for state in states]
    assert percents == sorted(percents)  # it never goes back
    steps = [re.match(r"post-process(?: \((.+?)\))?:", state).group(1) for state in states]
    assert {"merging", "writing o.csv", "writing h.parquet", "done"} <= set(steps)
    full = [step for step, percent in zip(steps, percents, strict=True) if percent == 100]
    assert full and set(full) == {"done"}
    assert 0 < percents[steps.index("merging")] < 100


def test_desktop_and_mobile_feeds_of_one_day_make_one_row_per_film(tmp_path) -> None:
    """The same board from both sources on the same day: one row per film (the later
    crawl's line, with the mobile source's richer fields), lines counted by source."""
    morning, noon = "2026-11-23T02:00:00Z", "2026-11-23T04:00:00Z"
    films = BOARDS[4]
    desktop = tmp_path / "desktop.jsonl"
    mobile = tmp_path / "mobile.jsonl"
    desktop.write_bytes(
        b"".join(feed_line(feed_record(f, r, morning)) for r, f in enumerate(films, 1))
    )
    mobile.write_bytes(
        b"".join(feed_line(mobile_feed_record(f, r, noon)) for r, f in enumerate(films, 1))
    )
    out, summary = tmp_path / "table.parquet", tmp_path / "summary.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "postprocess",
            str(desktop),
            str(mobile),
            "-o",
            str(out),
            "--summary",
            str(summary),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usable lines by source: desktop 100, mobile 100" in proc.stdout
    counts = json.loads(summary.read_text())
    assert counts["sources"] == {"desktop": 100, "mobile": 100}
    assert (counts["written"], counts["duplicates"]) == (100, 100)
    table = pd.read_parquet(out)
    assert len(table) == 100 and not table.duplicated(["board_id", "movie_id"]).any()
    assert set(table["source"]) == {"mobile"} and set(table["times_seen"]) == {2}
    first = table.iloc[0].to_dict()
    assert (first["title"], first["first_seen"].isoformat(), first["last_seen"].isoformat()) == (
        "霸王别姬",
        "2026-11-23T02:00:00+00:00",
        "2026-11-23T04:00:00+00:00",
    )
    assert list(first["genres"]) == ["剧情", "爱情"] and first["blurb"] == "梦回少年忆，此间无蝶衣"
    assert (first["release_date"], first["release_region"]) == ("1993-07-26", "中国大陆")
    assert (first["wish_total"], first["score_label"]) == (30, "猫眼综合评分")
    # Both sources' posters are one URL once their resize suffixes are gone.
    assert (
        first["poster_url"]
        == "https://p0.pipi.cn/mmdb/3744112af469898c7603fbe21d80b5b5640a34b5.jpg"
    )
    # The other way round, the desktop's line wins, and what it lacks (the genres, the
    # blurb, the wish count, the score's label: the desktop page shows none of them)
    # comes from the mobile line of the same day; the row names both sources.
    later = tmp_path / "desktop-later.jsonl"
    later.write_bytes(
        b"".join(
            feed_line(feed_record(f, r, "2026-11-23T06:00:00Z")) for r, f in enumerate(films, 1)
        )
    )
    run([str(mobile), str(later)], tmp_path / "t2.jsonl", workers=1, rejects=tmp_path / "r.jsonl")
    rows = read_jsonl(tmp_path / "t2.jsonl")
    assert {row["source"] for row in rows} == {"desktop+mobile"}
    first = rows[0]
    assert (first["title"], first["last_seen"]) == ("霸王别姬", "2026-11-23T06:00:00Z")
    assert first["detail_url"] == f"{BASE_URL}/films/1203"  # the desktop's own
    assert (first["genres"], first["blurb"]) == (["剧情", "爱情"], "梦回少年忆，此间无蝶衣")
    assert (first["wish_total"], first["score_label"]) == (30, "猫眼综合评分")
