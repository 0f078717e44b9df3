"""Downloader middlewares, one per module, as Scrapy's own are laid out.

* :mod:`~maoyan.middlewares.robotstxt` -- robots.txt, fetched once per site through the
  engine, every waiting request given its answer;
* :mod:`~maoyan.middlewares.retry` -- Scrapy's retries, with the whole site slowed down
  before each;
* :mod:`~maoyan.middlewares.redirect` -- Scrapy's redirects, also to the very same URL
  (Maoyan's first-visit cookie handshake);
* :mod:`~maoyan.middlewares.bandetection` -- bans, refusals, unreadable pages and the
  end of a board, and nothing sent once the crawl is stopping.

What each ending means and how it is said lives in :mod:`maoyan.outcomes`.
"""
