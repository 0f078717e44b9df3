"""The feed's record: one film on one board, as the page showed it.

Typing and normalisation belong to the post-process stage; the feed keeps what the
page says so a later, better normaliser can be re-run over old crawls.
"""

import scrapy


class BoardEntry(scrapy.Item):
    """One line of the feed. Required: board_id, rank, movie_id, title, detail_url,
    page_url, source, crawled_at (checked by :class:`maoyan.pipelines.ValidateEntryPipeline`)."""

    # int: the board, the same for both sources: 4 TOP100, 7 热映口碑榜, 6 最受期待榜,
    # 1 国内票房榜, 2 北美票房榜 (the desktop's and the app API's numbers); 56 周票房榜,
    # 55 购票评分榜 (mobile only). See maoyan_common.boards.
    board_id = scrapy.Field()
    rank = scrapy.Field()  # int: the number in i.board-index / the API's rank
    movie_id = scrapy.Field()  # int: from /films/<id> / the API's id
    title = scrapy.Field()  # str
    stars = scrapy.Field()  # str | None: "张国荣,张丰毅,巩俐", label removed
    director = scrapy.Field()  # str | None: "陈凯歌" (mobile, where the API gives it)
    genres = scrapy.Field()  # str | None: "剧情,犯罪" (mobile)
    # str | None: "1994-09-10(加拿大)" (desktop), "1994-09-13美国上映" (mobile), label removed
    release = scrapy.Field()
    score = scrapy.Field()  # str | None: "9.5" as shown; None where the board shows none
    score_label = scrapy.Field()  # str | None: "猫眼购票评分" / "猫眼综合评分" (mobile)
    # The boards' other numbers, as the page shows them, unit included; None where the
    # board shows none, and where its digits are web-font glyphs (see README). The
    # mobile source gives wish counts as JSON numbers (people).
    box_office_realtime = scrapy.Field()  # str | None: board 1 "2301.42万"; board 2 weekend
    box_office_total = scrapy.Field()  # str | None: "14.52亿", "2468.90万", "3532万美元"
    wish_month = scrapy.Field()  # str | int | None: board 6 本月新增想看 "67913人"; mobile 67913
    wish_total = scrapy.Field()  # str | int | None: board 6 总想看 "127877人"; mobile 127877
    blurb = scrapy.Field()  # str | None: the one-line blurb (mobile: "印度代神药，良心及时现")
    poster_url = scrapy.Field()  # str | None: absolute, from the lazy-load data-src
    detail_url = scrapy.Field()  # str: absolute film page URL
    board_date = scrapy.Field()  # str | None: the board's update date
    source = scrapy.Field()  # str: "desktop" or "mobile", the source the line was read from
    page_url = scrapy.Field()  # str: the page the entry was read from
    crawled_at = scrapy.Field()  # str: ISO-8601 UTC time of the fetch


#: Feed columns, in the order the feed writes them (FEED_EXPORT_FIELDS).
FEED_FIELDS = [
    "board_id",
    "rank",
    "movie_id",
    "title",
    "stars",
    "director",
    "genres",
    "release",
    "score",
    "score_label",
    "box_office_realtime",
    "box_office_total",
    "wish_month",
    "wish_total",
    "blurb",
    "poster_url",
    "detail_url",
    "board_date",
    "source",
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
    "source": str,
    "crawled_at": str,
}
