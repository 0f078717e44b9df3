"""Numbers as Chinese readers read them: box office in 万 and 亿, wish counts in 万人.

Maoyan itself writes ``15.60亿`` and ``356.2万``; ``1560000000`` has to be counted
digit by digit. The same words go into the tables' cells and the charts' axes.
"""

from __future__ import annotations

import math

WAN, YI = 10_000, 100_000_000
#: What follows an amount in each currency: a yuan amount is bare, as Maoyan writes it.
CURRENCY_WORDS = {"CNY": "", "USD": "美元"}


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _digits(value: float, unit: int) -> str:
    """``value / unit`` with four significant figures at most, thousands grouped."""
    scaled = value / unit
    decimals = 0 if abs(scaled) >= 1000 else 1 if abs(scaled) >= 100 else 2
    return f"{scaled:,.{decimals}f}"


def amount(value: object, currency: object = "CNY") -> str:
    """A box-office amount: ``15.60亿``, ``356.2万``, ``8,520`` (US dollars: ``万美元``);
    empty for none."""
    if missing(value):
        return ""
    number = float(value)
    words = CURRENCY_WORDS.get(currency, "") if isinstance(currency, str) else ""
    if abs(number) >= YI:
        return f"{number / YI:,.2f}亿{words}"
    if abs(number) >= WAN:
        return f"{_digits(number, WAN)}万{words}"
    return f"{number:,.0f}{words}"


def people(value: object) -> str:
    """A wish count: ``12.35万人``, ``8,523人``; empty for none."""
    if missing(value):
        return ""
    number = float(value)
    if abs(number) >= YI:
        return f"{number / YI:,.2f}亿人"
    if abs(number) >= WAN:
        return f"{_digits(number, WAN)}万人"
    return f"{number:,.0f}人"


def unit_words(column: str, currency: str | None) -> str:
    """What follows a number of ``column`` on an axis: ``美元`` for dollars, ``人`` for
    wish counts, nothing for yuan."""
    if column.startswith("box_office"):
        return CURRENCY_WORDS.get(currency, "") if currency else ""
    return "人"


def tick(value: float, words: str = "") -> str:
    """An axis tick: as short as its value allows (``0``, ``5000万``, ``1.5亿``)."""
    if value == 0:
        return "0"
    for unit, name in ((YI, "亿"), (WAN, "万")):
        if abs(value) >= unit:
            return f"{value / unit:g}{name}{words}"
    return f"{value:g}{words}"
