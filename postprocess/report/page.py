"""The report page: the history's figures and charts put into one offline HTML file.

Jinja2 renders it with autoescaping on, so every text that comes from a feed (a
title, a region, a link) is data, never markup, without each place having to
remember; the one exception is the SVG that matplotlib wrote (it escapes its own
text). A Content-Security-Policy in the page forbids scripts and any request, so the
file works offline and stays inert even if a feed carried markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from postprocess.report import charts, data
from postprocess.report.labels import board_name, words

#: Boards draw their numbers for this many of the last day's films.
NUMBER_FILMS = 5
CURRENCY_SIGNS = {"CNY": "¥", "USD": "US$"}


def safe_link(url: object) -> str | None:
    """Only web links become links: a feed's ``javascript:`` text stays text."""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    return None


def change_cell(row: Any, said: dict[str, str]) -> tuple[str, str]:
    """``(css class, text)`` of the change column: ↑3, ↓1, 新上榜 / NEW, or –."""
    if row.previous_day is None:
        return "same", ""
    if row.new:
        return "new", said["new"]
    change = int(row.change)
    if change > 0:
        return "up", f"↑{change}"
    if change < 0:
        return "down", f"↓{-change}"
    return "same", "–"


def number_text(value: object, currency: object = None) -> str:
    if value is None or pd.isna(value):
        return ""
    sign = CURRENCY_SIGNS.get(currency, "") if isinstance(currency, str) else ""
    return f"{sign}{float(value):,.0f}"


def score_text(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}"


@dataclass
class BoardView:
    """Everything the page shows for one board."""

    board_id: int
    name: str
    days: list[str]
    rows: list[dict[str, Any]]
    number_columns: list[str]
    exits: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, Markup] = field(default_factory=dict)
    longest: list[dict[str, Any]] = field(default_factory=list)
    moves: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def film_labels(board: pd.DataFrame) -> dict[int, str]:
    """Each film's latest title, as the charts' legends show it."""
    latest = board.sort_values("day").drop_duplicates("movie_id", keep="last")
    return dict(zip(latest["movie_id"], latest["title"].astype(str), strict=True))


def board_view(board: pd.DataFrame, lang: str) -> BoardView:
    said = words(lang)
    board_id = int(board["board_id"].iloc[0])
    days = sorted(board["day"].unique())
    latest = data.latest_board(board)
    shown = [
        name
        for name in data.NUMBER_COLUMNS
        if pd.to_numeric(latest[name], errors="coerce").notna().any()
    ]
    rows = []
    for row in latest.itertuples(index=False):
        css, text = change_cell(row, said)
        rows.append(
            {
                "rank": int(row.rank),
                "change_class": css,
                "change": text,
                "title": row.title,
                "link": safe_link(row.detail_url),
                "score": score_text(row.score),
                "release": row.release_date if isinstance(row.release_date, str) else "",
                "numbers": [
                    number_text(getattr(row, name), row.box_office_currency)
                    if name.startswith("box_office")
                    else number_text(getattr(row, name))
                    for name in shown
                ],
            }
        )
    view = BoardView(board_id, board_name(board_id, lang), days, rows, shown)
    view.exits = [
        {"rank": int(row.rank), "title": row.title, "link": safe_link(row.detail_url)}
        for row in data.exits(board).itertuples(index=False)
    ]
    labels = film_labels(board)
    if len(days) > 1:
        leaders, movers = data.bump_films(board, latest)
        for name, films in (("bump-top", leaders), ("bump-movers", movers)):
            if films:
                view.charts[name] = Markup(
                    charts.bump_chart(board, films, labels, (said["day"], said["rank"]), name)
                )
        view.charts["entries"] = Markup(
            charts.entries_exits_chart(
                data.entries_and_exits(board), (said["entered"], said["left"], said["films"])
            )
        )
        view.longest = [
            {**row, "link": safe_link(row["detail_url"])}
            for row in data.longest_standing(board).to_dict("records")
        ]
        for period, since in (("7", data.week_start(board)), ("all", None)):
            climbs, falls = data.climbs_and_falls(board, since)
            for kind, table in (("climbs", climbs), ("falls", falls)):
                view.moves[f"{kind}_{period}"] = [
                    {**row, "link": safe_link(row["detail_url"])}
                    for row in table.to_dict("records")
                ]
        column = data.number_column(board)
        if column:
            top = latest.sort_values(column, ascending=False, na_position="last")
            films = top["movie_id"].head(NUMBER_FILMS).tolist()
            view.charts["numbers"] = Markup(
                charts.numbers_chart(board, column, films, labels, said[column])
            )
    scores = data.scores(latest)
    if len(scores):
        view.charts["scores"] = Markup(
            charts.score_histogram(scores, (said["score"], said["films"]))
        )
    decades = data.release_decades(latest)
    if len(decades):
        view.charts["decades"] = Markup(charts.bar_chart(decades, "decades", said["films"]))
    regions = data.release_regions(latest)
    if len(regions):
        view.charts["regions"] = Markup(
            charts.bar_chart(regions, "regions", said["films"], horizontal=True)
        )
    return view


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("postprocess.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    history: pd.DataFrame, lang: str, source: str, now: datetime | None = None
) -> str:
    """The whole page for ``history`` (as :func:`data.load_history` reads it)."""
    views = [board_view(board, lang) for _, board in history.groupby("board_id", sort=True)]
    made = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    template = environment().get_template("report.html")
    return template.render(
        said=words(lang),
        views=views,
        lang=lang,
        source=source,
        made=made,
        html_lang="en" if lang == "en" else "zh-CN",
    )
