"""The stand-in's mobile site: m.maoyan.com's board page and i.maoyan.com's board JSON.

Shaped like the real answers of 2023-2026: the page carries the board's first 20
films in ``var AppData = {...};`` (``AppData.data`` = ``{data: {title, content,
dataSourceDesc, movies}, paging, success}``) and renders them as cards, wish counts
as text; the JSON answers ``{"data": {"created", "title", "content", "movies"}}`` for
an ``offset``/``limit`` window, at most 50 films at a time, so a long board takes
the page and more than one JSON request. The films are the stand-in's own (see
:mod:`standin.films`); genres, blurbs, wish counts and score labels are Maoyan's
of late 2023 where the film and title match the real board, else made up here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from html import escape

from maoyan_common.boards import BOARDS
from standin.films import Film

#: Mobile board number -> (the stand-in board whose films it shows, title, rule).
#: Each mobile board's rule, as its page states it.
MOBILE_RULES = {
    39: "将猫眼电影库中的经典影片，按照评分和评分人数从高到低综合排序取前100名。",
    6: "将昨日国内待映的影片，按照之前30天的想看数增量从高到低排列，取前50名。",
    56: "将上周国内热映的影片，按照周票房从高到低排列取前10名。",
    55: "将国内热映的影片，按照购票用户评分从高到低排列取前10名。",
}
#: Which of the stand-in's film lists (standin.films.BOARDS) each mobile board shows.
FILMS_FROM = {39: 4, 6: 6, 56: 1, 55: 7}
#: Each mobile board by its number: (the film list it shows, its title, its rule); the
#: boards' titles are maoyan_common's.
MOBILE_BOARDS = {
    number: (FILMS_FROM[number], board.titles["mobile"], MOBILE_RULES[number])
    for board in BOARDS
    if (number := board.ids.get("mobile")) is not None
}
#: Films the page's AppData holds; the rest come from the JSON.
PAGE_FILMS = 20
#: The most films one JSON answer holds, whatever ``limit`` asked.
JSON_LIMIT = 50
BEIJING = timezone(timedelta(hours=8))

# movie_id: (genres, blurb, wish, score label) of the real board of 2023-10-11.
FACTS = {
    1203: ("剧情,爱情", "梦回少年忆，此间无蝶衣", 30, "猫眼综合评分"),
    1297: ("剧情,犯罪", "", 7783, "猫眼综合评分"),
    2641: ("剧情,喜剧,爱情", "北影节·经典修复单元展映", 583, "猫眼综合评分"),
    4055: ("剧情,动作,犯罪", "北影节·评委会主席作品回顾", 2493, "猫眼综合评分"),
    267: ("剧情,爱情,灾难", "唯美终悲剧，小李鲜肉期", 110909, "猫眼购票评分"),
    7431: ("爱情,剧情,战争", "", 505, "猫眼综合评分"),
    1228: ("动画,冒险,家庭,奇幻", "献给每个孩子和曾经是孩子的你", 379716, "猫眼购票评分"),
    3667: ("剧情,历史,战争", "", 775, "猫眼综合评分"),
    1375: ("剧情,家庭,历史", "", 2111, "猫眼综合评分"),
    4883: ("剧情,音乐,传记,战争", "", 419, "猫眼综合评分"),
    790: ("剧情,动作,科幻,惊悚", "", 1161, "猫眼综合评分"),
    1200486: ("剧情,喜剧", "印度代神药，良心及时现", 164738, "猫眼购票评分"),
    1206605: ("剧情,喜剧,传记", "和你一起，一路向南", 40833, "猫眼购票评分"),
    1292: ("剧情,音乐", "真正广大无限的世界是你平静的内心", 61601, "猫眼购票评分"),
    1216365: ("剧情,犯罪", "一家人偷来的温情时光", 107339, "猫眼购票评分"),
    1211270: ("动画", "我命由我不由天", 172114, "猫眼购票评分"),
    1303: ("战争,剧情,爱情", "生活不完美却仍旧很美", 19975, "猫眼购票评分"),
    416: ("动作,悬疑,惊悚,科幻", "既然做梦，就做大点", 25891, "猫眼购票评分"),
    1247: ("剧情,惊悚,犯罪", "", 814, "猫眼综合评分"),
    1167831: ("剧情,音乐,传记", "皇后乐队终于有自己的传记片了", 37580, "猫眼购票评分"),
}
GENRES = ("剧情", "爱情", "喜剧", "动作", "动画", "犯罪", "奇幻", "战争", "家庭", "科幻")


def _hash(movie_id: int) -> int:
    return int(hashlib.sha1(f"mobile-{movie_id}".encode()).hexdigest()[:8], 16)


def pub_desc(release: str | None) -> str | None:
    """The mobile form of a release: "1994-09-10(加拿大)" -> "1994-09-10加拿大上映";
    a date without a region is the mainland's."""
    if not release:
        return None
    date, _, region = release.partition("(")
    return f"{date}{region.rstrip(')') or '中国大陆'}上映"


def number_in_wan(text: str | None) -> float | None:
    """ "2301.42万" -> 2301.42, "14.52亿" -> 145200.0: the app API's unit is 万."""
    if not text:
        return None
    digits = text.rstrip("万亿美元人")
    return round(float(digits) * (10_000 if "亿" in text else 1), 2)


def mobile_poster(movie_id: int) -> str:
    digest = hashlib.sha1(str(movie_id).encode()).hexdigest()
    return f"https://p0.pipi.cn/mmdb/{digest}.jpg?imageMogr2/thumbnail/2500x2500%3E"


