"""What the crawler and the post-process both know, without Scrapy: Maoyan's boards
(:mod:`~maoyan_common.boards`), Beijing's clock (:mod:`~maoyan_common.clock`),
publishing a file atomically (:mod:`~maoyan_common.files`) and the crawl's verdict
line a program reads (:mod:`~maoyan_common.verdict`).

The Scrapy project (``maoyan``) and the post-process (``postprocess``, which never
imports the Scrapy project) both read it; it imports neither.
"""
