"""The 年总结 (yearly evaluation summary) as a template sees it: the year's month ends (月评价) and
quarter ends (季通报) side by side, each unit's lights over the months and ranks at the quarter ends,
and the items closed after their deadline."""

from __future__ import annotations

from dataclasses import dataclass

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.facts import LIGHT_LABELS, Light
from fazhi_cli.engine.periods import YearReview, month_end
from fazhi_cli.render.text import cn_date, pct

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")


@dataclass(frozen=True)
class PointView:
    """The whole scope at one period end."""

    day: str
    day_cn: str
    label: str  # 1月 … 12月, or 截至7月24日 for a day that is no month end
    rate_pct: str
    closed: int
    overdue: int
    red: int
    yellow: int
    green: int


@dataclass(frozen=True)
class UnitYearLine:
    """One unit over the year: its lights month by month and its ranks at the quarter ends."""

    unit_id: str
    label: str
    rank: int  # at the report's day
    light_label: str
    rate_pct: str
    total: int
    closed: int
    overdue: int
    months_green: int
    months_yellow: int
    months_red: int
    month_lights: list[str]  # 红 / 黄 / 绿, one per month end
    quarter_ranks: list[str]  # "3" per quarter end reached, "—" for those not reached
    best_rank: int
    worst_rank: int


@dataclass(frozen=True)
class ReviewView:
    year: int
    months: list[PointView]
    quarters: list[PointView]
    quarter_names: list[str]  # 第一季度 … 第四季度 (the columns of quarter_ranks)
    units: list[UnitYearLine]  # in the report day's rank order
    all_green: list[UnitYearLine]  # green at every month end
    ever_red: list[UnitYearLine]  # red at one month end or more, most months first
    closed_late: list  # ReportRow: closed after the deadline in force


def _point(plan: Plan, p, *, label: str) -> PointView:
    lights = [s.light.light for s in p.standings.values()]
    return PointView(
        p.day.isoformat(), cn_date(p.day), label, pct(p.totals.rate), p.totals.closed, p.totals.overdue,
        lights.count(Light.RED), lights.count(Light.YELLOW), lights.count(Light.GREEN),
    )


def _month_label(p) -> str:
    return f"{p.day.month}月" if p.day == month_end(p.day.year, p.day.month) else f"截至{p.day.month}月{p.day.day}日"


def review_view(plan: Plan, r: YearReview, by_key: dict) -> ReviewView:
    """The template's view of a year's review; `by_key` maps (task, unit) to the report's rows."""
    months = [_point(plan, p, label=_month_label(p)) for p in r.months]
    quarters = [_point(plan, p, label=QUARTER_NAMES[p.day.month // 3 - 1]) for p in r.quarters]
    last = r.months[-1] if r.months else None
    units = []
    for uid, now in sorted(last.standings.items(), key=lambda kv: kv[1].rank) if last else []:
        lights = [LIGHT_LABELS[p.standings[uid].light.light] for p in r.months if uid in p.standings]
        ranks = [p.standings[uid].rank for p in r.months if uid in p.standings]
        quarter_ranks = [str(q.standings[uid].rank) if uid in q.standings else "—" for q in r.quarters]
        units.append(
            UnitYearLine(
                uid, plan.units[uid].label, now.rank, LIGHT_LABELS[now.light.light], pct(now.totals.rate),
                now.totals.total, now.totals.closed, now.totals.overdue, lights.count("绿"), lights.count("黄"), lights.count("红"),
                lights, quarter_ranks + ["—"] * (4 - len(quarter_ranks)), min(ranks), max(ranks),
            )
        )
    return ReviewView(
        year=plan.year,
        months=months,
        quarters=quarters,
        quarter_names=list(QUARTER_NAMES),
        units=units,
        all_green=[u for u in units if u.months_red == 0 and u.months_yellow == 0 and u.month_lights],
        ever_red=sorted((u for u in units if u.months_red), key=lambda u: (-u.months_red, u.rank)),
        closed_late=[by_key[k] for k in r.closed_late if k in by_key],
    )