def movie(film: Film, rank: int, mobile_board: int) -> dict[str, object]:
    """A film as the mobile board answers give it (the API's own keys)."""
    seed = _hash(film.movie_id)
    genres, blurb, wish, label = FACTS.get(film.movie_id) or (
        ",".join(dict.fromkeys(GENRES[(seed >> shift) % len(GENRES)] for shift in (0, 4, 8))),
        "",
        1000 + seed % 200_000,
        "猫眼购票评分" if (film.release or "0")[:4] >= "2010" else "猫眼综合评分",
    )
    score = float(film.score) if film.score else 0
    entry: dict[str, object] = {
        "backGroundColor": f"#{seed % 0xFFFFFF:06x}",
        "cat": genres,
        "commentSt": 0,
        "commentaryCount": seed % 50,
        "id": film.movie_id,
        "img": mobile_poster(film.movie_id),
        "label": {"number": f"{score:.1f}", "text": "分"} if score else {},
        "nm": film.title,
        "rank": rank,
        "rankTrend": (seed % 3) - 1,
        "sc": score,
        "scoreLabel": label,
        "shortDec": blurb,
        "showst": 2,
        "star": film.stars or "",
        "videoCount": seed % 7,
        "viewedSt": 0,
        "vodPlaySt": 0,
        "wish": wish,
        "wishst": 0,
    }
    if desc := pub_desc(film.release):
        entry["pubDesc"] = desc
    if film.release and "(" not in film.release and len(film.release) == 10:
        entry["rt"] = film.release
    if film.wish_total:
        entry["wish"] = int(number_in_wan(film.wish_total) or 0)
        entry["monthWish"] = int(number_in_wan(film.wish_month) or 0)
        entry["label"] = {"number": str(entry["wish"]), "text": "人想看"}
        entry["scoreLabel"] = ""
    if mobile_board == 56 and film.box_office_total:
        entry["weekBoxOffice"] = number_in_wan(film.box_office_realtime)
        entry["sumBoxOffice"] = number_in_wan(film.box_office_total)
    return entry


def created_ms(board_date: str) -> int:
    """The board's ``created``: 10:00 Beijing time of its date, in epoch milliseconds."""
    moment = datetime.fromisoformat(board_date).replace(hour=10, tzinfo=BEIJING)
    return int(moment.timestamp() * 1000)


def movies(mobile_board: int, films: list[Film], offset: int, limit: int) -> list[dict]:
    window = films[offset : offset + limit]
    return [movie(film, offset + i, mobile_board) for i, film in enumerate(window, start=1)]


def _card(entry: dict[str, object]) -> str:
    wishes = ""
    if "monthWish" in entry:
        wishes = (
            f'<div class="wish">总想看：{entry["wish"]}人</div>\n'
            f'      <div class="month-wish">本月新增想看 <p class="number">{entry["monthWish"]}</p>'
            "</div>"
        )
    score = f"{entry['sc']:.1f}" if entry.get("sc") else None
    return f"""\
    <div class="board-card" data-id="{entry["id"]}">
      <i class="rank-number">{entry["rank"]}</i>
      <a class="card-link" href="/asgard/movie/{entry["id"]}">
        <img class="poster" src="{escape(str(entry["img"]))}" alt="">
        <h3 class="title">{escape(str(entry["nm"]))}</h3>
      </a>
      <div class="actors">主演：{escape(str(entry["star"]))}</div>
      <div class="date">{escape(str(entry.get("pubDesc", "")))}</div>
      {f'<div class="score"><span class="number">{score}</span>分</div>' if score else wishes}
    </div>"""


def render_page(mobile_board: int, films: list[Film], app_data_name: str = "AppData") -> str:
    """The board page: the first films in AppData and as cards, the paging saying how
    many the board holds. ``app_data_name`` other than AppData models a redesign."""
    _, title, rule = MOBILE_BOARDS[mobile_board]
    first = movies(mobile_board, films, 0, PAGE_FILMS)
    # The page's data leaves out the month's new wishes its cards show as text.
    in_data = [{k: v for k, v in entry.items() if k != "monthWish"} for entry in first]
    data = {
        "data": {
            "data": {
                "title": title,
                "content": rule,
                "dataSourceDesc": "数据来源：猫眼电影库",
                "movies": in_data,
            },
            "paging": {
                "hasMore": len(films) > len(first),
                "limit": PAGE_FILMS,
                "offset": 0,
                "total": len(films),
            },
            "success": True,
        },
        "boardId": mobile_board,
    }
    script = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    cards = "\n".join(_card(entry) for entry in first)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">
  <title>{escape(title)} - 猫眼电影</title>
</head>
<body>
  <div class="board-header"><h1>{escape(title)}</h1><p class="rule">{escape(rule)}</p></div>
  <div class="board-list">
{cards}
  </div>
  <div class="loading-more">加载更多</div>
  <script>var {app_data_name} = {script};</script>
</body>
</html>
"""


def render_json(
    mobile_board: int, films: list[Film], offset: int, limit: int, board_date: str
) -> str:
    """The board JSON for one window: at most ``JSON_LIMIT`` films, whatever was asked."""
    _, title, rule = MOBILE_BOARDS[mobile_board]
    window = movies(mobile_board, films, max(offset, 0), max(0, min(limit, JSON_LIMIT)))
    data = {
        "data": {
            "created": created_ms(board_date),
            "title": title,
            "content": rule,
            "movies": window,
        }
    }
    return json.dumps(data, ensure_ascii=False)


#: An answer that refuses the request in its content, as Maoyan's APIs do.
REFUSED = {"success": False, "error": {"code": 406, "message": "请求被拒绝，请稍后再试"}}
REFUSED_JSON = json.dumps(REFUSED, ensure_ascii=False)
REFUSED_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>猫眼电影</title></head><body>"
    f"<script>var AppData = {json.dumps({'data': REFUSED}, ensure_ascii=False)};</script>"
    "</body></html>"
)
