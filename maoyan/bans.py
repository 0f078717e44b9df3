"""Recognise Maoyan's ways of saying "go away", as pure functions of a response.

Maoyan answers crawlers it dislikes with its "too frequent" page (403, sometimes
200) or a 302 to its verification centre (a slider captcha). Each is a ban, never an
empty or garbage page: the crawl must back off, and in the end stop, never scrape it
and never try to get past the verification.

A 200 page that is none of these and holds no board is no ban: it is a page this
crawler does not know (the site's layout changed, or MAOYAN_BASE_URL points at
another site), and backing off would not change it (see :func:`is_board_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

TOO_FREQUENT = "访问请求由于过于频繁而被禁止"
VERIFY_TITLE = "猫眼验证中心"
#: The words of the verification page as seen on m.maoyan.com in 2026 (a page titled
#: 安全验证, "security check"), beside the older 猫眼验证中心.
VERIFY_WORDS = (VERIFY_TITLE, "安全验证")
BOARD_MARKER = "board-wrapper"


@dataclass(frozen=True)
class Ban:
    """A recognised ban: ``kind`` names it in stats, ``message`` says it to a person."""

    kind: str
    message: str


def is_verification_url(url: str) -> bool:
    """``verify.maoyan.com/verify?requestCode=...`` and its stand-ins (``/verify`` paths)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return host.startswith("verify.") or parts.path.rstrip("/") == "/verify"


def detect_ban(status: int, url: str, body: str, location: str | None = None) -> Ban | None:
    """Say whether a board page's answer is a ban, and which.

    ``location`` is the redirect target of a 3xx answer; ``body`` the decoded text
    (empty for a non-text answer). Statuses a retry can fix (5xx, 429) are not bans:
    the retry middleware deals with them.
    """
    if 300 <= status < 400 and location and is_verification_url(location):
        return Ban("verification", f"redirected to Maoyan's verification page {location}")
    words = next((words for words in VERIFY_WORDS if words in body), None)
    if is_verification_url(url) or words:
        return Ban(
            "verification", f"answered with Maoyan's verification page ({words or VERIFY_TITLE})"
        )
    if TOO_FREQUENT in body:
        return Ban("too_frequent", f"answered {status}: {TOO_FREQUENT}")
    if status == 403:
        return Ban("forbidden", "answered 403 Forbidden")
    return None


def is_board_page(body: str) -> bool:
    """Whether a page is laid out as the board pages this crawler can read."""
    return BOARD_MARKER in body
