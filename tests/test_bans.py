"""Recognising Maoyan's bans from a response, and the backoff arithmetic."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Response

from maoyan.bans import detect_ban, is_board_page, is_verification_url
from maoyan.middlewares.retry import backoff_delay, retry_after_seconds
from standin.films import BOARDS
from standin.pages import BANNED_PAGE, SECURITY_CHECK_PAGE, render_board_page, render_verify_page

BOARD_URL = "https://www.maoyan.com/board/4?offset=30"
GOOD_PAGE = render_board_page(4, 30, BOARDS[4], "2026-11-23")


@pytest.mark.parametrize(
    ("status", "url", "body", "location", "kind"),
    [
        (302, BOARD_URL, "", "https://verify.maoyan.com/verify?requestCode=ab12", "verification"),
        (200, "https://verify.maoyan.com/verify?requestCode=ab12", "", None, "verification"),
        (200, BOARD_URL, render_verify_page("ab12"), None, "verification"),
        # The mobile site's verification page of 2026: 安全验证, no 猫眼验证中心.
        (200, "https://m.maoyan.com/asgard/board?id=39", SECURITY_CHECK_PAGE, None, "verification"),
        (403, BOARD_URL, BANNED_PAGE, None, "too_frequent"),
        (200, BOARD_URL, BANNED_PAGE, None, "too_frequent"),
        (403, BOARD_URL, "", None, "forbidden"),
    ],
)
def test_bans_are_recognised(status, url, body, location, kind) -> None:
    ban = detect_ban(status, url, body, location)
    assert ban is not None and ban.kind == kind


@pytest.mark.parametrize(
    ("status", "body", "location"),
    [
        (200, GOOD_PAGE, None),
        (503, "", None),  # the retry middleware's business, not a ban
        (429, "", None),
        (404, "", None),
        (301, "", "https://www.maoyan.com/board/4?offset=30"),  # an ordinary redirect
        (200, "<html><body>维护中</body></html>", None),  # no board, but no ban page either
    ],
)
def test_ordinary_answers_are_not_bans(status, body, location) -> None:
    assert detect_ban(status, BOARD_URL, body, location) is None


def test_board_pages_are_told_from_other_pages() -> None:
    assert is_board_page(GOOD_PAGE)
    assert not is_board_page(BANNED_PAGE)
    assert not is_board_page("<html><head><title>猫眼电影</title></head><body></body></html>")


def test_verification_urls() -> None:
    assert is_verification_url("https://verify.maoyan.com/verify?requestCode=1")
    assert is_verification_url("http://127.0.0.1:8000/verify?requestCode=1")
    assert not is_verification_url("https://www.maoyan.com/board/4?offset=0")
    assert not is_verification_url("https://www.maoyan.com/films/1203")


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_delay(n, 5.0, 60.0) for n in (1, 2, 3, 4, 5)] == [5.0, 10.0, 20.0, 40.0, 60.0]


def test_retry_after() -> None:
    assert retry_after_seconds(Response("https://x", status=429, headers={"Retry-After": "7"})) == 7
    assert retry_after_seconds(Response("https://x", status=503)) is None
    dated = Response(
        "https://x", status=503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}
    )
    assert retry_after_seconds(dated) is None
    assert retry_after_seconds(HtmlResponse("https://x", status=200, body=b"")) is None
