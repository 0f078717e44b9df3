"""Pure normalisers from the feed's as-shown text to typed, comparable values.

Each takes anything a feed line may hold (including ``None`` and the wrong type),
never raises, and is idempotent: normalising an already clean value changes nothing.
"""

from __future__ import annotations

import math
import re
import string
from datetime import date
from decimal import Decimal

from maoyan_common.boards import currency as board_currency

WHITESPACE = re.compile(r"\s+")
RELEASE = re.compile(
    r"""^\s*
    (?P<year>\d{4})
    (?:\s*-\s*(?P<month>\d{1,2})(?:\s*-\s*(?P<day>\d{1,2})
        (?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)?)?          # 2020-12-25 12:00中国大陆上映
    \s*
    (?:
        [(（]\s*(?P<bracketed>[^()（）]*?)\s*[)）]   # 1994-09-10(加拿大)
      | (?P<bare>[^()（）\d\s][^()（）]*?)          # 2018-07-05中国大陆上映
    )?
    \s*(?:上映)?\s*$""",
    re.VERBOSE,
)
RELEASED_SUFFIX = re.compile(r"(?:上映)+$")
# Resize suffixes of Maoyan's image CDNs: "...jpg@160w_220h_1e_1c" (p0.meituan.net),
# "...jpg?imageView2/1/w/160/h/220" (p0.pipi.cn, desktop) and
# "...jpg?imageMogr2/thumbnail/2500x2500%3E" (p0.pipi.cn, mobile).
MEITUAN_RESIZE = re.compile(r"(\.(?:jpe?g|png|webp|gif))@[^/?#]*$", re.IGNORECASE)
PIPI_RESIZE = re.compile(r"\?image(?:View2|Mogr2)/[^#]*$")
# A board number as the page shows it: "2301.42万", "14.52亿", "3532万美元", "73916人".
BOARD_NUMBER = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<scale>万|亿)?(?P<unit>美元|元|人)?$")
SCALES = {None: 1, "万": 10**4, "亿": 10**8}
# Web fonts such as Maoyan's stonefont draw digits with private-use characters.
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
#: Full-width Latin letters and digits (U+FF10-FF19, FF21-FF3A, FF41-FF5A) to ASCII.
FULL_WIDTH_ALNUM = str.maketrans(
    {chr(ord(c) + 0xFEE0): c for c in string.digits + string.ascii_letters}
)
#: Why a board number is null although the feed had something: the two problems.
HIDDEN, UNPARSED = "hidden", "unparsed"


def normalise_title(value: object) -> str | None:
    """The title as Maoyan writes it, minus the noise that defeats searching and joining.

    Full-width Latin letters and digits (``Ｔｏｍ``, ``２``) become ASCII; any run of
    whitespace (ideographic spaces and line breaks included) becomes one space, and
    the ends are trimmed. Nothing else changes: Chinese punctuation (``：！，·``) is
    part of the title a reader searches for, so NFKC, which turns it into ASCII, is
    not used.
    """
    if not isinstance(value, str):
        return None
    return normalise_text(value.translate(FULL_WIDTH_ALNUM))


def normalise_text(value: object) -> str | None:
    """Free text (a director, a blurb, a score label): whitespace runs become one
    space, the ends are trimmed; ``None`` for nothing or a value that is no text."""
    if not isinstance(value, str):
        return None
    # str.split() splits on exactly what \s matches (U+3000 included), and is fast.
    return " ".join(value.split()) or None


def split_stars(value: object) -> list[str]:
    """``"张国荣,张丰毅，巩俐"`` -> ``["张国荣", "张丰毅", "巩俐"]``; ``[]`` for none.
    Genres (``"剧情,犯罪"``) are split the same way.

    A list (an already normalised value) is normalised element by element.
    """
    if isinstance(value, list):
        text = ",".join(item for item in value if isinstance(item, str))
    elif isinstance(value, str):
        text = value
    else:
        return []
    names = (" ".join(part.split()) for part in text.replace("，", ",").split(","))
    return [name for name in names if name]


