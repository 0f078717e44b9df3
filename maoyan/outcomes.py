"""The ways a crawl can end, in one place: the exceptions a page fails with, the stats
keys that record why the crawl stopped, and the words and advice each ending is said
with.

The spider, the downloader middlewares, the feed storage and the close-time check
all read this module, so a ban, a refusal, an unreachable site, an unreadable page
and a feed that cannot be written are told apart the same way everywhere.
"""

from __future__ import annotations

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest

# --- How a page fails (never reaching the spider's callback) -----------------------


class BannedPage(IgnoreRequest):
    """A board page Maoyan answered with a ban; it yields nothing."""


class RefusedClient(BannedPage):
    """The site refused this client outright, before serving it any board page."""


class UnreadablePage(IgnoreRequest):
    """A 200 board page that is no board page this crawler knows, and no ban page."""


class SelfRedirectLoop(IgnoreRequest):
    """A page that keeps redirecting to itself: the cookie handshake never completes."""


class SiteUnreachable(IgnoreRequest):
    """The site cannot be reached at all (its name does not resolve, its port refuses)."""


class PastTheBoard(IgnoreRequest):
    """A board page after one the site answered 404: the board has ended."""


class CrawlStopped(IgnoreRequest):
    """A request not sent because the crawl was stopping."""


#: Failures that mean the host is not there, not that it is slow: retrying is useless.
HOST_GONE = (CannotResolveHostError, DownloadConnectionRefusedError)

# --- Stats keys ----------------------------------------------------------------------

#: The finish reason the crawl was stopped with, and why, in words (maoyan.stopping).
STOP_REASON = "stop/reason"
STOP_WHY = "stop/why"
#: The signal (SIGINT, SIGTERM) that stopped the crawl.
SIGNAL = "stop/signal"
#: The site was declared unreachable, and why.
UNREACHABLE_REASON = "unreachable/reason"
#: The ban that stopped the crawl: ``kind: message``.
BAN_REASON = "ban/reason"
#: The board page answered 404, after which no board page is requested.
BOARD_ENDED = "board/ended_at"
#: Board pages that failed (named in the log one by one).
PAGES_FAILED = "board/pages_failed"
#: How many films the board should have, kept up to date by the spider as answers
#: show the board's total.
FILMS_EXPECTED = "board/films_expected"
#: Set by the close-time check: the crawl got every film of every board it crawled.
BOARD_COMPLETE = "board/complete"
#: The boards the crawl collects, in crawl order (``desktop/top100``, ...): each has its
#: own stats, named by :func:`board_stat`.
BOARD_KEYS = "board/boards"
#: The close-time verdict as a program reads it (see maoyan.extensions.Verdict).
VERDICT = "board/verdict"
#: The feed that could not be written, and the system's reason.
FEED_FAILED = "feed/failed"
#: The feed file this crawl's films replaced or were added to (its path).
FEED_WRITTEN = "feed/written"
#: Where an incomplete crawl's films were published instead of the feed.
FEED_INCOMPLETE = "feed/incomplete_path"
#: A job resumed with -O whose earlier films (out.incomplete.jsonl) are gone, so the
#: feed cannot hold the whole board, whatever the job's state counts.
FEED_LACKS_EARLIER = "feed/earlier_films_missing"


def board_stat(board: str, name: str) -> str:
    """The stats key of one board's count: ``boards/desktop/top100/films_expected``;
    ``name`` is ``films_expected``, ``films_scraped``, ``missing_ranks``, ``complete``,
    ``requests`` (sent to the site by this run: redirects and retries included, a
    page the duplicate filter or a stop kept back not), ``pages_failed`` or
    ``ended_at`` (the page answered 404)."""
    return f"boards/{board}/{name}"


# --- The words -----------------------------------------------------------------------

#: Why a crawl that ended with each finish reason is incomplete, as its last line says.
WHY_INCOMPLETE = {
    "finished": "the crawl finished",
    "banned": "the crawl was stopped by a ban",
    "refused": "the site refused this client",
    "unreachable": "the site could not be reached",
    "unreadable": "a page was no board page this crawler can read",
    "feed_failed": "the feed could not be written",
    "shutdown": "the crawl was stopped by {signal}",
}

#: Why the crawl stops at once, by how the site failed.
HOST_GONE_WHY = (
    "A name that does not resolve or a port that refuses connections is no passing "
    "fault, so the crawl stops now, without retrying"
)
TIMED_OUT_WHY = "The site keeps timing out even after retries with back-off, so the crawl stops"

UNREACHABLE_ADVICE = (
    "Check the network or proxy and the site's root (MAOYAN_BASE_URL; for -a source=mobile, "
    "MAOYAN_MOBILE_BASE_URL and MAOYAN_MOBILE_API_URL); maoyan.com is often unreachable "
    "from outside mainland China (`python -m standin demo` runs offline)."
)
BAN_ADVICE = (
    "What to do: wait some hours before crawling again, crawl slower "
    "(raise DOWNLOAD_DELAY / AUTOTHROTTLE_START_DELAY), or set MAOYAN_COOKIE "
    "to the Cookie of a browser session logged in to maoyan.com. Never "
    "automate the verification page."
)
REFUSED_ADVICE = (
    "The site refuses this client as it is: {still_banned}its User-Agent ({user_agent!r}: "
    "Maoyan refuses User-Agents that are not a browser's; keep the default, or put yours in "
    "the form 'Mozilla/5.0 (compatible; name/1.0; +contact)' in MAOYAN_USER_AGENT), or its "
    "network (this IP address, region or proxy may be blocked: try another network). "
    "{elsewhere}Never forge a browser login."
)
STILL_BANNED = (
    "the page says 访问请求由于过于频繁而被禁止, so this address may still be "
    "banned from an earlier crawl (wait some hours); or "
)
SELF_REDIRECT_ADVICE = (
    "its cookie handshake never completes (are cookies enabled? COOKIES_ENABLED must stay True)"
)
ROBOTS_FORBIDS = (
    "the site's robots.txt forbids it, and this project obeys robots.txt (ROBOTSTXT_OBEY = True)"
)
