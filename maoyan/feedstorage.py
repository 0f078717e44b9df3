"""A local feed file that is never half-written: written aside, moved into place at close.

Scrapy's FileFeedStorage opens ``-O out.jsonl`` for writing (emptying it) when the
crawl starts, so a crawl that is banned, unreachable or killed replaces yesterday's
good feed with an empty or partial one. Here the feed is written to a hidden
temporary file beside its destination (``.out.jsonl.PID.RANDOM.partial``) and moved
over it only when the crawl closes: a killed crawl leaves the previous file as it
was, and a closed one, complete or not, publishes what it collected, whole. With
``-o`` (append) the temporary file starts as a copy of the existing feed. The same
holds for the feed scrapyd asks for in its ``items_dir``.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import FileFeedStorage

if TYPE_CHECKING:
    from scrapy import Spider

logger = logging.getLogger(__name__)

#: ``.NAME.PID.RANDOM.partial``: the PID tells a later crawl whether the writer is alive.
PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.partial$")


def writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(target: Path) -> list[Path]:
    """Temporary feeds a killed crawl left beside ``target``: never complete, never
    cleaned by anyone else."""
    removed = []
    for path in target.parent.glob(f".{glob.escape(target.name)}.*.partial"):
        match = PARTIAL.match(path.name)
        if match and match["name"] == target.name and writer_alive(int(match["pid"])):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


class AtomicFileFeedStorage(FileFeedStorage):
    """Scrapy's local-file feed storage, publishing the feed only when it is whole."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.target = Path(self.path)
        self.temp: Path | None = None

    def open(self, spider: Spider) -> IO[bytes]:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        for path in remove_leftovers(self.target):
            logger.info("Removed %s, the unfinished feed of a crawl that was killed", path)
        handle, name = tempfile.mkstemp(
            prefix=f".{self.target.name}.{os.getpid()}.", suffix=".partial", dir=self.target.parent
        )
        os.close(handle)
        self.temp = Path(name)
        if self.write_mode == "ab" and self.target.exists():
            shutil.copyfile(self.target, self.temp)  # append to a copy, not to the original
        return self.temp.open("ab")

    def store(self, file: IO[bytes]) -> None:
        assert self.temp is not None
        file.flush()
        os.fsync(file.fileno())
        file.close()
        if self.write_mode == "wb" and not self.temp.stat().st_size and self.target.exists():
            self.temp.unlink()
            logger.warning(
                "This crawl collected no film, so %s was left as it was (the feed of an "
                "earlier crawl), not replaced by an empty file.",
                self.target,
            )
            return
        try:
            mode = stat.S_IMODE(self.target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(self.temp, mode)
        os.replace(self.temp, self.target)
