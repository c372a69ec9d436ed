"""Periods as report parameters: quarter and month ends, and what changed between two as-of views
(季通报, 月通报): each unit's rank and light then and now, the items newly overdue and newly
closed. Both views are Books as of a day; the facts are the status rows' and engine.facts' own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fazhi_cli.book.book import Book
from fazhi_cli.engine import facts
from fazhi_cli.engine.facts import Light
from fazhi_cli.engine.status import status_rows


def quarter_end(year: int, quarter: int) -> dt.date:
    """The last day of a quarter (1–4)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter {quarter}")
    return month_end(year, quarter * 3)


def month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def previous_end(day: dt.date, every: str) -> dt.date:
    """The end of the period before the one `day` falls in: for a quarter, the last day of the
    previous quarter (30 June → 31 March; 6 August → 30 June); for a month, of the previous month."""
    if every == "quarter":
        first = dt.date(day.year, (quarter_of(day) - 1) * 3 + 1, 1)
    elif every == "month":
        first = day.replace(day=1)
    else:
        raise ValueError(every)
    return first - dt.timedelta(days=1)


@dataclass(frozen=True)
class RankMove:
    unit_id: str
    rank_before: int
    rank_now: int
    light_before: Light
    light_now: Light
    rate_before: float
    rate_now: float

    @property
    def moved(self) -> int:
        """Places gained (positive) or lost (negative)."""
        return self.rank_before - self.rank_now


@dataclass(frozen=True)
class PeriodChange:
    every: str  # quarter | month
    since: dt.date  # the end of the previous period (the comparison's as-of day)
    moves: list[RankMove]  # every unit ranked in both, in today's rank order
    newly_overdue: list[tuple[int, str]]  # (task, unit): overdue now, not at `since`
    newly_closed: list[tuple[int, str]]  # (task, unit): closed now, not at `since`
    rate_before: float
    overdue_before: int
    closed_before: int


def period_change(view: Book, every: str, *, units: list[str] | None = None, tasks: list[int] | None = None, since: dt.date | None = None) -> PeriodChange:
    """What changed between the end of the previous period and the view's day."""
    plan, as_of = view.plan, view.as_of_day
    since = since or previous_end(as_of, every)
    before_view = view.as_of(since)
    now = status_rows(view, units=units, tasks=tasks)
    before = status_rows(before_view, units=units, tasks=tasks)
    order = list(plan.units)
    present = set(view.ledgers)
    s_now = {u.unit_id: u for u in facts.standings(order, plan.settings, now, as_of, plan.year, present)}
    s_before = {u.unit_id: u for u in facts.standings(order, plan.settings, before, since, plan.year, present)}
    moves = [
        RankMove(uid, s_before[uid].rank, u.rank, s_before[uid].light.light, u.light.light, s_before[uid].totals.rate, u.totals.rate)
        for uid, u in sorted(s_now.items(), key=lambda kv: kv[1].rank)
        if uid in s_before
    ]
    was_overdue = {(r.task.id, r.unit_id) for r in before if r.overdue}
    was_closed = {(r.task.id, r.unit_id) for r in before if facts.is_closed(r.state)}
    t_before = facts.totals(before, since, plan.year)
    return PeriodChange(
        every=every,
        since=since,
        moves=moves,
        newly_overdue=[(r.task.id, r.unit_id) for r in now if r.overdue and (r.task.id, r.unit_id) not in was_overdue],
        newly_closed=[(r.task.id, r.unit_id) for r in now if facts.is_closed(r.state) and (r.task.id, r.unit_id) not in was_closed],
        rate_before=t_before.rate,
        overdue_before=t_before.overdue,
        closed_before=t_before.closed,
    )


def month_ends(year: int, until: dt.date) -> list[dt.date]:
    """The month ends of `year` up to `until`, and `until` itself when it is not one (年总结: the
    year's 月评价 points)."""
    days = [month_end(year, m) for m in range(1, 13) if month_end(year, m) <= until]
    if dt.date(year, 1, 1) <= until and (not days or days[-1] != until) and until.year == year:
        days.append(until)
    return days


@dataclass(frozen=True)
class PeriodEnd:
    """The standings at one period end: totals and each unit's rank, light and rate."""

    day: dt.date
    totals: facts.Totals
    standings: dict[str, facts.UnitStanding]


@dataclass(frozen=True)
class YearReview:
    """年总结 of the evaluation: the year's month ends (月评价) and quarter ends (季通报), each an
    as-of view of its own, and the items closed after their deadline."""

    months: list[PeriodEnd]
    quarters: list[PeriodEnd]
    closed_late: list[tuple[int, str]]  # (task, unit): closed, but after the deadline in force


def year_review(view: Book, *, units: list[str] | None = None, tasks: list[int] | None = None) -> YearReview:
    """Each month end of the plan's year up to the view's day, as the view stood that day."""
    plan, as_of = view.plan, view.as_of_day
    order, present = list(plan.units), set(view.ledgers)
    months = []
    for day in month_ends(plan.year, as_of):
        rows = status_rows(view.as_of(day) if day != as_of else view, units=units, tasks=tasks)
        ranked = facts.standings(order, plan.settings, rows, day, plan.year, present)
        months.append(PeriodEnd(day, facts.totals(rows, day, plan.year), {u.unit_id: u for u in ranked}))
    quarter_days = {quarter_end(plan.year, q) for q in (1, 2, 3, 4)}
    now = status_rows(view, units=units, tasks=tasks)
    return YearReview(
        months=months,
        quarters=[p for p in months if p.day in quarter_days],
        closed_late=[(r.task.id, r.unit_id) for r in now if r.closed_late],
    )
