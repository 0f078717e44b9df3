"""HTML the stand-in site answers with, shaped like Maoyan's pages of 2025-2026.

The markup follows what the real board serves now: re-indented, attributes spread
over several lines, posters on ``p0.pipi.cn`` behind a lazy-load placeholder, most
release times without a region, an entry sometimes without a release time or score.
"""

from __future__ import annotations

import hashlib
import random
import re
from html import escape

from maoyan_common.boards import BOARDS
from standin.films import Film

PAGE_SIZE = 10
#: Each desktop board's title, by its number (maoyan_common.boards).
BOARD_NAMES = {b.ids["desktop"]: b.titles["desktop"] for b in BOARDS if "desktop" in b.ids}
#: Each board's rule, as its page states it under the date.
BOARD_RULES = {
    4: "榜单规则：将猫眼电影库中的经典影片，按照评分和评分人数从高到低综合排序取前100名，每天上午10点更新。",
    7: "榜单规则：将昨日国内热映的影片，按照评分从高到低排列取前10名，每天上午10点更新。相关数据来源于“猫眼专业版”及“猫眼电影库”。",
    6: "榜单规则：将昨日国内待映的影片，按照之前30天的想看数增量从高到低排列，取前50名，每天上午10点更新。相关数据来源于“猫眼电影库”。",
    1: "榜单规则：将昨日国内热映的影片，按照实时票房从高到低排列取前10名，每天上午10点更新。相关数据来源于“猫眼专业版”。",
    2: "榜单规则：将北美地区热映的影片，按照上周末票房从高到低排列取前10名，每周一更新。相关数据来源于猫眼获取的北美票房数据。",
}
#: Where a board shows its two numbers: (block class, [(p class, label, film field)]).
NUMBER_BLOCKS = {
    6: (
        "wish",
        [("month-wish", "本月新增想看：", "wish_month"), ("total-wish", "总想看：", "wish_total")],
    ),
    1: (
        "boxoffice",
        [
            ("realtime", "实时票房: ", "box_office_realtime"),
            ("total-boxoffice", "总票房: ", "box_office_total"),
        ],
    ),
    2: (
        "boxoffice",
        [
            ("realtime", "周末票房: ", "box_office_realtime"),
            ("total-boxoffice", "总票房: ", "box_office_total"),
        ],
    ),
}
NUMBER_AND_UNIT = re.compile(r"^([\d.]+)(.*)$")
PLACEHOLDER = "//s3plus.meituan.net/v1/mss_e2821d7f0cfe4ac1bf9202ecf9590e67/cdn-prod/file:5788b470/image/loading_2.e3d934bf.png"


def poster_url(movie_id: int) -> str:
    """The film's poster URL, in the current CDN form with its resize suffix."""
    digest = hashlib.sha1(str(movie_id).encode()).hexdigest()
    return f"https://p0.pipi.cn/mmdb/{digest}.jpg?imageView2/1/w/160/h/220"


def font_glyphs(version: int) -> dict[str, str]:
    """Digit -> the private-use character the web font of ``version`` draws it with.

    The real site's font (``vfile.meituan.net/colorstone/<hash>.woff``) changes over
    time, and with it which character draws which digit; the stand-in's too.
    """
    codepoints = random.Random(version).sample(range(0xE000, 0xF8FF), 10)
    return {str(digit): chr(code) for digit, code in enumerate(codepoints)}


def font_face(version: int) -> str:
    """The page's ``@font-face`` for its digit font, as the real pages declare it."""
    digest = hashlib.sha1(f"stonefont-{version}".encode()).hexdigest()
    return f"""\
  <style>
    @font-face {{
      font-family: stonefont;
      src: url('//vfile.meituan.net/colorstone/{digest[:36]}.eot');
      src: url('//vfile.meituan.net/colorstone/{digest[:36]}.eot?#iefix') format('embedded-opentype'),
           url('//vfile.meituan.net/colorstone/{digest[4:40]}.woff') format('woff');
    }}

    .stonefont {{
      font-family: stonefont;
    }}
  </style>
"""


