"""A local feed file that is never half-written, and never replaced by an incomplete crawl.

Scrapy's FileFeedStorage opens ``-O out.jsonl`` for writing (emptying it) when the
crawl starts, so a crawl that is banned, unreachable or killed replaces yesterday's
good feed with an empty or partial one. Here the feed is written to a hidden
temporary file beside its destination (``.out.jsonl.PID.RANDOM.partial``) and moved
into place only when the crawl closes:

* with ``-O`` (overwrite), only a crawl judged complete replaces ``out.jsonl``; an
  incomplete one publishes its films beside it as ``out.incomplete.jsonl``, so the
  last complete feed stays where the next step of a daily job reads it;
* with ``-o`` (append), the temporary file starts as a copy of the existing feed and
  replaces it at close, complete or not; with no feed there yet (scrapyd's feed of a
  job in its ``items_dir`` is always new), there is nothing to add to, and ``-o`` is
  ``-O``: an incomplete crawl's films go to ``<job>.incomplete.jl``, so a post-process
  over scrapyd's items never takes a partial board for a day's;
* a job (``-s JOBDIR=DIR``) resumed with ``-O`` starts from the films its earlier runs
  published in ``out.incomplete.jsonl``, so the same command, run again, ends with the
  whole board in ``out.jsonl``;
* a killed crawl leaves the previous files as they were.

A write that fails (a full disk, a read-only folder, no permission) stops the crawl at
once with finish reason ``feed_failed``: every later page would be lost too. The same
holds for the feed scrapyd asks for in its ``items_dir``.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import FileFeedStorage

from maoyan.outcomes import (
    BOARD_COMPLETE,
    FEED_FAILED,
    FEED_INCOMPLETE,
    FEED_LACKS_EARLIER,
    FEED_WRITTEN,
)
from maoyan.scrapy_compat import FEED_EXPORT_LOGGER, FEED_STORED_MESSAGES
from maoyan.stopping import stop_crawl
from maoyan_common.files import move_into_place, real, remove_leftovers, temporary_beside

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: What to do, by the system's reason a write failed.
ADVICE = {
    errno.ENOSPC: "free space on that disk, or write the feed to another disk",
    errno.EDQUOT: "free space within your disk quota, or write the feed elsewhere",
    errno.EROFS: "the file system is read-only: write the feed to a writable folder",
    errno.EACCES: "this user may not write there: fix the folder's permissions or "
    "write the feed elsewhere",
    errno.EPERM: "this user may not write there: fix the folder's permissions or "
    "write the feed elsewhere",
}


def incomplete_path(target: Path) -> Path:
    """``out.jsonl`` -> ``out.incomplete.jsonl``: where an incomplete crawl's films go."""
    return target.with_name(f"{target.stem}.incomplete{target.suffix}")


class FeedNotWrittenError(OSError):
    """The feed could not be written; the crawl has said so in one line already."""


class GuardedFile(io.RawIOBase):
    """The temporary feed, written through at once; a failed write is reported once and
    every later write is dropped (the crawl is stopping, the file will be removed)."""

    def __init__(self, raw: io.FileIO | None, storage: AtomicFileFeedStorage) -> None:
        super().__init__()
        self.raw = raw
        self.storage = storage

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if self.raw is None or self.storage.failure:
            return len(view)
        try:
            written = 0
            while written < len(view):
                written += self.raw.write(view[written:]) or 0
        except OSError as error:
            self.storage.failed(error)
        return len(view)

    def fileno(self) -> int:
        if self.raw is None:
            raise OSError(errno.EBADF, "the feed was never opened")
        return self.raw.fileno()

    def close(self) -> None:
        if self.raw is not None and not self.raw.closed:
            self.raw.close()
        super().close()


class SilencedFeedLine(logging.Filter):
    """Drops Scrapy's "Stored ... in: URI" / "Error storing ..." line for a feed this
    storage did not write where Scrapy would say (it says where the films went itself)."""

    def __init__(self, uri: str) -> None:
        super().__init__()
        self.uri = uri
        self.active = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.active or record.msg not in FEED_STORED_MESSAGES:
            return True
        return not str(record.args[0] if record.args else "").endswith(f"in: {self.uri}")


