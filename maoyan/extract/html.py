"""HTML helpers both sources' parsers read pages with: one lxml parser, class lookups
in one pass, text with whitespace collapsed, and links made absolute."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

WHITESPACE = re.compile(r"\s+")

#: One parser for every page; lxml parsers are reusable and keep no page state.
#: Fed UTF-8 bytes: lxml parses them about twice as fast as a str.
HTML_PARSER = etree.HTMLParser(encoding="utf-8")


def parse_html(html: str) -> etree._Element | None:
    """The page's root element; ``None`` for text that holds no HTML at all."""
    return etree.fromstring(html.encode("utf-8", "surrogatepass"), HTML_PARSER)


def index_classes(root: etree._Element, wanted: frozenset[str]) -> dict[str, list[etree._Element]]:
    """The elements below ``root`` (itself included) that have each ``wanted`` class,
    in document order. One pass, then every "the element with class X" is a lookup:
    several times faster than asking XPath (or parsel's ``has-class``) class by class."""
    index: dict[str, list[etree._Element]] = {}
    for element in root.iter(etree.Element):
        classes = element.get("class")
        if classes:
            for name in classes.split():
                if name in wanted:
                    index.setdefault(name, []).append(element)
    return index


def has_class(element: etree._Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def text_of(element: etree._Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def collapse(text: str | None) -> str | None:
    """Collapse runs of whitespace and trim; ``None`` for nothing left."""
    if text is None:
        return None
    text = WHITESPACE.sub(" ", text).strip()
    return text or None


def absolute(page_url: str, href: str | None) -> str | None:
    """``urljoin``, with the two forms board pages use (``/films/1``, ``//host/x``)
    done directly: urljoin is a good part of a page's parse time."""
    if not href:
        return None
    if href.startswith(("https://", "http://")):
        return href
    scheme, _, rest = page_url.partition("://")
    if href.startswith("//"):
        return f"{scheme}:{href}"
    if href.startswith("/") and rest:
        return f"{scheme}://{rest.split('/', 1)[0]}{href}"
    return urljoin(page_url, href)
