"""Everything this project relies on in Scrapy that Scrapy 2.19 does not document.

``requirements.txt`` allows any Scrapy 2.x from 2.19, and a minor release may change
what is not public. Each reliance lives here, says why no public way exists, and has a
test in ``tests/test_scrapy_compat.py`` that fails when Scrapy changes it, before a
crawl would misbehave.

What is public and used elsewhere (no entry here): ``crawler.engine.download_async``,
``close_spider_async``, ``CrawlerProcess.create_crawler``, ``install_shutdown_handlers``,
``FileFeedStorage``, ``build_from_crawler``, the ``download_slot`` request meta key,
the stats collector and signals.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler

# --- Download slots -------------------------------------------------------------------
# A ban or a retry must slow down the whole site, not one request: Scrapy has no public
# way to change a slot's delay while crawling (DOWNLOAD_SLOTS is read once, at start).
# Scrapy's own AutoThrottle does it the same way: ``engine.downloader.slots[key].delay``.
# A stop must not wait for a request sitting out a back-off of minutes in its slot: the
# slot's ``queue`` holds ``(request, deferred)`` pairs and ``close()`` cancels the wait;
# no public call fails them.


def download_slot(crawler: Crawler, request: Request) -> Slot | None:
    """The download slot a request goes through, once the downloader has made it."""
    engine = crawler.engine
    if engine is None:
        return None
    downloader = engine.downloader
    return downloader.slots.get(downloader.get_slot_key(request))


def slow_down(crawler: Crawler, request: Request, delay: float) -> float:
    """Make the request's download slot wait at least ``delay`` between requests; the
    slot's delay after it (``delay`` itself when the slot does not exist yet)."""
    slot = download_slot(crawler, request)
    if slot is None:
        return delay
    slot.delay = max(slot.delay, delay)
    return slot.delay


def fail_waiting_downloads(crawler: Crawler, error: Exception) -> int:
    """Fail with ``error`` every request waiting in a download slot (its delay
    cancelled); how many there were."""
    engine = crawler.engine
    if engine is None:
        return 0
    failed = 0
    for slot in engine.downloader.slots.values():
        slot.close()
        while slot.queue:
            _request, waiting = slot.queue.popleft()
            waiting.errback(Failure(error))
            failed += 1
    return failed


# --- Job folders ------------------------------------------------------------------------
# A job that ended complete must start anew (else every page is "seen" the next day):
# Scrapy documents JOBDIR but not what it keeps there. These are the scheduler's queue,
# the duplicate filter's fingerprints and SpiderState's pickled ``spider.state``.
JOB_FILES = ("requests.queue", "requests.seen", "spider.state")
SPIDER_STATE_FILE = "spider.state"

# --- Feed export log lines ----------------------------------------------------------------
# The feed storage says where the films went itself (an incomplete -O crawl publishes them
# elsewhere); Scrapy's own line would name the wrong file. Scrapy offers no setting to
# quiet it, so a logging filter drops these messages (their format strings, 2.19) for
# the feed concerned.
FEED_EXPORT_LOGGER = "scrapy.extensions.feedexport"
FEED_STORED_MESSAGES = ("Stored %s", "Error storing %s")

# --- Public suffixes ------------------------------------------------------------------
# Scrapy's CookiesMiddleware asks a TLDExtract it builds at import with tldextract's
# default sources, which first downloads the public-suffix list: offline it stalls and
# warns. tldextract's public switch is the TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS variable,
# read when that TLDExtract is built: empty means "the list tldextract ships".
SUFFIX_LIST_VARIABLE = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"


def use_shipped_suffix_list() -> None:
    """Have tldextract use the public-suffix list it ships, unless the user chose
    other sources; must run before Scrapy's cookies middleware is imported."""
    os.environ.setdefault(SUFFIX_LIST_VARIABLE, "")
