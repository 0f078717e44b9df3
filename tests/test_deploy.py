"""``python -m deploy status`` reads a job's outcome from the verdict's JSON line the
crawl writes (the jobs of a real scrapyd are in test_scrapyd.py)."""

from __future__ import annotations

from deploy.__main__ import job_outcome
from maoyan_common.verdict import verdict_line

CLOSED = "2026-11-26 08:00:47 [scrapy.core.engine] INFO: Spider closed (banned)\n"


def test_the_last_verdict_of_a_log_is_the_outcome() -> None:
    earlier = verdict_line(
        {"finish_reason": "banned", "exit_status": 1, "line": "Board incomplete"}
    )
    later = verdict_line(
        {
            "finish_reason": "finished",
            "exit_status": 0,
            "line": "Board complete: all 100 films collected.",
        }
    )
    log = f"x [maoyan.extensions] INFO: {earlier}\nx [maoyan.extensions] INFO: {later}\n"
    assert job_outcome(log) == (True, "OK (finished): Board complete: all 100 films collected.")


def test_a_failed_verdict_drops_the_exit_status_words() -> None:
    line = "Board incomplete: the crawl was stopped by a ban. `scrapy crawl` exits with status 1."
    log = verdict_line({"finish_reason": "banned", "exit_status": 1, "line": line})
    assert job_outcome(CLOSED + log) == (
        False,
        "FAILED (banned): Board incomplete: the crawl was stopped by a ban.",
    )


def test_a_usage_error_and_logs_without_a_verdict() -> None:
    usage = verdict_line({"finish_reason": "usage", "exit_status": 2, "why": "board= is empty"})
    assert job_outcome(usage) == (False, "FAILED (usage): board= is empty")
    assert job_outcome(CLOSED) == (
        False,
        "UNKNOWN: the crawl closed without a verdict line (an older version?)",
    )
    assert job_outcome("") == (
        False,
        "the log has no end: the crawl was killed or is still running",
    )
