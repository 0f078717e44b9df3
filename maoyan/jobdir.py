"""A job folder (``-s JOBDIR=DIR``) between runs: resume it, start it anew, or refuse it.

Scrapy keeps a job's pending requests (``requests.queue``), the fingerprints of the
requests it sent (``requests.seen``) and the spider's ``state`` (``spider.state``) in
the folder. A cron line with a fixed JOBDIR runs the same job every day: once a crawl
of it ended complete, every page is "seen", and the next day's crawl would send no
request and find nothing missing. So a job whose crawl ended complete starts anew, and
a job left by a crawl of another source or board is refused: its state would count
films and pages of another board.
"""

from __future__ import annotations

import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

from maoyan.scrapy_compat import JOB_FILES, SPIDER_STATE_FILE


@dataclass(frozen=True)
class Job:
    """Which crawl a job folder belongs to: kept in the spider's state as ``job``.
    ``source`` and ``board`` name the crawl's sources and boards, comma-separated, in
    crawl order."""

    source: str
    board: str

    def describe(self) -> str:
        """``the desktop source's top100 board``, ``the desktop and mobile sources'
        top100, most-expected boards``."""
        sources, boards = self.source.split(","), self.board.split(",")
        whose = " and ".join(sources) + (" source's" if len(sources) == 1 else " sources'")
        return f"the {whose} {', '.join(boards)} board{'s' if len(boards) > 1 else ''}"


class JobMismatchError(ValueError):
    """A job folder left by a crawl of another source or board."""


def read_state(jobdir: Path) -> dict | None:
    """The spider state an earlier run left, or ``None`` for a new job."""
    path = jobdir / SPIDER_STATE_FILE
    if not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            state = pickle.load(file)  # the job folder is the user's own
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise JobMismatchError(
            f"JOBDIR={jobdir}: its spider.state cannot be read ({error}); remove the "
            "folder or give another JOBDIR"
        ) from error
    return state if isinstance(state, dict) else None


def prepare_job(jobdir: Path, job: Job) -> str | None:
    """Make ``jobdir`` ready for a crawl of ``job``. Returns a line to log when the folder
    held a complete crawl and was emptied for a new one; raises :class:`JobMismatchError`
    when it holds another source's or board's job."""
    state = read_state(jobdir)
    if state is None:
        return None
    if isinstance(kept := state.get("job"), dict):
        earlier = Job(str(kept.get("source")), str(kept.get("board")))
    else:  # a job begun before jobs were named: taken as this one
        earlier = job
    if earlier != job:
        raise JobMismatchError(
            f"JOBDIR={jobdir} holds a job of {earlier.describe()}, and this crawl is "
            f"of {job.describe()}: give each source and board a JOBDIR of its own (or "
            "remove this folder)"
        )
    if not state.get("complete"):
        return None
    for name in JOB_FILES:
        path = jobdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return (
        f"JOBDIR {jobdir}: its last crawl of {job.describe()} ended complete, so this is a "
        "new crawl (every page is fetched again)."
    )
