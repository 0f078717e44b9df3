"""The report's charts, drawn by matplotlib as inline SVG.

Why matplotlib: it is the best-kept plotting library for static output, its SVG
backend needs nothing at view time (no script, no font or file from a CDN), and with
``svg.fonttype = none`` text stays text, so Chinese titles are rendered by the
reader's own fonts, can be searched and copied, and cost no embedded glyphs.
Script-driven libraries (plotly, bokeh, altair) would put megabytes of JavaScript
into every report or load it from a CDN.

Each series and each bar carries an SVG ``id`` (matplotlib's ``gid``), so a test can
count what a browser renders.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from postprocess.report import units

#: Fonts tried in order for measuring text; the browser draws it with its own fonts.
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
]
STYLE = {
    "svg.fonttype": "none",  # text stays <text>: the reader's fonts draw the Chinese
    "text.parse_math": False,  # a title with two $ signs is a title, not TeX
    "font.family": "sans-serif",
    "font.sans-serif": CJK_FONTS,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(
        color=[
            "#e4393c",
            "#1f77b4",
            "#2ca02c",
            "#ff7f0e",
            "#9467bd",
            "#8c564b",
            "#e377c2",
            "#17becf",
            "#bcbd22",
            "#7f7f7f",
            "#393b79",
            "#637939",
            "#8c6d31",
            "#843c39",
            "#7b4173",
        ]
    ),
}


@contextmanager
def style(name: str) -> Iterator[None]:
    # A salt per chart: the SVG ids of two charts on one page never collide, and
    # the same data draws the same file.
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": name}), warnings.catch_warnings():
        # Without a CJK font matplotlib measures Chinese with placeholder widths and
        # says so once per glyph; the browser draws the text with its own fonts.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def isolated(text: object) -> str:
    """Feed text as a chart draws it: between FIRST STRONG ISOLATE and POP DIRECTIONAL
    ISOLATE (the plain-text ``<bdi>``), so bidirectional controls in a title (U+202E)
    reorder only the title, never the text drawn around it."""
    return f"\u2068{text}\u2069"


def svg_of(figure: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element to put inline (no XML prolog), sized by the page."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    svg = text[text.index("<svg") :]
    # The page sizes the chart (width 100%); the viewBox keeps its proportions.
    head, rest = svg.split(">", 1)
    head = head.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    return f'{head} class="chart" data-chart="{name}" role="img">{rest}'


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d")


def _date_axis(axis) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _film_lines(
    axes: Any,
    board: pd.DataFrame,
    column: str,
    films: list[int],
    labels: dict[int, str],
    prefix: str,
    **line: Any,
) -> None:
    """One line per film of ``column`` over every day of the board (``id`` PREFIX-MOVIE);
    a day without the film leaves a gap."""
    days = sorted(board["day"].unique())
    values = board[board["movie_id"].isin(films)].pivot_table(
        index="day", columns="movie_id", values=column, aggfunc="first"
    )
    values = values.reindex(index=days, columns=films)
    x = _days(pd.Series(days))
    for movie_id in films:
        axes.plot(
            x,
            values[movie_id].to_numpy(dtype=float),
            marker="o",
            label=isolated(labels[movie_id]),
            gid=f"{prefix}-{movie_id}",
            **line,
        )


def bump_chart(
    board: pd.DataFrame,
    films: list[int],
    labels: dict[int, str],
    axis_labels: tuple[str, str],
    name: str,
) -> str:
    """Rank over the days for ``films``: day on x, rank on y with 1 at the top; a film
    off the board on some day leaves a gap there."""
    with style(name):
        figure = Figure(figsize=(8, 3.6 + 0.2 * len(films)))
        axes = figure.add_subplot()
        _film_lines(axes, board, "rank", films, labels, "series", markersize=4, linewidth=1.8)
        axes.invert_yaxis()
        axes.yaxis.get_major_locator().set_params(integer=True)
        _date_axis(axes)
        axes.set_xlabel(axis_labels[0])
        axes.set_ylabel(axis_labels[1])
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False, fontsize=9
        )
        return svg_of(figure, name)


def entries_exits_chart(moves: pd.DataFrame, names: tuple[str, str, str]) -> str:
    """Per day, films that entered (up) and left (down)."""
    x = _days(moves["day"])
    with style("entries"):
        figure = Figure(figsize=(8, 3.2))
        axes = figure.add_subplot()
        width = 0.8
        entered = axes.bar(x, moves["entered"], width=width, color="#2ca02c", label=names[0])
        left = axes.bar(x, -moves["left"], width=width, color="#e4393c", label=names[1])
        for day, bar in zip(moves["day"], entered, strict=True):
            bar.set_gid(f"entered-{day}")
        for day, bar in zip(moves["day"], left, strict=True):
            bar.set_gid(f"left-{day}")
        axes.axhline(0, color="#555", linewidth=0.8)
        most = max(int(moves["entered"].max()), int(moves["left"].max()), 1)
        axes.set_ylim(-most - 0.5, most + 0.5)
        axes.yaxis.get_major_locator().set_params(integer=True)
        _date_axis(axes)
        axes.set_ylabel(names[2])
        axes.legend(frameon=False)
        return svg_of(figure, "entries")


def bar_chart(
    counts: pd.Series,
    name: str,
    axis_label: str,
    horizontal: bool = False,
    apart: str | None = None,
) -> str:
    """Counts by category, one bar each (``id`` ``NAME-INDEX``), every bar named and
    its count written at its end; the bar of category ``apart`` (films that state
    none) in grey. Categories from a feed come :func:`isolated`."""
    with style(name):
        figure = Figure(figsize=(6, 0.5 + 0.35 * len(counts)) if horizontal else (6, 3.2))
        axes = figure.add_subplot()
        labels = [str(label) for label in counts.index]
        colors = ["#999999" if label == apart else "#1f77b4" for label in counts.index]
        if horizontal:
            bars = axes.barh(labels, counts.to_numpy(), color=colors)
            axes.invert_yaxis()
            axes.set_xlabel(axis_label)
            axes.xaxis.get_major_locator().set_params(integer=True)
        else:
            bars = axes.bar(labels, counts.to_numpy(), color=colors)
            axes.set_ylabel(axis_label)
            axes.yaxis.get_major_locator().set_params(integer=True)
        for index, bar in enumerate(bars):
            bar.set_gid(f"{name}-{index}")
        axes.bar_label(bars, padding=2, fontsize=8)
        return svg_of(figure, name)


def score_histogram(scores: pd.Series, axis_labels: tuple[str, str]) -> str:
    """Scores in bins of 0.2 points."""
    low = min(float(scores.min()), 9.0)
    bins = [round(low + 0.2 * step, 1) for step in range(int((10.2 - low) / 0.2) + 1)]
    with style("scores"):
        figure = Figure(figsize=(6, 3.2))
        axes = figure.add_subplot()
        _, _, bars = axes.hist(scores.to_numpy(), bins=bins, color="#ff7f0e", edgecolor="white")
        for index, bar in enumerate(bars):
            bar.set_gid(f"scores-{index}")
        axes.set_xlabel(axis_labels[0])
        axes.set_ylabel(axis_labels[1])
        axes.yaxis.get_major_locator().set_params(integer=True)
        return svg_of(figure, "scores")


def numbers_chart(
    board: pd.DataFrame,
    column: str,
    films: list[int],
    labels: dict[int, str],
    axis_label: str,
    words: str,
) -> str:
    """A board number (box office, wish count) over the days for ``films``, its axis
    in 万 and 亿 followed by ``words`` (``美元``, ``人``)."""
    with style("numbers"):
        figure = Figure(figsize=(8, 4))
        axes = figure.add_subplot()
        _film_lines(axes, board, column, films, labels, "numbers", markersize=3)
        _date_axis(axes)
        axes.set_ylabel(axis_label)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: units.tick(value, words)))
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
        return svg_of(figure, "numbers")