def parse_release(value: object) -> tuple[str | None, str | None]:
    """``"1994-09-10(加拿大)"`` -> ``("1994-09-10", "加拿大")``.

    The date keeps the precision the page gave (``YYYY-MM-DD``, ``YYYY-MM`` or
    ``YYYY``); the region is the text in ASCII or full-width brackets (or before a
    trailing 上映), or ``None``. Text that is no such date gives ``(None, None)``.
    """
    if not isinstance(value, str):
        return None, None
    match = RELEASE.match(value)
    if not match:
        return None, None
    year, month, day = match.group("year", "month", "day")
    try:
        if day is not None:
            when = date(int(year), int(month), int(day)).isoformat()
        elif month is not None:
            when = date(int(year), int(month), 1).isoformat()[:7]
        else:
            when = date(int(year), 1, 1).isoformat()[:4]
    except ValueError:
        return None, None
    region = match.group("bracketed") or match.group("bare") or ""
    region = RELEASED_SUFFIX.sub("", WHITESPACE.sub(" ", region).strip()).strip()
    return when, region or None


def format_release(release_date: str | None, region: str | None) -> str | None:
    """The inverse of :func:`parse_release`, for round trips."""
    if release_date is None:
        return None
    return f"{release_date}({region})" if region else release_date


def parse_score(value: object) -> float | None:
    """``"9.5"`` or ``9.5`` -> ``9.5``; ``None`` for no score or anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def canonical_poster_url(value: object) -> str | None:
    """The poster without its resize suffix, so one film has one poster URL.

    ``https://p0.meituan.net/movie/<hash>.jpg@160w_220h_1e_1c`` and
    ``https://p0.pipi.cn/mmdb/<hash>.jpg?imageView2/1/w/160/h/220`` (desktop) and
    ``...jpg?imageMogr2/thumbnail/2500x2500%3E`` (mobile) lose the part after ``.jpg``,
    so both sources give one poster URL; a protocol-relative URL gets ``https:``.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url:
        return None
    if url.startswith("//"):
        url = "https:" + url
    if "?image" in url:
        url = PIPI_RESIZE.sub("", url)
    if "@" in url:
        url = MEITUAN_RESIZE.sub(r"\1", url)
    return url or None  # "?imageView2/..." alone is a suffix without a poster


def parse_board_number(value: object) -> tuple[float | None, str | None, str | None]:
    """A board number's text to ``(value in ones, unit, problem)``.

    ``"2301.42万"`` -> ``(23014200.0, None, None)``; ``"14.52亿"`` ->
    ``(1452000000.0, None, None)``; ``"3532万美元"`` -> ``(35320000.0, "美元", None)``;
    ``"73916人"`` -> ``(73916.0, "人", None)``. Digits drawn with a web font's
    private-use glyphs give ``(None, None, "hidden")`` (the font is never decoded);
    other text ``(None, None, "unparsed")``; ``None`` ``(None, None, None)``. A JSON
    number is taken as already in ones. The scale is applied in decimal, so 2301.42万
    is exactly 23014200.
    """
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return None, None, UNPARSED
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer past any float
            return None, None, UNPARSED
        return (number, None, None) if math.isfinite(number) else (None, None, UNPARSED)
    if not isinstance(value, str):
        return None, None, UNPARSED
    text = "".join(value.split()).replace(",", "")
    if not text:
        return None, None, None
    if PRIVATE_USE.search(text):
        return None, None, HIDDEN
    match = BOARD_NUMBER.match(text)
    if not match:
        return None, None, UNPARSED
    number = Decimal(match.group("number")) * SCALES[match.group("scale")]
    return float(number), match.group("unit"), None


def parse_box_office(value: object, board_id: int) -> tuple[float | None, str | None, str | None]:
    """Box office text to ``(amount, currency, problem)``: the amount in ones of the
    currency (``CNY`` on 国内票房榜, ``USD`` on 北美票房榜 or where the text says 美元)."""
    amount, unit, problem = parse_board_number(value)
    if unit == "人":
        return None, None, UNPARSED
    if amount is None:
        return None, None, problem
    # The board's own currency where the text does not name one (maoyan_common.boards).
    currency = "USD" if unit == "美元" else board_currency(board_id) or "CNY"
    return amount, currency, None


def parse_wish_count(value: object) -> tuple[int | None, str | None]:
    """Wish-count text (``"73916人"``, ``"28.7万人"``) to ``(people, problem)``."""
    count, unit, problem = parse_board_number(value)
    if unit in ("美元", "元") or (count is not None and not count.is_integer()):
        return None, UNPARSED
    return (int(count) if count is not None else None), problem