def _digits(number: str, glyphs: dict[str, str] | None) -> str:
    """The number inside ``span.stonefont``: as HTML character references of the
    font's glyphs (what the real page's source holds), or plain when there is no font."""
    if glyphs is None:
        return number
    return "".join(f"&#x{ord(glyphs[c]):x};" if c in glyphs else c for c in number)


def _numbers(board_id: int, film: Film, glyphs: dict[str, str] | None) -> str:
    block, parts = NUMBER_BLOCKS[board_id]
    paragraphs = []
    for css, label, name in parts:
        number, unit = NUMBER_AND_UNIT.match(getattr(film, name) or "").groups()
        paragraphs.append(
            f'<p class="{css}">\n                {label}<span><span class="stonefont">'
            f"{_digits(number, glyphs)}</span></span>{unit}\n            </p>"
        )
    return (
        f'<div class="movie-item-number {block}">\n            '
        + "\n            ".join(paragraphs)
        + "\n            </div>"
    )


def _score(score: str | None) -> str:
    if score is None:
        return '<p class="score-none">暂无评分</p>'
    integer, fraction = score.split(".")
    return (
        '<p class="score">\n'
        f'              <i class="integer">{integer}.</i><i class="fraction">{fraction}</i>\n'
        "            </p>"
    )


def render_entry(
    rank: int, film: Film, board_id: int = 4, glyphs: dict[str, str] | None = None
) -> str:
    title = escape(film.title)
    star = (
        f'<p class="star">\n              主演：{escape(film.stars)}\n            </p>'
        if film.stars
        else ""
    )
    release = f'<p class="releasetime">上映时间：{escape(film.release)}</p>' if film.release else ""
    if board_id in NUMBER_BLOCKS:
        numbers = _numbers(board_id, film, glyphs)
    else:
        numbers = (
            '<div class="movie-item-number score-num">\n'
            f"            {_score(film.score)}\n            </div>"
        )
    return f"""\
      <dd>
        <i class="board-index board-index-{rank}">{rank}</i>
        <a
          href="/films/{film.movie_id}"
          title="{title}"
          class="image-link"
          data-act="boarditem-click"
          data-val="{{movieId:{film.movie_id}}}"
        >
          <img src="{PLACEHOLDER}" alt="" class="poster-default" />
          <img
            data-src="{poster_url(film.movie_id)}"
            alt="{title}"
            class="board-img"
          />
        </a>
        <div class="board-item-main">
          <div class="board-item-content">
            <div class="movie-item-info">
              <p class="name">
                <a
                  href="/films/{film.movie_id}"
                  title="{title}"
                  data-act="boarditem-click"
                  data-val="{{movieId:{film.movie_id}}}"
                >{title}</a>
              </p>
              {star}
              {release}
            </div>
            {numbers}
          </div>
        </div>
      </dd>
"""


def render_broken_entry(rank: int, film: Film, *_: object) -> str:
    """An entry as a half-rendered page shows it: no film link, no title."""
    return f"""\
      <dd>
        <i class="board-index board-index-{rank}">{rank}</i>
        <div class="board-item-main"><p class="star">主演：{escape(film.stars or "")}</p></div>
      </dd>
"""


