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
# Site root; tests and the offline demo point it at the local stand-in site (an empty
# variable, as an unset one in a cron line, means the default).
MAOYAN_BASE_URL = os.environ.get("MAOYAN_BASE_URL") or "https://www.maoyan.com"
# The mobile source (-a source=mobile): the mobile site's root, for its board pages,
# and the root of the JSON its pages load as the reader scrolls. Tests and the offline
# demo point both at the local stand-in.
MAOYAN_MOBILE_BASE_URL = os.environ.get("MAOYAN_MOBILE_BASE_URL") or "https://m.maoyan.com"
MAOYAN_MOBILE_API_URL = os.environ.get("MAOYAN_MOBILE_API_URL") or "https://i.maoyan.com"
# Pages of the desktop TOP100 (ten films each): `-a pages=N` beyond them is a usage
# error. The crawl benchmark raises it for its larger stand-in.
MAOYAN_TOP100_PAGES = 10
# Films asked for in one JSON request of the mobile source (the site may answer fewer;
# the next request asks for the rest): 100 took the whole TOP100 in one request (2023).
MAOYAN_MOBILE_BATCH = 100
# Cookie header of a browser session logged in to maoyan.com ("a=1; b=2"), for users
# whose crawls meet the verification page. Read from the environment: it is a secret.
MAOYAN_COOKIE = os.environ.get("MAOYAN_COOKIE", "")

# --- Who we are -------------------------------------------------------------------
# Honest, in the form well-behaved crawlers use ("Mozilla/5.0 (compatible; Googlebot/2.1;
# +http://www.google.com/bot.html)"): since 2026 Maoyan refuses (403) any User-Agent
# without "Mozilla/5.0", and this form passes that check while saying plainly that
# we are a crawler, which one, and how to reach whoever runs it. MAOYAN_CONTACT (an
# e-mail address or a URL) fills in the last part; MAOYAN_USER_AGENT replaces it all.
CRAWLER_NAME = "maoyan-board-crawler/1.1"
MAOYAN_CONTACT = os.environ.get("MAOYAN_CONTACT", "")
USER_AGENT = os.environ.get(
    "MAOYAN_USER_AGENT",
    f"Mozilla/5.0 (compatible; {CRAWLER_NAME}; "
    f"+{MAOYAN_CONTACT or 'operator: set MAOYAN_CONTACT'})",
)
# What a browser sends when a person opens a page: Maoyan serves Chinese pages, and
# a request without Accept or Accept-Language looks like no browser at all. The spider
# adds a same-site Referer from the second page on, as following the pager would.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}
# robots.txt is the site's word on what crawlers may fetch; we obey it.
ROBOTSTXT_OBEY = True

# --- Pace -------------------------------------------------------------------------
# One request at a time to the site: ten pages need no parallelism, and a burst is
# what gets a crawler banned.
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# One request in the downloader at all: after a ban, nothing already queued is sent
# before the crawl has backed off (the crawl is one site, so nothing is lost).
CONCURRENT_REQUESTS = 1
# No next request while an answer is still being read (any answer counts at least
# 1 KiB here): a board's follow-up (the mobile JSON after its page) is scheduled
# before the next request is taken, so the boards of a crawl of several come one
# after another, in their fixed order, every run alike.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1000
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
# Scrapy's list without a name that does not resolve and a port that refuses (neither
# is a passing fault, and retrying them took minutes to say the site was unreachable),
# and with the OSErrors a retry can fix named instead of all of OSError (a full disk or
# a missing file is no network fault).
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    TimeoutError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
RETRY_BACKOFF_BASE = 5.0
RETRY_BACKOFF_MAX = 120.0
# A ban (403 "too frequent", 302 to the verification page, a page without the board)
# is retried at most this many times, after MAOYAN_BAN_BACKOFF seconds, doubling;
# then the crawl stops with finish reason "banned".
MAOYAN_BAN_RETRY_TIMES = 2
MAOYAN_BAN_BACKOFF = 30.0
# Ban detection (maoyan.middlewares.bandetection) is what makes a banned crawl stop
# instead of scraping ban pages; only tests of the bare middleware chain turn it off.
MAOYAN_BAN_DETECTION_ENABLED = True
# When this many board pages in a row time out (after their retries), the site is
# unreachable: stop with finish reason "unreachable" instead of trying the rest. A host
# that does not resolve or refuses connections is unreachable at the first request.
MAOYAN_UNREACHABLE_PAGES = 2
# A first visit is redirected to the same URL to set Maoyan's uuid cookie (followed
# once). A page still redirecting to itself after this many hops fails with a reason.
MAOYAN_SELF_REDIRECT_TIMES = 2
# Where a page that is no board page this crawler can read (and no ban page) is saved
# for a person to inspect. Unset: beside the log file (scrapyd's job logs), else in the
# project's .scrapy/unreadable.
MAOYAN_UNREADABLE_DIR = os.environ.get("MAOYAN_UNREADABLE_DIR", "")
# A board whose update date is older than this many days is named in the log: its
# numbers are history, not today's (北美票房榜 has not been updated since 2018).
MAOYAN_STALE_BOARD_DAYS = 31

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's hands "no robots.txt" to some of the requests waiting for it (2.19), so
    # a forbidden page could be fetched: ours gives every waiting request the answer.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "maoyan.middlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "maoyan.middlewares.retry.BackoffRetryMiddleware": 550,
    # Scrapy's, also following the first-visit redirect to the same URL (which the
    # duplicate filter would drop), a bounded number of times.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "maoyan.middlewares.redirect.SameUrlRedirectMiddleware": 600,
    # Above RedirectMiddleware (600), to see the 302 to the verification page, and
    # above HttpCacheMiddleware (900), so a ban is never cached.
    "maoyan.middlewares.bandetection.BanDetectionMiddleware": 950,
}
# Scrapy's CookiesMiddleware keeps Maoyan's uuid cookie. It judges public suffixes
# with tldextract, told to use the list it ships (maoyan.scrapy_compat): offline, the
# default would first try to download the list, stalling the crawl.

# --- Output -----------------------------------------------------------------------
ITEM_PIPELINES = {
    "maoyan.pipelines.ValidateEntryPipeline": 100,
    "maoyan.pipelines.DedupeEntryPipeline": 200,
}
# The close-time check judges the crawl before Scrapy's own extensions (order 0) close:
# before SpiderState saves a job's state (which keeps whether the crawl ended complete)
# and before the feed is stored (only a complete crawl replaces an -O feed).
EXTENSIONS = {
    "maoyan.extensions.BoardCompletenessCheck": -1,
}
# A local feed (-O/-o FILE, scrapyd's items_dir) is written under a temporary name and
# moved into place when the crawl closes: a banned, unreachable or killed crawl never
# leaves yesterday's feed emptied or half-written.
FEED_STORAGES = {
    "": "maoyan.feedstorage.AtomicFileFeedStorage",
    "file": "maoyan.feedstorage.AtomicFileFeedStorage",
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
