"""Pure normalisers from the feed's as-shown text to typed, comparable values.

Each takes anything a feed line may hold (including ``None`` and the wrong type),
never raises, and is idempotent: normalising an already clean value changes nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date

WHITESPACE = re.compile(r"\s+")
RELEASE = re.compile(
    r"""^\s*
    (?P<year>\d{4})
    (?:\s*-\s*(?P<month>\d{1,2})(?:\s*-\s*(?P<day>\d{1,2}))?)?
    \s*
    (?:
        [(（]\s*(?P<bracketed>[^()（）]*?)\s*[)）]   # 1994-09-10(加拿大)
      | (?P<bare>[^()（）\d\s][^()（）]*?)          # 2018-07-05中国大陆上映
    )?
    \s*(?:上映)?\s*$""",
    re.VERBOSE,
)
RELEASED_SUFFIX = re.compile(r"(?:上映)+$")
# Resize suffixes of Maoyan's image CDNs: "...jpg@160w_220h_1e_1c" (p0.meituan.net)
# and "...jpg?imageView2/1/w/160/h/220" (p0.pipi.cn).
MEITUAN_RESIZE = re.compile(r"(\.(?:jpe?g|png|webp|gif))@[^/?#]*$", re.IGNORECASE)
PIPI_RESIZE = re.compile(r"\?imageView2/[^#]*$")


def normalise_title(value: object) -> str | None:
    """NFKC (full-width letters and digits to ASCII), trimmed, inner whitespace collapsed."""
    if not isinstance(value, str):
        return None
    # str.split() splits on exactly what \s matches, and is several times faster.
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    return text or None


def split_stars(value: object) -> list[str]:
    """``"张国荣,张丰毅，巩俐"`` -> ``["张国荣", "张丰毅", "巩俐"]``; ``[]`` for none.

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
    ``https://p0.pipi.cn/mmdb/<hash>.jpg?imageView2/1/w/160/h/220`` lose the part
    after ``.jpg``; a protocol-relative URL gets ``https:``.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url:
        return None
    if url.startswith("//"):
        url = "https:" + url
    if "?imageView2/" in url:
        url = PIPI_RESIZE.sub("", url)
    if "@" in url:
        url = MEITUAN_RESIZE.sub(r"\1", url)
    return url
