"""How facts are written for readers: Chinese dates, percentages, and user text made safe."""

from __future__ import annotations

import datetime as dt
import re

# Characters XML 1.0 forbids (and that no document should carry): C0 controls except tab and
# newline, DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """User text made safe for every format: forbidden characters removed, CR/LF normalised."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _FORBIDDEN.sub("", text)


def cn_date(day: dt.date | None) -> str:
    """2020-08-05 → 2020年8月5日 (empty for None)."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def pct(value: float) -> str:
    """0.625 → 62.5%; whole numbers without decimals."""
    number = round(value * 100, 1)
    return f"{int(number)}%" if float(number).is_integer() else f"{number}%"


def points(value: float) -> str:
    """0.125 → 12.5 (percentage points)."""
    return f"{round(value * 100, 1):g}"


def join(items) -> str:
    return "、".join(i for i in items if i)


def brief(names: list[str], limit: int = 6) -> str:
    """Up to `limit` names; more become “甲、乙、丙等31个单位”."""
    if len(names) <= limit:
        return join(names)
    return join(names[: limit - 1]) + f"等{len(names)}个单位"
