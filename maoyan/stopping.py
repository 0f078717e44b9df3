"""Stopping a crawl before its end: one reason, recorded once, and nothing sent after it.

Scrapy closes a spider gracefully: it waits for every request already handed to the
downloader, including one that waits out a back-off of minutes in its download slot,
and then sends it. A crawl stopped by Ctrl-C or by a feed it cannot write must send
nothing more: :func:`stop_crawl` records why, fails the requests waiting in the
download slots with :class:`~maoyan.outcomes.CrawlStopped`, and closes the spider;
the ban middleware refuses any request that reaches it afterwards.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.utils.defer import deferred_from_coro

from maoyan.outcomes import (
    HOST_GONE_WHY,
    STOP_REASON,
    STOP_WHY,
    UNREACHABLE_ADVICE,
    UNREACHABLE_REASON,
    CrawlStopped,
)
from maoyan.scrapy_compat import fail_waiting_downloads

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def stopping(crawler: Crawler) -> str | None:
    """Why the crawl is stopping (in words), or ``None`` while it goes on."""
    return crawler.stats.get_value(STOP_WHY)


def close_spider(crawler: Crawler, reason: str) -> None:
    """Close the spider with finish reason ``reason`` (Scrapy's graceful close)."""
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def stop_crawl(crawler: Crawler, reason: str, why: str) -> bool:
    """Close the spider with finish reason ``reason``, sending no further request.

    Returns False when the crawl was already stopping (the first reason stands)."""
    stats = crawler.stats
    if stats.get_value(STOP_REASON):
        return False
    stats.set_value(STOP_REASON, reason)
    stats.set_value(STOP_WHY, why)
    engine = crawler.engine
    if engine is None or engine.spider is None:
        return True
    # A request waiting out a ban's back-off would be sent once the wait is over.
    fail_waiting_downloads(crawler, CrawlStopped(why))
    close_spider(crawler, reason)
    return True


def declare_unreachable(
    crawler: Crawler, what: str, error: object, why: str = HOST_GONE_WHY
) -> None:
    """Say once, in one line, that the site cannot be reached, and stop the crawl.

    The pages already queued fail one by one as the ban middleware refuses them
    (each counted as failed), so the closing counts say what was never fetched."""
    stats = crawler.stats
    if stats.get_value(UNREACHABLE_REASON):
        return
    stats.set_value(UNREACHABLE_REASON, f"{what} failed: {error}")
    logger.error(
        "Cannot reach the site: %s failed: %s. %s (finish reason 'unreachable'). %s",
        what,
        str(error).rstrip(". "),
        why,
        UNREACHABLE_ADVICE,
    )
    close_spider(crawler, "unreachable")
