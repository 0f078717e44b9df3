"""The crawl as a user runs it: ``scrapy crawl board -O FILE`` in a subprocess,
against the stand-in site on 127.0.0.1 behaving well and badly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.helpers import expected_entries, without_time

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
HANDSHAKE = 302  # the first-visit redirect to the same URL that sets the uuid cookie


def test_full_board(standin, crawl) -> None:
    site = standin()
    started = datetime.now(UTC).replace(microsecond=0)
    result = crawl(site.url)
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url)
    for item in result.items:
        assert ISO_UTC.match(item["crawled_at"])
        crawled = datetime.strptime(item["crawled_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert started - timedelta(seconds=1) <= crawled <= datetime.now(UTC)
    # Every field of the contract, in order, on every line.
    assert list(result.items[0]) == [
        "board_id", "rank", "movie_id", "title", "stars", "director", "genres", "release",
        "score", "score_label", "box_office_realtime", "box_office_total", "wish_month",
        "wish_total", "blurb", "poster_url", "detail_url", "board_date", "source", "page_url",
        "crawled_at",
    ]  # fmt: skip
    assert "Board complete: all 100 films collected." in result.log
    assert result.log_lines("ERROR") == []
    # No warning at all: none about fetching the public-suffix list offline either.
    assert result.log_lines("WARNING") == []
    assert "tldextract" not in result.log and "Deprecat" not in result.log
    # robots.txt asked first; the first page answered the cookie handshake, followed
    # once; then each page exactly once, one at a time.
    pages = [f"/board/4?offset={offset}" for offset in range(0, 100, 10)]
    assert site.log.snapshot() == [
        ("/robots.txt", 200),
        (pages[0], HANDSHAKE),
        *((page, 200) for page in pages),
    ]


def test_feed_is_utf8_without_escapes(standin, crawl, tmp_path) -> None:
    site = standin()
    assert crawl(site.url).returncode == 0
    text = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert "霸王别姬" in text and "\\u" not in text


def check_banned(result, site, good_pages: int) -> None:
    assert result.returncode == 1
    assert without_time(result.items) == expected_entries(site.url)[: good_pages * 10]
    assert "Spider closed (banned)" in result.log
    errors = result.log_lines("ERROR")
    assert any("Banned by Maoyan" in line and "MAOYAN_COOKIE" in line for line in errors)
    handshake, *board = site.board_requests()
    assert handshake == ("/board/4?offset=0", HANDSHAKE)
    after_ban = board[good_pages:]
    # The banned page and its two slower retries, nothing else.
    assert len(after_ban) == 3, after_ban
    assert {path for path, _ in after_ban} == {f"/board/4?offset={good_pages * 10}"}


def test_verification_redirect_stops_the_crawl(standin, crawl) -> None:
    site = standin(ban_after=3, ban_kind="verify")
    result = crawl(site.url)
    check_banned(result, site, good_pages=3)
    assert all(status == 302 for _, status in site.board_requests()[4:])
    # The verification page is never fetched, let alone solved.
    assert not any(path.startswith("/verify") for path, _ in site.log.snapshot())


def test_403_stops_the_crawl(standin, crawl) -> None:
    site = standin(ban_after=3, ban_kind="403")
    check_banned(crawl(site.url), site, good_pages=3)


def test_too_frequent_page_served_with_200_is_a_ban(standin, crawl) -> None:
    site = standin(ban_after=5, ban_kind="blank")
    check_banned(crawl(site.url), site, good_pages=5)


def test_flaky_site_gives_every_film_once(standin, crawl) -> None:
    site = standin(flaky=True)
    result = crawl(site.url)
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url)
    statuses = [status for _, status in site.board_requests()]
    assert statuses.count(503) >= len(statuses) // 3 and 0 in statuses  # 503s and cut connections
    assert "Slowing down" in result.log


def test_robots_txt_is_obeyed(standin, crawl) -> None:
    site = standin(robots_disallow=True)
    # Four requests waiting on robots.txt at once, as a user raising concurrency would
    # have: Scrapy 2.19's own middleware lets one of them through.
    result = crawl(site.url, settings={"CONCURRENT_REQUESTS": "4"})
    assert result.returncode == 1
    assert result.items == []
    assert site.board_requests() == []
    assert "robots.txt forbids it" in result.log


def test_broken_entries_are_dropped_and_counted(standin, crawl) -> None:
    site = standin(broken_ranks=frozenset({5, 17}))
    result = crawl(site.url)
    assert result.returncode == 1  # the board is incomplete, and cron should know
    expected = [e for e in expected_entries(site.url) if e["rank"] not in (5, 17)]
    assert without_time(result.items) == expected
    assert "missing ranks: 5, 17" in result.log
    warnings = [line for line in result.log_lines("WARNING") if "Unusable board entry" in line]
    assert len(warnings) == 2
    assert f"(rank 5) on {site.url}/board/4?offset=0: no movie_id, no title" in warnings[0]


def test_a_missing_page_ends_the_walk(standin, crawl) -> None:
    site = standin(missing_offsets=frozenset({20}))
    result = crawl(site.url)
    assert result.returncode == 1
    assert [i["rank"] for i in result.items] == list(range(1, 21))
    [error] = [line for line in result.log_lines("ERROR") if "offset=20 failed" in line]
    assert "the site answered HTTP 404 Not Found" in error
    assert "the board's later pages are not requested" in error
    assert "missing ranks: 21-100; 1 page(s) failed" in result.log
    # No page past the missing one is asked for.
    assert [path for path, _ in site.board_requests()][-1] == "/board/4?offset=20"


def test_board_without_pager_is_one_page(standin, crawl) -> None:
    site = standin()
    result = crawl(site.url, "-a", "board=7")
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url, board_id=7)
    assert result.log_lines("WARNING") == []


def test_wish_board_follows_its_pager_and_says_its_numbers_are_hidden(standin, crawl) -> None:
    site = standin()
    result = crawl(site.url, "-a", "board=6")
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url, board_id=6)
    assert all(item["wish_month"] is None and item["wish_total"] is None for item in result.items)
    pages = [f"/board/6?offset={offset}" for offset in range(0, 50, 10)]
    assert [path for path, _ in site.board_requests()] == [pages[0], *pages]
    assert "Board complete: all 50 films collected." in result.log
    # One line for the whole crawl says what could not be read, and why.
    (warning,) = result.log_lines("WARNING")
    assert "100 number(s) of board 6 could not be read (wish_month x50, wish_total x50)" in warning
    assert "web font" in warning
    # ... and names the command that reads them as plain text.
    assert "`scrapy crawl board -a source=mobile -a board=most-expected -O out.jsonl`" in warning
    # The pager was followed as a reader would: each page names the one before it.
    referers = [headers.get("Referer") for headers in site.log.headers]
    assert referers == [None, None, *(f"{site.url}{page}" for page in pages[:-1])]


def test_box_office_boards_keep_their_films(standin, crawl) -> None:
    site = standin()
    result = crawl(site.url, "-a", "board=1")
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url, board_id=1)
    assert "(box_office_realtime x10, box_office_total x10)" in result.log


def test_a_board_not_updated_for_years_is_named(standin, crawl) -> None:
    site = standin()
    result = crawl(site.url, "-a", "board=2")
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_entries(site.url, board_id=2)
    assert {item["board_date"] for item in result.items} == {"2018-07-16"}
    stale = [line for line in result.log_lines("WARNING") if "last updated on" in line]
    assert len(stale) == 1 and "Board 2 was last updated on 2018-07-16" in stale[0]


def test_the_site_of_old_shows_its_numbers(standin, crawl) -> None:
    """Without the web font (and without today's gatekeeping) the numbers are read as shown."""
    site = standin(browser_ua_only=False, cookie_handshake=False, font_version=None)
    for board in (6, 1, 2):
        result = crawl(site.url, "-a", f"board={board}")
        assert result.returncode == 0, result.log
        expected = expected_entries(site.url, board_id=board, numbers_hidden=False)
        assert without_time(result.items) == expected
        assert "numbers_hidden" not in result.log
    first = expected_entries(site.url, board_id=1, numbers_hidden=False)[0]
    assert (first["box_office_realtime"], first["box_office_total"]) == ("2301.42万", "14.52亿")


def test_user_agent_and_cookie_come_from_the_environment(standin, crawl) -> None:
    site = standin()
    user_agent = "Mozilla/5.0 (compatible; my-crawler/2.0; +mailto:me@example.org)"
    env = {"MAOYAN_USER_AGENT": user_agent, "MAOYAN_COOKIE": "uuid=abc; _lxsdk=1"}
    result = crawl(site.url, env=env)
    assert result.returncode == 0, result.log
    # The uuid cookie is there from the start: no handshake.
    assert len(site.log.headers) == 10
    for headers in site.log.headers:
        assert headers["User-Agent"] == user_agent
        assert sorted(headers["Cookie"].split("; ")) == ["_lxsdk=1", "uuid=abc"]


def test_default_identity_is_honest_and_browser_shaped(standin, crawl) -> None:
    site = standin()
    env = {"MAOYAN_CONTACT": "mailto:ops@example.org"}
    assert crawl(site.url, "-a", "board=7", env=env).returncode == 0
    first, followed = site.log.headers
    assert first["User-Agent"] == (
        "Mozilla/5.0 (compatible; maoyan-board-crawler/1.1; +mailto:ops@example.org)"
    )
    assert first["Accept"].startswith("text/html")
    assert first["Accept-Language"].startswith("zh-CN")
    assert "Cookie" not in first and "Referer" not in first
    # The handshake is followed with the cookie the site set, and no made-up Referer.
    assert followed["Cookie"].startswith("uuid=") and "Referer" not in followed


def test_a_client_refused_from_the_start_is_told_so(standin, crawl) -> None:
    site = standin()
    result = crawl(site.url, env={"MAOYAN_USER_AGENT": "my-crawler/2.0 (me@example.org)"})
    assert result.returncode == 1
    assert result.items == []
    assert "Spider closed (refused)" in result.log
    refused = [line for line in result.log_lines("ERROR") if "Refused by Maoyan" in line]
    assert len(refused) == 1
    assert "my-crawler/2.0 (me@example.org)" in refused[0] and "MAOYAN_USER_AGENT" in refused[0]
    assert "`scrapy crawl board -a source=mobile -a board=top100 -O out.jsonl`" in refused[0]
    # Not a ban: no back-off, no advice to wait for hours.
    assert "Banned" not in result.log and "backing off" not in result.log
    assert site.board_requests() == [("/board/4?offset=0", 403)]


def test_a_page_that_redirects_to_itself_forever_fails_with_its_reason(standin, crawl) -> None:
    site = standin(self_redirect_offsets=frozenset({30}))
    result = crawl(site.url)
    assert result.returncode == 1
    assert [item["rank"] for item in result.items] == [*range(1, 31), *range(41, 101)]
    (error,) = [line for line in result.log_lines("ERROR") if "offset=30 failed" in line]
    assert "redirected it to itself 3 times" in error
    assert "missing ranks: 31-40; 1 page(s) failed" in result.log
    # the page and its two bounded follow-ups, no more
    assert site.board_requests().count(("/board/4?offset=30", 302)) == 3


def test_pages_argument_walks_that_many_pages(standin, crawl) -> None:
    site = standin(top100_size=300)
    result = crawl(site.url, "-a", "pages=3")
    assert result.returncode == 0, result.log
    assert [item["rank"] for item in result.items] == list(range(1, 31))
    assert "Board complete: all 30 films collected." in result.log


def test_development_cache_replays_pages_but_never_bans(standin, crawl, tmp_path) -> None:
    site = standin(ban_after=0, ban_kind="blank")
    cache = {"HTTPCACHE_DIR": str(tmp_path / "httpcache")}
    env = {"MAOYAN_HTTPCACHE": "1"}
    banned = crawl(site.url, settings=cache, env=env)
    assert banned.returncode == 1 and banned.items == []
    site.behaviour.ban_after = None  # the ban lifts; nothing of it was cached
    fresh = crawl(site.url, settings=cache, env=env)
    assert fresh.returncode == 0 and len(fresh.items) == 100
    requests_before = len(site.board_requests())
    replayed = crawl(site.url, settings=cache, env=env)
    assert replayed.returncode == 0
    assert without_time(replayed.items) == without_time(fresh.items)
    assert len(site.board_requests()) == requests_before  # all ten pages from the cache
