"""The feed's record: one film on one board, as the page showed it.

Typing and normalisation belong to the post-process stage; the feed keeps what the
page says so a later, better normaliser can be re-run over old crawls.
"""

import scrapy


class BoardEntry(scrapy.Item):
    """One line of the feed. Required: board_id, rank, movie_id, title, detail_url,
    page_url, crawled_at (checked by :class:`maoyan.pipelines.ValidateEntryPipeline`)."""

    board_id = scrapy.Field()  # int: 4 for TOP100
    rank = scrapy.Field()  # int: the number in i.board-index
    movie_id = scrapy.Field()  # int: from /films/<id>
    title = scrapy.Field()  # str
    stars = scrapy.Field()  # str | None: "张国荣,张丰毅,巩俐", label removed
    release = scrapy.Field()  # str | None: "1994-09-10(加拿大)", label removed
    score = scrapy.Field()  # str | None: "9.5" as shown
    # The boards' other numbers, as the page shows them, unit included; None where the
    # board shows none, and where its digits are web-font glyphs (see README).
    box_office_realtime = scrapy.Field()  # str | None: board 1 "2301.42万"; board 2 weekend
    box_office_total = scrapy.Field()  # str | None: "14.52亿", "2468.90万", "3532万美元"
    wish_month = scrapy.Field()  # str | None: board 6 本月新增想看 "67913人"
    wish_total = scrapy.Field()  # str | None: board 6 总想看 "127877人"
    poster_url = scrapy.Field()  # str | None: absolute, from the lazy-load data-src
    detail_url = scrapy.Field()  # str: absolute film page URL
    board_date = scrapy.Field()  # str | None: the board's update date
    page_url = scrapy.Field()  # str: the page the entry was read from
    crawled_at = scrapy.Field()  # str: ISO-8601 UTC time of the fetch


#: Feed columns, in the order the feed writes them (FEED_EXPORT_FIELDS).
FEED_FIELDS = [
    "board_id",
    "rank",
    "movie_id",
    "title",
    "stars",
    "release",
    "score",
    "box_office_realtime",
    "box_office_total",
    "wish_month",
    "wish_total",
    "poster_url",
    "detail_url",
    "board_date",
    "page_url",
    "crawled_at",
]

#: Fields without which a feed line is useless; other fields may be None.
REQUIRED_FIELDS = {
    "board_id": int,
    "rank": int,
    "movie_id": int,
    "title": str,
    "detail_url": str,
    "page_url": str,
    "crawled_at": str,
}
