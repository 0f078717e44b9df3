"""Retries that slow the whole site down, not just the retried request.

AutoThrottle adapts to latency but does not slow down on 429/503, and Scrapy's
RetryMiddleware retries at once. Here each retry first raises the delay of the site's
download slot: every later request to the site waits too, and AutoThrottle then eases
the delay back down as healthy answers come in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request

from maoyan.outcomes import UNREACHABLE_REASON
from maoyan.scrapy_compat import slow_down

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: ``base``, ``2*base``, ``4*base``... never above ``cap``."""
    return min(cap, base * 2 ** max(attempt - 1, 0))


def retry_after_seconds(response: Response | None) -> float | None:
    """The server's own ``Retry-After`` in seconds, when it gives one as a number."""
    if response is None:
        return None
    value = response.headers.get(b"Retry-After")
    try:
        return float(value.decode("ascii")) if value else None
    except (UnicodeDecodeError, ValueError):
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, plus a growing slot delay before each retry.

    Settings: ``RETRY_BACKOFF_BASE`` (seconds before the first retry),
    ``RETRY_BACKOFF_MAX`` (the cap); a numeric ``Retry-After`` from the server is
    honoured up to the cap.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self.back_off(result, retry_after_seconds(response))
        return result

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if self.crawler.stats.get_value(UNREACHABLE_REASON):
            return None  # the crawl is stopping: no retry of a page in flight
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self.back_off(result, None)
        return result

    def back_off(self, retry: Request, retry_after: float | None) -> None:
        delay = backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap)
        if retry_after is not None:
            delay = min(self.cap, max(delay, retry_after))
        slot_delay = slow_down(self.crawler, retry, delay)
        logger.info(
            "Slowing down: %s failed, retrying in %.1fs (retry %d)",
            retry.url,
            slot_delay,
            retry.meta.get("retry_times", 1),
        )