def _bare_pager(offset: int, total: int) -> str:
    """The pager of 2026 (seen in a capture of board 6 of 2026-09-30): bare links in
    ``ul.list-pager``, no ``li``, no 上一页/下一页."""
    links = []
    for number in range(1, (total + PAGE_SIZE - 1) // PAGE_SIZE + 1):
        page_offset = (number - 1) * PAGE_SIZE
        if page_offset == offset:
            links.append(f'<a class="active">{number}</a>')
        else:
            links.append(f'<a href="?offset={page_offset}">{number}</a>')
    return '<div class="pager-main">\n<ul class="list-pager">' + "\n".join(links) + "</ul>\n</div>"


def _pager(offset: int, total: int, bare: bool = False) -> str:
    if bare:
        return _bare_pager(offset, total)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    items = []
    if offset > 0:
        items.append(
            f'<li><a class="page_{offset // PAGE_SIZE}" href="?offset={offset - PAGE_SIZE}">上一页</a></li>'
        )
    current = offset // PAGE_SIZE + 1
    # As the real pager: the first five pages, the current one and its neighbours, the last.
    shown = sorted(
        {
            *range(1, min(pages, 5) + 1),
            *range(max(current - 2, 1), min(current + 2, pages) + 1),
            pages,
        }
    )
    previous = 0
    for number in shown:
        if number > previous + 1:
            items.append('<li class="sep">...</li>')
        previous = number
        page_offset = (number - 1) * PAGE_SIZE
        if page_offset == offset:
            items.append(
                f'<li class="active"><a class="page_{number}" href="javascript:void(0);"\n'
                f'  style="cursor: default">{number}</a></li>'
            )
        else:
            items.append(
                f'<li><a class="page_{number}"\n  href="?offset={page_offset}">{number}</a></li>'
            )
    if offset + PAGE_SIZE < total:
        items.append(
            f'<li><a class="page_{offset // PAGE_SIZE + 2}"\n'
            f'  href="?offset={offset + PAGE_SIZE}">下一页</a></li>'
        )
    return (
        '<div class="pager-main">\n<ul class="list-pager">\n' + "\n".join(items) + "\n</ul>\n</div>"
    )


def render_board_page(
    board_id: int,
    offset: int,
    films: list[Film],
    board_date: str,
    *,
    paged: bool = True,
    broken_ranks: frozenset[int] = frozenset(),
    font_version: int | None = 1,
    bare_pager: bool = True,
) -> str:
    """One board page: the films from ``offset``, ranked from ``offset + 1``; its pager
    of 2026 (``bare_pager``) or of the years before.

    Boards 6, 1 and 2 draw their numbers' digits with a web font when
    ``font_version`` is given (today's site); ``None`` shows them as plain text.
    """
    name = BOARD_NAMES.get(board_id, "榜单")
    shown = films[offset : offset + PAGE_SIZE] if paged else films[:PAGE_SIZE]
    glyphs = font_glyphs(font_version) if font_version is not None else None
    entries = []
    for index, film in enumerate(shown):
        rank = offset + index + 1
        render = render_broken_entry if rank in broken_ranks else render_entry
        entries.append(render(rank, film, board_id, glyphs))
    style = font_face(font_version) if font_version is not None else ""
    pager = _pager(offset, len(films), bare_pager) if paged else ""
    return f"""\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>{name} - 猫眼电影 - 一网打尽好电影</title>
{style}</head>
<body>
<div class="header"><a href="/" class="logo"></a></div>
<div class="subnav"><ul class="navbar"><li><a data-act="subnav-click" class="active"
    href="/board/{board_id}">{name}</a></li></ul></div>
<div
  class="container"
  id="app"
>
  <div class="content">
    <div class="wrapper">
      <div class="main">
        <p class="update-time">{board_date}<span class="has-fresh-text">已更新</span></p>
        <p class="board-content">{BOARD_RULES.get(board_id, "")}</p>
        <dl class="board-wrapper">
{"".join(entries)}        </dl>
      </div>
      {pager}
    </div>
  </div>
</div>
<div class="footer"><p class="friendly-links">关于猫眼</p></div>
</body>
</html>
"""


#: The verification page of the mobile site as seen in 2026: titled 安全验证.
SECURITY_CHECK_PAGE = """\
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>安全验证</title></head>
<body>
<div class="yoda-container"><p>为了您的账号安全，请完成安全验证</p>
<div class="yoda-slider"></div></div>
</body>
</html>
"""


def render_verify_page(request_code: str) -> str:
    """Maoyan's verification centre: a slider captcha a crawler must never try to solve."""
    return f"""\
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>猫眼验证中心</title></head>
<body>
<div id="app" class="verify">
  <p class="tip">请向右拖动滑块完成验证</p>
  <div class="slider" data-request-code="{escape(request_code)}"></div>
</div>
</body>
</html>
"""


#: What the site answers a client it refuses outright (a User-Agent that is not a
#: browser's): a bare 403, without the "too frequent" text of a ban.
REFUSED_PAGE = """\
<html>
<head><title>403 Forbidden</title></head>
<body>
<center><h1>403 Forbidden</h1></center>
<hr><center>Tengine</center>
</body>
</html>
"""

BANNED_PAGE = """\
<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>猫眼电影</title></head>
<body>
<div class="error-page"><p>很抱歉，您的访问请求由于过于频繁而被禁止。</p></div>
</body>
</html>
"""
