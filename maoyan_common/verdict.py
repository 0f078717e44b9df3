"""The crawl's verdict as one JSON log line, for programs (``python -m deploy status``)
rather than people: the crawl writes it just before its last line."""

from __future__ import annotations

import json
from typing import Any

#: What starts the line: ``Verdict (JSON): {...}``.
MARK = "Verdict (JSON): "


def verdict_line(fields: dict[str, Any]) -> str:
    return MARK + json.dumps(fields, ensure_ascii=False)


def last_verdict(log: str) -> dict[str, Any] | None:
    """The last verdict a log holds (a job's log may hold several runs), or ``None``."""
    for line in reversed(log.splitlines()):
        _, mark, rest = line.partition(MARK)
        if mark:
            try:
                found = json.loads(rest)
            except json.JSONDecodeError:
                continue
            if isinstance(found, dict):
                return found
    return None
