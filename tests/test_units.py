"""Numbers as the report writes them: box office in 万 and 亿, wish counts in 万人."""

from __future__ import annotations

import pytest

from postprocess.report.units import amount, people, tick, unit_words


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1_560_000_000, "CNY", "15.60亿"),
        (920_000_000.0, "CNY", "9.20亿"),
        (23_014_200, "CNY", "2,301万"),  # 国内票房榜's 2301.42万: four figures
        (3_562_000, "CNY", "356.2万"),
        (35_320_000, "USD", "3,532万美元"),  # 北美票房榜
        (123_000_000, "USD", "1.23亿美元"),
        (8_520, "CNY", "8,520"),
        (None, "CNY", ""),
        (float("nan"), None, ""),
    ],
)
def test_amounts(value, currency, text) -> None:
    assert amount(value, currency) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(127_000, "12.70万人"), (1_831_000, "183.1万人"), (67_913, "6.79万人"), (8_523, "8,523人")],
)
def test_wish_counts(value, text) -> None:
    assert people(value) == text


def test_axis_ticks_are_short() -> None:
    assert [tick(v) for v in (0, 50_000_000, 100_000_000, 150_000_000)] == [
        "0",
        "5000万",
        "1亿",
        "1.5亿",
    ]
    assert tick(200_000, "人") == "20万人"
    assert unit_words("box_office_total", "USD") == "美元"
    assert unit_words("box_office_total", "CNY") == unit_words("box_office_total", None) == ""
    assert unit_words("wish_total", None) == "人"
