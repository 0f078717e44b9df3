"""Settings for the maoyan project: polite by default, each value with its reason.

Override any of them per run with ``-s NAME=VALUE`` (or scrapyd's ``setting=``).
Secrets and per-user values come from environment variables, never from this file.
"""

import os

from maoyan.items import FEED_FIELDS

BOT_NAME = "maoyan"
SPIDER_MODULES = ["maoyan.spiders"]
NEWSPIDER_MODULE = "maoyan.spiders"
# Our `crawl` exits 1 when the board was not fully collected (stock Scrapy exits 0).
COMMANDS_MODULE = "maoyan.commands"

# --- The site ---------------------------------------------------------------------
# Site root; tests and the offline demo point it at the local stand-in site.
MAOYAN_BASE_URL = os.environ.get("MAOYAN_BASE_URL", "https://www.maoyan.com")
# Cookie header of a browser session logged in to maoyan.com ("a=1; b=2"), for users
# whose crawls meet the verification page. Read from the environment: it is a secret.
MAOYAN_COOKIE = os.environ.get("MAOYAN_COOKIE", "")

# --- Who we are -------------------------------------------------------------------
# Honest by default: say what we are. Set MAOYAN_USER_AGENT to your own string
# (with a contact) if you run the crawler on a schedule.
USER_AGENT = os.environ.get(
    "MAOYAN_USER_AGENT",
    "maoyan-board-crawler/1.0 (Scrapy; polite: one request at a time, robots.txt obeyed)",
)
# robots.txt is the site's word on what crawlers may fetch; we obey it.
ROBOTSTXT_OBEY = True

# --- Pace -------------------------------------------------------------------------
# One request at a time to the site: ten pages need no parallelism, and a burst is
# what gets a crawler banned.
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# One request in the downloader at all: after a ban, nothing already queued is sent
# before the crawl has backed off (the crawl is one site, so nothing is lost).
CONCURRENT_REQUESTS = 1
# At least 1.5 s between requests, varied by +/-50% so the rhythm is not robotic.
DOWNLOAD_DELAY = 1.5
DOWNLOAD_DELAY_JITTER = 0.5
# AutoThrottle stretches the delay when the site slows down (never below DOWNLOAD_DELAY).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30

# --- Failures ---------------------------------------------------------------------
# Retries for 429, 5xx, 408, timeouts and dropped connections (Scrapy's lists), each
# after a growing pause for the whole site: AutoThrottle does not slow down on
# 429/503 by itself. The pause starts at RETRY_BACKOFF_BASE and doubles.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 5.0
RETRY_BACKOFF_MAX = 120.0
# A ban (403 "too frequent", 302 to the verification page, a page without the board)
# is retried at most this many times, after MAOYAN_BAN_BACKOFF seconds, doubling;
# then the crawl stops with finish reason "banned".
MAOYAN_BAN_RETRY_TIMES = 2
MAOYAN_BAN_BACKOFF = 30.0
# When this many board pages in a row cannot even connect (after their retries), the
# site is unreachable: stop with finish reason "unreachable" instead of trying the rest.
MAOYAN_UNREACHABLE_PAGES = 2

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's, with a fix so no request slips past a robots.txt still being fetched.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "maoyan.middlewares.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "maoyan.middlewares.BackoffRetryMiddleware": 550,
    # Above RedirectMiddleware (600), to see the 302 to the verification page, and
    # above HttpCacheMiddleware (900), so a ban is never cached.
    "maoyan.middlewares.BanDetectionMiddleware": 950,
}

# --- Output -----------------------------------------------------------------------
ITEM_PIPELINES = {
    "maoyan.pipelines.ValidateEntryPipeline": 100,
    "maoyan.pipelines.DedupeEntryPipeline": 200,
}
EXTENSIONS = {
    "maoyan.extensions.BoardCompletenessCheck": 500,
}
# Chinese as it is in the feed, not \uXXXX escapes.
FEED_EXPORT_ENCODING = "utf-8"
# Every feed line has every field of the contract (null where the page showed none).
FEED_EXPORT_FIELDS = FEED_FIELDS
LOG_LEVEL = os.environ.get("MAOYAN_LOG_LEVEL", "INFO")

# --- Development ------------------------------------------------------------------
# MAOYAN_HTTPCACHE=1 keeps fetched pages in .scrapy/httpcache for a day, to iterate on
# parsing without fetching the site again. Off by default: a crawl must see today's board.
HTTPCACHE_ENABLED = os.environ.get("MAOYAN_HTTPCACHE", "") == "1"
HTTPCACHE_EXPIRATION_SECS = 24 * 3600
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [301, 302, 403, 404, 408, 429, 500, 502, 503, 504]

# --- Safety -----------------------------------------------------------------------
# Both are network ports that execute code on the crawl host; nothing here needs them.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
