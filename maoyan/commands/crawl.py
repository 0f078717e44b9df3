"""``scrapy crawl`` with an exit status that tells the truth, and signals that stop at once.

Stock Scrapy exits 0 even after a ban closed the spider, so cron jobs and CI would
never notice. This command runs the crawl as usual, then turns the close-time
verdict of :class:`maoyan.extensions.BoardCompletenessCheck` into the exit status:
0 only for a whole board written, 1 for a crawl that failed, 2 for a usage error
(said in one line before anything starts, in the log file too when there is one, as
under scrapyd), 130 after Ctrl-C and 143 after SIGTERM.

On Ctrl-C Scrapy waits for every request already in the downloader, one waiting out
a ban's back-off of minutes included, and then sends it. Here the first signal stops
the crawl at once (:func:`maoyan.stopping.stop_crawl`: nothing more is sent, the
feed is handled as for any incomplete crawl, a JOBDIR can resume it); a second one
ends the process there and then.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names

from maoyan.arguments import ArgumentError, check_arguments
from maoyan.extensions import exit_status, signal_status, usage_verdict
from maoyan.jobdir import JobMismatchError, prepare_job
from maoyan.outcomes import SIGNAL, VERDICT
from maoyan.spiders.board import BoardSpider
from maoyan.stopping import stop_crawl

if TYPE_CHECKING:
    import argparse
    from types import FrameType

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 1 unless it collected every board whole"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl board`")
        assert self.crawler_process and self.settings is not None
        judged = args[0] == BoardSpider.name  # the spider whose board the verdict judges
        if judged:
            try:
                plan = check_arguments(
                    top100_pages=self.settings.getint("MAOYAN_TOP100_PAGES"), **opts.spargs
                )
                jobdir = self.settings.get("JOBDIR")
                if jobdir and (anew := prepare_job(Path(jobdir), plan.job)):
                    logger.info(anew)
            except (ArgumentError, JobMismatchError) as error:
                self.refuse(args[0], str(error))
                self.exitcode = 2
                return
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        if self.settings.getbool("TWISTED_REACTOR_ENABLED"):
            self.watch_signals(crawler)
            self.crawler_process.start(install_signal_handlers=False)
        else:  # no reactor (Scrapy's reactorless mode): Scrapy's own signal handling
            self.crawler_process.start()
        stats = crawler.stats.get_stats()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif judged:  # 0 only for a whole board written
            self.exitcode = exit_status(stats)
            self.tell_failure(stats)
        elif (stopped := signal_status(stats)) is not None:  # another spider: Scrapy's, or
            self.exitcode = stopped  # a signal's

    def tell_failure(self, stats: dict[str, Any]) -> None:
        """With the log in a file (a cron job's ``-s LOG_FILE=...``), a failed crawl's
        last line goes to stderr too: cron mails that one line, and nothing on a good day."""
        assert self.settings is not None
        verdict = stats.get(VERDICT)
        if self.exitcode and self.settings.get("LOG_FILE") and isinstance(verdict, dict):
            print(
                f"scrapy crawl board: {verdict.get('line')} (log: {self.settings['LOG_FILE']})",
                file=sys.stderr,
            )

    def refuse(self, spider: str, why: str) -> None:
        """One line, before anything starts: not an asyncio traceback. It goes to the log
        file as well when there is one (scrapyd's job log), after the verdict's JSON line
        ``deploy status`` reads."""
        line = f"scrapy crawl {spider}: error: {why}"
        print(line, file=sys.stderr)
        if self.settings is not None and self.settings.get("LOG_FILE"):
            logger.info(usage_verdict(spider, line, why))
            logger.error(line)

    def watch_signals(self, crawler: Crawler) -> None:
        """Install, once the reactor runs, handlers that stop the crawl at the first
        SIGINT/SIGTERM and end the process at the second."""
        from twisted.internet import reactor

        def first(signum: int, _frame: FrameType | None) -> None:
            install_shutdown_handlers(second)
            reactor.callFromThread(self.stop, crawler, signum)

        def second(signum: int, _frame: FrameType | None) -> None:
            install_shutdown_handlers(signal.SIG_IGN)
            reactor.callFromThread(self.kill, signum)

        reactor.addSystemEventTrigger("after", "startup", install_shutdown_handlers, first)

    def stop(self, crawler: Crawler, signum: int) -> None:
        name = signal_names.get(signum, str(signum))
        crawler.stats.set_value(SIGNAL, name)
        logger.info(
            "Received %s: stopping the crawl now, nothing more is fetched (send %s again to "
            "end at once).",
            name,
            "Ctrl-C" if signum == signal.SIGINT else name,
        )
        if not stop_crawl(crawler, "shutdown", f"{name} was received"):
            return
        if crawler.engine is None or crawler.engine.spider is None:  # not started yet
            self.crawler_process.stop()

    @staticmethod
    def kill(signum: int, *_: Any) -> None:
        name = signal_names.get(signum, str(signum))
        logger.error(
            "Received %s twice: ending at once. The feed was not published (an existing one "
            "is left as it was; the next crawl removes the unfinished file).",
            name,
        )
        logging.shutdown()
        os._exit(128 + signum)
