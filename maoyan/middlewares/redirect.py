"""Following Maoyan's first-visit redirect, to the very URL just asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Request

from maoyan.outcomes import SELF_REDIRECT_ADVICE, SelfRedirectLoop
from maoyan.sources.base import BOARD_PAGE

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

#: Request meta key counting how often a page was redirected to itself.
SELF_REDIRECTS = "maoyan_self_redirects"


class SameUrlRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware, also following a redirect to the very same URL.

    Maoyan answers a first visit without its ``uuid`` cookie with a 302 to the URL
    just asked for, setting the cookie; a browser follows it and gets the page.
    Scrapy's duplicate filter drops such a redirect as a page already seen, and the
    page is lost without a word. Here it is followed (with the cookie the jar has
    just stored) at most ``MAOYAN_SELF_REDIRECT_TIMES`` times; a page that still
    redirects to itself fails with a :class:`~maoyan.outcomes.SelfRedirectLoop` that
    says so. Any other redirect of a board page is followed even to a page seen
    before, for the same reason.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.self_redirect_limit = settings.getint("MAOYAN_SELF_REDIRECT_TIMES")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if not isinstance(result, Request):
            return result
        same_url = result.url == request.url
        if same_url or request.meta.get(BOARD_PAGE):
            # A redirect to a page already fetched would be dropped by the duplicate
            # filter without a word; followed, it ends parsed or failed (a chain is
            # bounded by REDIRECT_MAX_TIMES, a loop on one URL by the limit below).
            result.dont_filter = True
        if not same_url:
            return result
        hops = request.meta.get(SELF_REDIRECTS, 0) + 1
        if hops > self.self_redirect_limit:
            self.crawler.stats.inc_value("redirect/self_loop")
            raise SelfRedirectLoop(
                f"the site redirected it to itself {hops} times in a row, even with the "
                f"cookies it set; {SELF_REDIRECT_ADVICE}"
            )
        self.crawler.stats.inc_value("redirect/same_url")
        result.meta[SELF_REDIRECTS] = hops
        # A browser following the redirect keeps the Referer it sent (or none), not
        # the page itself, which Scrapy's referer policy would put there.
        result.headers.pop(b"Referer", None)
        if referer := request.headers.get(b"Referer"):
            result.headers[b"Referer"] = referer
        return result