class AtomicFileFeedStorage(FileFeedStorage):
    """Scrapy's local-file feed storage, publishing the feed only when it is whole."""

    def __init__(
        self,
        uri: str,
        *,
        feed_options: dict[str, Any] | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.given = Path(self.path)
        #: The file itself: a symlinked feed is written through to the link's target.
        self.target = real(Path(self.path))
        self.temp: Path | None = None
        self.failure: str | None = None
        self.quiet = SilencedFeedLine(uri)
        logging.getLogger(FEED_EXPORT_LOGGER).addFilter(self.quiet)

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> Self:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def failed(self, error: OSError) -> None:
        """Say once that the feed cannot be written, and stop the crawl."""
        if self.failure:
            return
        reason = f"[Errno {error.errno}] {error.strerror}" if error.strerror else str(error)
        self.failure = f"{self.given}: {reason}"
        advice = ADVICE.get(error.errno or 0, "check the folder and the disk")
        if self.crawler is not None:
            self.crawler.stats.set_value(FEED_FAILED, self.failure)
        logger.error(
            "Cannot write the feed %s: %s (%s). Stopping the crawl (finish reason "
            "'feed_failed'): every further page would be lost too. What to do: %s, then "
            "run the crawl again; %s",
            self.given,
            reason,
            f"writing {error.filename or self.temp or self.target}",
            advice,
            f"the existing {self.given} was left as it was."
            if self.target.exists()
            else "no feed was written.",
        )
        if self.crawler is not None:
            stop_crawl(self.crawler, "feed_failed", f"the feed {self.failure}")

    def open(self, spider: Spider) -> IO[bytes]:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            for path in remove_leftovers(self.target):
                logger.info("Removed %s, the unfinished feed of a crawl that was killed", path)
            self.temp = temporary_beside(self.target)
            if self.write_mode == "ab" and not self.target.exists():
                self.write_mode = "wb"  # nothing to add to: this crawl's feed alone, as -O
            if seed := self.earlier_films():
                shutil.copyfile(seed, self.temp)  # added to a copy, not to the original
            raw = io.FileIO(self.temp, "a")
        except OSError as error:
            self.failed(error)
            return GuardedFile(None, self)  # type: ignore[return-value]
        return GuardedFile(raw, self)  # type: ignore[return-value]

    def earlier_films(self) -> Path | None:
        """What the feed starts from: the existing feed with ``-o``; with ``-O``, when a job
        (JOBDIR) is resumed, the films its earlier runs published aside."""
        if self.write_mode == "ab":
            return self.target if self.target.exists() else None
        spider = self.crawler.spider if self.crawler is not None else None
        state = getattr(spider, "state", None) or {}
        aside = incomplete_path(self.target)
        if state.get("runs", 0) <= 1:
            return None
        if aside.exists():
            return aside
        if state.get("ranks") and self.crawler is not None:
            self.crawler.stats.set_value(FEED_LACKS_EARLIER, str(aside))
            logger.warning(
                "This job (JOBDIR) is resumed, but %s, which held the films of its earlier "
                "runs, is gone: the feed will hold this run's films only, so the board cannot "
                "be complete. Remove the JOBDIR to crawl the whole board again.",
                aside,
            )
        return None

    def store(self, file: IO[bytes]) -> None:
        if not self.failure:
            try:
                os.fsync(file.fileno())
            except OSError as error:
                self.failed(error)
        file.close()
        if self.failure:
            self.discard()
            raise FeedNotWrittenError(self.failure)
        assert self.temp is not None
        complete = self.crawler is None or self.crawler.stats.get_value(BOARD_COMPLETE, True)
        try:
            if self.write_mode == "wb" and not complete:
                self.publish_incomplete()
            else:
                self.publish()
        except OSError as error:
            self.failed(error)
            self.discard()
            raise FeedNotWrittenError(self.failure) from error

    def discard(self) -> None:
        self.quiet.active = True
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)

    def publish(self) -> None:
        assert self.temp is not None
        if self.write_mode == "wb":
            stale = incomplete_path(self.target)
            if stale.exists():
                stale.unlink()
                logger.info("Removed %s, the films of an earlier incomplete crawl", stale)
        if self.write_mode == "wb" and not self.temp.stat().st_size and self.target.exists():
            self.discard()
            logger.warning(
                "This crawl collected no film, so %s was left as it was (the feed of an "
                "earlier crawl), not replaced by an empty file.",
                self.given,
            )
            return
        self.move_into_place(self.target)
        if self.crawler is not None:
            self.crawler.stats.set_value(FEED_WRITTEN, str(self.given))

    def publish_incomplete(self) -> None:
        """An incomplete crawl's films, beside the feed: the feed keeps the last whole board."""
        assert self.temp is not None
        aside = incomplete_path(self.target)
        kept = "was left as it was" if self.target.exists() else "was not written"
        if not self.temp.stat().st_size:
            self.discard()
            aside.unlink(missing_ok=True)
            logger.warning("This crawl collected no film, so %s %s.", self.given, kept)
            return
        self.move_into_place(aside)
        self.quiet.active = True
        films = self.crawler.stats.get_value("item_scraped_count", 0) if self.crawler else 0
        if self.crawler is not None:
            self.crawler.stats.set_value(FEED_INCOMPLETE, str(aside))
        logger.warning(
            "The crawl was incomplete, so %s %s; this crawl's %d film(s) are in %s.",
            self.given,
            kept,
            films,
            aside,
        )

    def move_into_place(self, destination: Path) -> None:
        assert self.temp is not None
        move_into_place(self.temp, destination)
