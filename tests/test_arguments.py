"""The board spider's arguments, checked before any request (maoyan.arguments): what
each wrong one is told, and what the right ones mean. (``scrapy crawl`` turning an
error into one line and exit status 2 is tested in test_crawl_failures.py.)"""

from __future__ import annotations

import pytest

from maoyan.arguments import ArgumentError, check_arguments


def checked(**arguments: object) -> tuple[str, str, int | None]:
    source, board, pages = check_arguments(top100_pages=10, **arguments)
    return source, board.name, pages


def test_the_defaults_are_the_whole_desktop_top100() -> None:
    assert checked() == ("desktop", "top100", 10)
    assert checked(_job="scrapyd-job-id") == ("desktop", "top100", 10)  # scrapyd adds it


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"board": "most-expected"}, ("desktop", "most-expected", None)),
        ({"board": "6"}, ("desktop", "most-expected", None)),
        ({"source": "Mobile ", "board": "39"}, ("mobile", "top100", None)),
        ({"source": "mobile", "board": "top100"}, ("mobile", "top100", None)),
        ({"board": "TOP100", "pages": " 3"}, ("desktop", "top100", 3)),
    ],
)
def test_names_numbers_and_case(arguments: dict, expected: tuple) -> None:
    assert checked(**arguments) == expected


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({"bord": "6"}, "unknown argument bord: the board spider takes source"),
        ({"board": " "}, "board= is empty (an unset variable?)"),
        ({"source": ""}, "source= is empty (an unset variable?)"),
        ({"source": "app"}, "source=app: no such source; use desktop or mobile"),
        ({"board": "99"}, "board=99: the desktop source has no such board; it offers top100 (4,"),
        (
            {"board": "39"},
            "board=39: the desktop source has no such board (39 is the mobile source's number "
            "for top100; here use -a board=top100)",
        ),
        (
            {"source": "mobile", "board": "hot"},
            "board=hot: the mobile source has no such board (the desktop source has hot: "
            "-a source=desktop)",
        ),
        ({"board": "hot", "pages": "2"}, "pages=2: pages applies to the desktop TOP100 only"),
        ({"pages": "0"}, "pages=0: give a whole number of pages, 1 or more (10 is all)"),
        ({"pages": "two"}, "pages=two: give a whole number of pages"),
        ({"pages": "11"}, "pages=11: TOP100 has 10 pages (100 films, 10 a page); give 1 to 10"),
    ],
)
def test_what_each_wrong_argument_is_told(arguments: dict, said: str) -> None:
    with pytest.raises(ArgumentError) as error:
        checked(**arguments)
    assert str(error.value).startswith(said)
