"""Two sources, one board, one day, one film: each field from the latest line that has it.

The desktop pages draw some numbers with a web font (wish counts, box office), so a
desktop line holds them as null where the mobile site's line of the same day shows
them; the mobile site gives no stars or blurb on some boards. Letting the later line
win whole would blank the other source's numbers for that day (a gap in the report's
wish chart). So, per board, day and film, each field is taken from the latest line
that has it, of each source's latest line that day (a source's own earlier line of
the day, an earlier crawl, gives nothing), and the row's ``source`` names every
source it took a field from (``desktop+mobile``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Fields that say where and when a line was read, not what the board showed: never
#: taken from another line (a mobile board page dates no film: the films of its crawl
#: are dated by the crawl's other answers, see postprocess.history).
OWN_FIELDS = frozenset({"source", "crawled_at", "page_url", "board_date"})


def joined_sources(sources: Sequence[str | None]) -> str | None:
    """The sources a row took fields from, as one name: ``desktop+mobile``."""
    named = sorted({source for source in sources if source})
    return "+".join(named) if named else None


def filled(latest: dict[str, Any], earlier: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``latest`` with each field it lacks (null or empty) taken from the first of
    ``earlier`` (latest first) that has it; its ``source`` naming every source used.
    A feed line (the films table) or a history row's day values alike."""
    merged = dict(latest)
    used = [latest.get("source")]
    names = dict.fromkeys([*latest, *(name for other in earlier for name in other)])
    for name in names:
        value = latest.get(name)
        if name in OWN_FIELDS or (value is not None and value != ""):
            continue
        for other in earlier:
            found = other.get(name)
            if found is not None and found != "":
                merged[name] = found
                used.append(other.get("source"))
                break
    if len(set(used)) > 1:
        merged["source"] = joined_sources(used)
    return merged
