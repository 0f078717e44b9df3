"""The sources of board data, by the name users give them (``-a source=...``).

Each is one module: :mod:`maoyan.sources.desktop` (www.maoyan.com's board pages) and
:mod:`maoyan.sources.mobile` (m.maoyan.com's board page and its JSON). A third source
is a module with a :class:`~maoyan.sources.base.Source` subclass, listed here.
"""

from maoyan.sources.base import AnswerKind, Source
from maoyan.sources.desktop import BOARD_HTML, DesktopSource
from maoyan.sources.mobile import MobileSource

SOURCES: dict[str, type[Source]] = {source.name: source for source in (DesktopSource, MobileSource)}
#: Every kind of answer any source asks for, by its request meta key.
ANSWERS: dict[str, AnswerKind] = {
    kind: answer for source in SOURCES.values() for kind, answer in source.answers.items()
}


def answer_kind(meta_value: object) -> AnswerKind | None:
    """The kind of answer a request expects; ``True`` (jobs begun before sources
    existed) is the desktop's board page; ``None`` for a request that is no board's."""
    if meta_value is True:
        meta_value = BOARD_HTML
    return ANSWERS.get(meta_value) if isinstance(meta_value, str) else None


__all__ = ["ANSWERS", "SOURCES", "AnswerKind", "Source", "answer_kind"]
