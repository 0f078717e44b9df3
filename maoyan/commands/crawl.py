"""``scrapy crawl`` that exits 1 when the board was not fully collected.

Stock Scrapy exits 0 even after a ban closed the spider, so cron jobs and CI would
never notice. This command runs the crawl as usual, then turns the close-time
verdict of :class:`maoyan.extensions.BoardCompletenessCheck` into the exit status;
a wrong spider argument exits 2 with one line before anything starts.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from maoyan.extensions import crawl_succeeded
from maoyan.spiders.board import ArgumentError, BoardSpider, check_arguments

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 1 unless it collected the whole board"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl board`")
        assert self.crawler_process
        if args[0] == BoardSpider.name:
            try:
                check_arguments(**opts.spargs)
            except ArgumentError as error:
                # One line, before anything starts: not an asyncio traceback.
                print(f"scrapy crawl {args[0]}: error: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or not crawl_succeeded(crawler.stats.get_stats()):
            self.exitcode = 1
