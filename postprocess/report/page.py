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

from postprocess.report import charts, data, units
from postprocess.report.labels import board_name, words

#: Boards draw their numbers for this many of the last day's films.
NUMBER_FILMS = 5


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


def number_text(name: str, value: object, currency: object = None) -> str:
    """A board number as people read it: box office in 万/亿 (万美元), wishes in 万人."""
    if name.startswith("box_office"):
        return units.amount(value, currency)
    return units.people(value)


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
    changes: data.DayChanges
    #: The number the board's leaders are shown by (``None``: their score), and them.
    leaders_by: str | None = None
    leaders: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, Markup] = field(default_factory=dict)
    #: In place of a chart or table that would show nothing a sentence cannot say:
    #: the sentence, by the chart's name (with, for a region, the region).
    sentences: dict[str, str] = field(default_factory=dict)
    only_region: str | None = None
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
                    number_text(name, getattr(row, name), row.box_office_currency) for name in shown
                ],
            }
        )
    view = BoardView(board_id, board_name(board_id, lang), days, rows, shown,
                     data.day_changes(board, latest))  # fmt: skip
    view.leaders_by, leaders = data.leaders(board, latest)
    view.leaders = [
        {
            "rank": film.rank,
            "title": film.title,
            "link": safe_link(film.detail_url),
            "value": score_text(film.value)
            if view.leaders_by is None
            else number_text(view.leaders_by, film.value, film.currency),
        }
        for film in leaders
    ]
    labels = film_labels(board)
    if len(days) > 1:
        leaders, movers = data.bump_films(board, latest)
        for name, films in (("bump-top", leaders), ("bump-movers", movers)):
            if films:
                view.charts[name] = Markup(
                    charts.bump_chart(board, films, labels, (said["day"], said["rank"]), name)
                )
        moves = data.entries_and_exits(board)
        if moves[["entered", "left"]].to_numpy().any():
            view.charts["entries"] = Markup(
                charts.entries_exits_chart(moves, (said["entered"], said["left"], said["films"]))
            )
        else:
            view.sentences["entries"] = said["no_entries"].format(days=len(days))
        if data.every_film_every_day(board):
            view.sentences["longest"] = said["all_days_on"].format(
                films=board["movie_id"].nunique(), days=len(days)
            )
        else:
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
            currency = latest["box_office_currency"].dropna()
            unit = units.unit_words(column, currency.iloc[0] if len(currency) else None)
            view.charts["numbers"] = Markup(
                charts.numbers_chart(board, column, films, labels, said[column], unit)
            )
    scores = data.scores(latest)
    if scores.nunique() > 1:
        view.charts["scores"] = Markup(
            charts.score_histogram(scores, (said["score"], said["films"]))
        )
    elif len(scores):
        view.sentences["scores"] = said["one_score"].format(
            films=len(scores), score=score_text(scores.iloc[0])
        )
    decades = data.release_decades(latest)
    if len(decades) > 1:
        view.charts["decades"] = Markup(charts.bar_chart(decades, "decades", said["films"]))
    elif len(decades):
        view.sentences["decades"] = said["one_decade"].format(
            films=int(decades.iloc[0]), decade=decades.index[0]
        )
    regions = data.release_regions(latest, said["not_stated"])
    if len(regions) > 1:
        named = regions.rename(
            lambda region: region if region == said["not_stated"] else charts.isolated(region)
        )
        view.charts["regions"] = Markup(
            charts.bar_chart(
                named, "regions", said["films"], horizontal=True, apart=said["not_stated"]
            )
        )
    elif len(regions) and regions.index[0] == said["not_stated"]:
        view.sentences["regions"] = said["no_region"].format(films=int(regions.iloc[0]))
    elif len(regions):
        view.sentences["regions"] = said["one_region"].format(films=int(regions.iloc[0]))
        view.only_region = str(regions.index[0])
    return view


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("postprocess.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_link"] = safe_link
    return env


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
