"""The mobile source as a user runs it: ``scrapy crawl board -a source=mobile -O FILE``
against the stand-in's mobile board page and board JSON, behaving well and badly."""

from __future__ import annotations

import subprocess
from pathlib import Path

from standin.mobile import PAGE_FILMS
from tests.helpers import (
    FAST_SETTINGS,
    JSON,
    REPO,
    SCRAPY,
    clean_env,
    expected_mobile,
    free_port,
    read_jsonl,
    without_time,
)


def crawl_mobile(crawl, site, *args: str, settings: dict[str, str] | None = None, env=None):
    roots = {"MAOYAN_MOBILE_BASE_URL": site.url, "MAOYAN_MOBILE_API_URL": site.url}
    return crawl(
        site.url, "-a", "source=mobile", *args, settings={**roots, **(settings or {})}, env=env
    )


def test_top100_in_three_requests(standin, crawl) -> None:
    site = standin()
    result = crawl_mobile(crawl, site)
    assert result.returncode == 0, result.log
    # The page holds 20 films; the JSON answers at most 50 whatever it is asked.
    expected = expected_mobile(site.url, 39, [(20, 80), (70, 30)], "2026-11-23")
    assert without_time(result.items) == expected
    assert {item["source"] for item in result.items} == {"mobile"}
    assert site.log.snapshot() == [
        ("/robots.txt", 200),
        ("/asgard/board?id=39&year=0&term=0", 200),
        (f"{JSON.format(board=39)}&limit=80&offset=20", 200),
        (f"{JSON.format(board=39)}&limit=30&offset=70", 200),
    ]
    assert (
        "The top100 board (mobile 39) took 3 request(s): 1 board page(s) and 2 JSON answer(s)"
        in result.log
    )
    assert "Board complete: all 100 films collected." in result.log
    assert result.log_lines("ERROR") == [] and result.log_lines("WARNING") == []
    # The JSON is asked for as the page's own scrolling asks: the page as Referer.
    json_headers = site.log.headers[1:]
    assert [h.get("Referer") for h in json_headers] == [
        f"{site.url}/asgard/board?id=39&year=0&term=0"
    ] * 2
    assert all(h["Accept"].startswith("application/json") for h in json_headers)
    assert all("maoyan-board-crawler" in h["User-Agent"] for h in site.log.headers)


def test_most_expected_board_has_its_wish_counts_as_numbers(standin, crawl) -> None:
    site = standin()
    result = crawl_mobile(crawl, site, "-a", "board=most-expected")
    assert result.returncode == 0, result.log
    assert without_time(result.items) == expected_mobile(site.url, 6, [(20, 30)], "2026-11-23")
    wishes = [(item["wish_month"], item["wish_total"]) for item in result.items]
    assert wishes[:2] == [(67913, 127877), (56812, 183083)]  # 生化危机6, 长城
    assert all(type(m) is int and type(t) is int for m, t in wishes)
    assert "took 2 request(s)" in result.log
    assert "Board complete: all 50 films collected." in result.log


def test_a_ban_on_the_json_keeps_the_pages_films(standin, crawl) -> None:
    site = standin(ban_after=1, ban_kind="verify")
    result = crawl_mobile(crawl, site)
    assert result.returncode == 1
    assert "Spider closed (banned)" in result.log
    assert without_time(result.items) == expected_mobile(site.url, 39, [], "")
    (banned,) = [line for line in result.log_lines("ERROR") if "Banned by Maoyan" in line]
    assert "verification page" in banned and "fixedboard/39.json" in banned
    # Backed off and tried again, never followed to the verification page.
    json_asked = [entry for entry in site.log.snapshot() if ".json" in entry[0]]
    assert json_asked == [(f"{JSON.format(board=39)}&limit=80&offset=20", 302)] * 3
    assert not any(path.startswith("/verify") for path, _ in site.log.snapshot())
    assert "Board incomplete: the crawl was stopped by a ban with 20 of 100 films" in result.log


def test_an_answer_that_says_it_refuses_is_a_ban(standin, crawl) -> None:
    site = standin(ban_after=1, ban_kind="refuse")
    result = crawl_mobile(crawl, site)
    assert result.returncode == 1
    assert "Spider closed (banned)" in result.log
    assert len(result.items) == PAGE_FILMS
    assert "answered that the request was refused (success: false, 请求被拒绝" in result.log


def test_a_security_check_page_is_a_ban_not_unreadable(standin, crawl, tmp_path) -> None:
    """The mobile site's verification page of 2026 (安全验证, a 200 page without
    AppData): backed off and stopped as a ban, never saved as an unknown page."""
    site = standin(ban_after=1, ban_kind="security")
    saved = tmp_path / "unreadable"
    result = crawl_mobile(crawl, site, settings={"MAOYAN_UNREADABLE_DIR": str(saved)})
    assert result.returncode == 1
    assert "Spider closed (banned)" in result.log
    assert "answered with Maoyan's verification page (安全验证)" in result.log
    assert len(result.items) == PAGE_FILMS and not saved.exists()


