"""Stopping a crawl before its end: one reason, recorded once, and nothing sent after it.

Scrapy closes a spider gracefully: it waits for every request already handed to the
downloader, including one that waits out a back-off of minutes in its download slot,
and then sends it. A crawl stopped by Ctrl-C, by a feed it cannot write or by an
unreachable site must send nothing more: :func:`stop_crawl` records why, fails the
requests waiting in the download slots with :class:`CrawlStopped`, and closes the
spider; the ban middleware refuses any request that reaches it afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: Stats keys: the finish reason the crawl was stopped with, and why, in words.
STOP_REASON = "stop/reason"
STOP_WHY = "stop/why"
#: Stats key: the signal (SIGINT, SIGTERM) that stopped the crawl.
SIGNAL = "stop/signal"


class CrawlStopped(IgnoreRequest):
    """A request not sent because the crawl was stopping."""


def stopping(crawler: Crawler) -> str | None:
    """Why the crawl is stopping (in words), or ``None`` while it goes on."""
    return crawler.stats.get_value(STOP_WHY)


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
    # Each download slot holds the requests waiting out its delay (a back-off of a
    # ban lasts minutes): cancel the wait and fail them, so the close need not wait.
    for slot in engine.downloader.slots.values():
        slot.close()
        while slot.queue:
            _request, waiting = slot.queue.popleft()
            waiting.errback(Failure(CrawlStopped(why)))
    deferred_from_coro(engine.close_spider_async(reason=reason))
    return True
