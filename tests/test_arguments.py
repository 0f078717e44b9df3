"""The board spider's arguments, checked before any request (maoyan.arguments): what
each wrong one is told, and what the right ones mean. (``scrapy crawl`` turning an
error into one line and exit status 2 is tested in test_crawl_failures.py.)"""

from __future__ import annotations

import pytest

from maoyan.arguments import ArgumentError, check_arguments
from maoyan.jobdir import Job

DESKTOP_ALL = [
    ("desktop", "top100", 10),
    ("desktop", "hot", 1),
    ("desktop", "most-expected", 5),
    ("desktop", "box-office", 1),
    ("desktop", "north-america", 1),
]
MOBILE_ALL = [
    ("mobile", "top100", None),
    ("mobile", "most-expected", None),
    ("mobile", "weekly-box-office", None),
    ("mobile", "ticket-score", None),
]


def crawled(**arguments: object) -> list[tuple[str, str, int | None]]:
    """Every board the arguments crawl, in crawl order: (source, board, pages walked)."""
    plan = check_arguments(top100_pages=10, **arguments)
    return [(target.source, target.board.name, target.pages) for target in plan.targets]


def checked(**arguments: object) -> tuple[str, str, int | None]:
    (only,) = crawled(**arguments)
    return only


def test_the_defaults_are_the_whole_desktop_top100() -> None:
    assert checked() == ("desktop", "top100", 10)
    assert checked(_job="scrapyd-job-id") == ("desktop", "top100", 10)  # scrapyd adds it


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"board": "most-expected"}, ("desktop", "most-expected", 5)),
        ({"board": "6"}, ("desktop", "most-expected", 5)),
        ({"board": "hot"}, ("desktop", "hot", 1)),
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
        ({"source": "app"}, "source=app: no such source; use desktop, mobile or all"),
        ({"source": "desktop,app"}, "source=app: no such source"),
        ({"board": ", "}, "board= is empty (an unset variable?)"),
        (
            {"source": "all", "board": "top100,hot"},
            "board=hot: the mobile source has no such board (the desktop source has hot: "
            "crawl it with -a source=desktop, or give -a board=all for each source's own "
            "boards)",
        ),
        ({"source": "all", "board": "4"}, "board=4: the mobile source has no such board"),
        (
            {"source": "mobile", "board": "all", "pages": "3"},
            "pages=3: pages applies to the desktop TOP100 only",
        ),
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


def test_all_boards_of_a_source_in_the_fixed_order() -> None:
    assert crawled(board="all") == DESKTOP_ALL
    assert crawled(source="mobile", board="ALL") == MOBILE_ALL


def test_both_sources_each_with_its_own_boards() -> None:
    expected = DESKTOP_ALL + MOBILE_ALL
    assert crawled(source="all", board="all") == expected
    assert crawled(source="mobile, desktop", board="all") == expected  # the order is fixed
    assert crawled(source="all") == [("desktop", "top100", 10), ("mobile", "top100", None)]


def test_a_list_is_crawled_in_the_fixed_order_once_each() -> None:
    assert crawled(board="north-america,top100,hot,4") == [
        ("desktop", "top100", 10),
        ("desktop", "hot", 1),
        ("desktop", "north-america", 1),
    ]
    assert crawled(source="all", board="most-expected,top100", pages="2") == [
        ("desktop", "top100", 2),
        ("desktop", "most-expected", 5),
        ("mobile", "top100", None),
        ("mobile", "most-expected", None),
    ]


def test_the_job_names_the_sources_and_boards() -> None:
    """One board of one source keeps the name jobs had before lists, so they resume."""
    assert check_arguments(top100_pages=10).job == Job("desktop", "top100")
    assert check_arguments(top100_pages=10, source="all", board="top100,6").job == Job(
        "desktop,mobile", "top100,most-expected"
    )
    assert check_arguments(top100_pages=10, source="all", board="all").job.describe() == (
        "the desktop and mobile sources' top100, hot, most-expected, box-office, "
        "north-america, weekly-box-office, ticket-score boards"
    )