def test_a_page_without_appdata_is_unreadable_not_a_ban(standin, crawl, tmp_path) -> None:
    site = standin(redesigned=True)
    saved = tmp_path / "unreadable"
    result = crawl_mobile(crawl, site, settings={"MAOYAN_UNREADABLE_DIR": str(saved)})
    assert result.returncode == 1
    assert "Spider closed (unreadable)" in result.log
    (error,) = [line for line in result.log_lines("ERROR") if "Not a mobile board page" in line]
    assert "MAOYAN_MOBILE_BASE_URL" in error
    (page,) = saved.iterdir()
    assert page.suffix == ".html" and "__INITIAL_STATE__" in page.read_text(encoding="utf-8")
    assert [path for path, _ in site.mobile_requests()] == ["/asgard/board?id=39&year=0&term=0"]


def test_a_json_answer_without_movies_is_unreadable(standin, crawl, tmp_path) -> None:
    site = standin(json_without_movies=True)
    saved = tmp_path / "unreadable"
    result = crawl_mobile(crawl, site, settings={"MAOYAN_UNREADABLE_DIR": str(saved)})
    assert result.returncode == 1
    assert "Spider closed (unreadable)" in result.log
    assert len(result.items) == PAGE_FILMS
    (error,) = [line for line in result.log_lines("ERROR") if "Not a board JSON answer" in line]
    assert "MAOYAN_MOBILE_API_URL" in error
    (answer,) = saved.iterdir()
    assert answer.suffix == ".json"


def test_a_client_refused_by_the_mobile_site_is_told_so(standin, crawl) -> None:
    site = standin()
    result = crawl_mobile(crawl, site, env={"MAOYAN_USER_AGENT": "curl/8.0"})
    assert result.returncode == 1
    assert "Spider closed (refused)" in result.log
    assert site.mobile_requests() == [("/asgard/board?id=39&year=0&term=0", 403)]


def test_robots_txt_of_the_mobile_host_is_obeyed(standin, crawl) -> None:
    site = standin(robots_disallow=True)
    result = crawl_mobile(crawl, site)
    assert result.returncode == 1
    assert site.mobile_requests() == []
    assert "robots.txt forbids it" in result.log


def test_both_sources_write_the_same_board_id(standin, crawl, tmp_path: Path) -> None:
    site = standin()
    mobile = crawl_mobile(crawl, site)
    desktop = crawl(site.url)
    assert {item["board_id"] for item in mobile.items} == {
        item["board_id"] for item in desktop.items
    }
    assert [i["movie_id"] for i in mobile.items] == [i["movie_id"] for i in desktop.items]


def test_a_mobile_crawl_banned_on_the_json_resumes_there(standin, tmp_path) -> None:
    """With JOBDIR, the banned JSON window is asked for again when the job runs again,
    and the board ends whole: the page's films from the first run, the rest from this."""
    site = standin(ban_after=1, ban_kind="403")
    out, job = tmp_path / "out.jsonl", tmp_path / "job"
    command = [SCRAPY, "crawl", "board", "-a", "source=mobile", "-o", str(out)]
    settings = {
        **FAST_SETTINGS,
        "MAOYAN_MOBILE_BASE_URL": site.url,
        "MAOYAN_MOBILE_API_URL": site.url,
        "JOBDIR": str(job),
    }
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    run = {"cwd": REPO, "env": clean_env(), "capture_output": True, "text": True, "timeout": 120}
    first = subprocess.run(command, **run)
    assert first.returncode == 1 and "Spider closed (banned)" in first.stderr
    assert len(read_jsonl(out.with_name("out.incomplete.jsonl"))) == PAGE_FILMS

    site.behaviour.ban_after = None  # the ban has lifted
    asked_before = len(site.mobile_requests())
    second = subprocess.run(command, **run)
    assert second.returncode == 0, second.stderr
    assert "Board complete: all 100 films collected." in second.stderr
    fetched = [path for path, _ in site.mobile_requests()[asked_before:]]
    assert fetched == [
        f"{JSON.format(board=39)}&limit=80&offset=20",
        f"{JSON.format(board=39)}&limit=30&offset=70",
    ]
    feed = read_jsonl(out)
    assert [entry["rank"] for entry in feed] == list(range(1, 101))


def test_an_unreachable_mobile_site_is_said_at_once(crawl, tmp_path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # a loopback port nobody listens on
    result = crawl(
        closed,
        "-a",
        "source=mobile",
        settings={"MAOYAN_MOBILE_BASE_URL": closed, "MAOYAN_MOBILE_API_URL": closed},
    )
    assert result.returncode == 1
    assert "Spider closed (unreachable)" in result.log
    (error,) = [line for line in result.log_lines("ERROR") if "Cannot reach the site" in line]
    assert f"{closed}/robots.txt" in error and "MAOYAN_MOBILE_BASE_URL" in error
