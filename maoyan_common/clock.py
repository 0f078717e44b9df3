"""Beijing time: Maoyan dates its boards by it. Beijing has kept UTC+8 all year since
1991: a fixed offset, no zone database needed."""

from __future__ import annotations

from datetime import timedelta, timezone

BEIJING_OFFSET = timedelta(hours=8)
BEIJING = timezone(BEIJING_OFFSET, "Asia/Shanghai")
