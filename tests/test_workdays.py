"""Working days (工作日): the official 2020 calendar (holidays and 调休), the counting convention,
`status --workdays`, reports, targets in working days, `check`'s warning for a deadline on a day off,
and the Monday–Friday fallback outside the calendar's years, said once."""

from __future__ import annotations

import datetime as dt

import pytest

from fazhi_cli.engine import workdays
from fazhi_cli.engine.workdays import day_off_reason, is_working_day, known, previous_working_day, working_days_between

D = dt.date


# --- the calendar ---------------------------------------------------------------------------------


def test_2020_holidays_and_swapped_working_days():
    assert known(2020)
    assert is_working_day(D(2020, 1, 19))  # a Sunday worked for 春节 (调休)
    assert is_working_day(D(2020, 10, 10))  # a Saturday worked for 国庆
    assert is_working_day(D(2020, 9, 27)) and is_working_day(D(2020, 4, 26)) and is_working_day(D(2020, 5, 9))
    assert not any(is_working_day(D(2020, 10, d)) for d in range(1, 9))  # 国庆、中秋 10-01…08
    assert not is_working_day(D(2020, 1, 31))  # 春节 extended (2020-01-31 … 02-02)
    assert not is_working_day(D(2020, 10, 31))  # an ordinary Saturday
    assert is_working_day(D(2020, 10, 30))
    assert workdays.holiday_name(D(2020, 10, 5)) == "国庆节"
    assert workdays.in_lieu_name(D(2020, 10, 10)) == "国庆节"
    assert day_off_reason(D(2020, 10, 31)) == "星期六"
    assert day_off_reason(D(2020, 10, 5)) == "国庆节假期"
    assert day_off_reason(D(2020, 10, 4)) == "星期日，国庆节假期"
    assert previous_working_day(D(2020, 10, 31)) == D(2020, 10, 30)
    assert previous_working_day(D(2020, 10, 8)) == D(2020, 9, 30)


def test_working_days_between_counts_the_days_after_a_up_to_b():
    assert working_days_between(D(2020, 7, 31), D(2020, 7, 31)) == 0
    assert working_days_between(D(2020, 7, 30), D(2020, 7, 31)) == 1
    assert working_days_between(D(2020, 7, 31), D(2020, 8, 3)) == 1  # Friday → Monday
    assert working_days_between(D(2020, 8, 6), D(2020, 7, 31)) == -4  # negative: b before a
    # across 国庆: 09-30 → 10-09 is one working day (10-09); the 调休 Saturday 10-10 counts
    assert working_days_between(D(2020, 9, 30), D(2020, 10, 9)) == 1
    assert working_days_between(D(2020, 9, 30), D(2020, 10, 10)) == 2
    assert working_days_between(D(2020, 9, 25), D(2020, 10, 12)) == 7  # 9-27 (a Sunday, 调休), 9-28, 29, 30, 10-09, 10-10, 10-12
    # the year: 2020 has 249 working days (262 weekdays, less 19 holiday weekdays, plus 6 调休 weekend days)
    assert working_days_between(D(2019, 12, 31), D(2020, 12, 31)) == 249
    # one definition across years: the sum of its parts
    assert working_days_between(D(2019, 12, 30), D(2021, 1, 4)) == (
        working_days_between(D(2019, 12, 30), D(2019, 12, 31)) + 249 + working_days_between(D(2020, 12, 31), D(2021, 1, 4))
    )


def test_outside_the_known_years_monday_to_friday():
    assert not known(2099)
    assert is_working_day(D(2099, 10, 1))  # a Thursday; no holiday is known for 2099
    assert not is_working_day(D(2099, 10, 3))  # a Saturday
    assert working_days_between(D(2099, 9, 30), D(2099, 10, 9)) == 7
    notice = workdays.fallback_notice([2020, 2099, 2099])
    assert notice is not None and "2099年" in notice and "周一至周五" in notice and "2020" not in notice.split("；")[1]
    assert workdays.fallback_notice([2020]) is None
