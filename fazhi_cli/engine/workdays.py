"""Working days (工作日): the official calendar behind one small module.

A working day is Monday–Friday, less the statutory holidays, plus the weekend days worked in their
place (调休), as the State Council's yearly notices set them; `chinesecalendar` carries those
notices (2004 onwards, a year or so ahead of the present). Outside the years it knows, Monday–Friday
is assumed; the caller says so once (`fallback_years`, `fallback_notice`).

Counting convention (as for statutory time limits, where the day a period starts is not counted):
`working_days_between(a, b)` is the number of working days d with a < d <= b — the working days
*after* a, up to and including b; negative when b is before a (`-working_days_between(b, a)`).
So a case received on 2020-09-30 and settled on 2020-10-09 took 1 working day (10-01…08 国庆);
an item due 2020-07-31 has, at the end of 2020-07-30, 1 working day left and on 2020-08-03 is
1 working day overdue (−1).

Pure: no clock, no files; the calendar is read once and kept as a table per year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

WEEKDAY_LABELS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


@lru_cache(maxsize=1)
def _calendar():
    """The chinese_calendar module, imported on first use (commands that show no working days
    never load it)."""
    import chinese_calendar

    return chinese_calendar


@lru_cache(maxsize=1)
def known_range() -> tuple[int, int]:
    """The first and last year the calendar has the holiday notices of."""
    days = _calendar().holidays.keys()
    return min(days).year, max(days).year


def known(year: int) -> bool:
    """Whether the official holidays and 调休 of `year` are known (else Monday–Friday is assumed)."""
    first, last = known_range()
    return first <= year <= last


def calendar_version() -> str:
    return getattr(_calendar(), "__version__", "")


def is_working_day(day: dt.date) -> bool:
    """A working day by the official calendar; outside the known years, Monday–Friday."""
    if not known(day.year):
        return day.weekday() < 5
    return _calendar().is_workday(day)


def holiday_name(day: dt.date) -> str | None:
    """The holiday a day off belongs to, in Chinese (国庆节, 春节 …), or None: an ordinary weekend,
    a working day, or a year the calendar does not know."""
    if not known(day.year):
        return None
    cal = _calendar()
    on_holiday, name = cal.get_holiday_detail(day)
    if not on_holiday or name is None:
        return None
    try:
        return cal.Holiday(name).chinese
    except ValueError:
        return name


def in_lieu_name(day: dt.date) -> str | None:
    """For a weekend day worked in place of a holiday (调休上班), the holiday's Chinese name."""
    if not known(day.year) or day.weekday() < 5:
        return None
    cal = _calendar()
    name = cal.workdays.get(day)
    if name is None:
        return None
    try:
        return cal.Holiday(name).chinese
    except ValueError:
        return name


@lru_cache(maxsize=None)
def _year_table(year: int) -> tuple[int, ...]:
    """cumulative[i] = working days from 1 January through day i of the year (0-based)."""
    start = dt.date(year, 1, 1)
    total, out = 0, []
    for offset in range((dt.date(year + 1, 1, 1) - start).days):
        total += is_working_day(start + dt.timedelta(days=offset))
        out.append(total)
    return tuple(out)


def _through(day: dt.date) -> int:
    """Working days from 1 January of day's year through `day`."""
    return _year_table(day.year)[day.timetuple().tm_yday - 1]


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days after `a` up to and including `b` (a < d <= b); negative when b < a."""
    if b < a:
        return -working_days_between(b, a)
    if a.year == b.year:
        return _through(b) - _through(a)
    count = _year_table(a.year)[-1] - _through(a)
    for year in range(a.year + 1, b.year):
        count += _year_table(year)[-1]
    return count + _through(b)


def previous_working_day(day: dt.date) -> dt.date:
    """The last working day before `day`."""
    day -= dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def next_working_day(day: dt.date) -> dt.date:
    """The first working day after `day`."""
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def day_off_reason(day: dt.date) -> str:
    """Why a day is not a working day, in Chinese: 星期六, 星期日, or 国庆节假期 (a holiday that
    falls on a weekend says both: 星期六，国庆节假期)."""
    name = holiday_name(day)
    weekday = WEEKDAY_LABELS[day.weekday()]
    if name is None:
        return weekday
    return f"{name}假期" if day.weekday() < 5 else f"{weekday}，{name}假期"


def day_off_message(what: str, day: dt.date) -> str | None:
    """Why a deadline needs a look, or None on a working day: `what` 2020-10-31 是星期六，不是工作日；
    如需调整请改为前一个工作日 2020-10-30."""
    if is_working_day(day):
        return None
    before = previous_working_day(day)
    return f"{what} {day.isoformat()} 是{day_off_reason(day)}，不是工作日；如需调整请改为前一个工作日 {before.isoformat()}"


def notice_suffix(years: Iterable[int]) -> str:
    """For a single message about a day: （2099年不在工作日历中，按周一至周五判断）, or ''."""
    missing = fallback_years(years)
    if not missing:
        return ""
    return f"（{'、'.join(f'{y}年' for y in missing)}不在工作日历中，按周一至周五判断）"


def years_of(spans: Iterable[tuple[dt.date, dt.date]]) -> set[int]:
    """Every year a set of (a, b) spans touches."""
    years: set[int] = set()
    for a, b in spans:
        low, high = min(a, b), max(a, b)
        years.update(range(low.year, high.year + 1))
    return years


def fallback_years(years: Iterable[int]) -> list[int]:
    """Of these years, those the calendar does not know (counted Monday–Friday)."""
    return sorted(y for y in set(years) if not known(y))


def fallback_notice(years: Iterable[int]) -> str | None:
    """The one line a command prints when some working days were counted Monday–Friday."""
    missing = fallback_years(years)
    if not missing:
        return None
    first, last = known_range()
    shown = "、".join(f"{y}年" for y in missing[:5]) + ("等" if len(missing) > 5 else "")
    return (
        f"工作日历（chinesecalendar {calendar_version()}）只有 {first}—{last} 年的法定节假日和调休；"
        f"{shown}按周一至周五计算工作日（未计入这些年份的节假日和调休）；升级 chinesecalendar 后即按官方日历计算"
    )
