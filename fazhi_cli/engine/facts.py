"""The plan's facts, each defined once: closed, applied-or-closed, overdue, closed late, due soon,
report categories, completion rate, 序时进度, totals, ranking and traffic lights.

Everything here returns numbers, dates, booleans and enum values — never formatted text — so
`status`, every report and `export` say the same thing. Labels live beside the values they name
(STATE_LABELS, CATEGORY_LABELS, LIGHT_LABELS, ROLE_LABELS); render/ writes dates and percentages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from fazhi_cli.engine.state import DONE_STATES, State
from fazhi_cli.engine.workdays import working_days_between
from fazhi_cli.models.plan import Settings, Task, TaskKind

ROLE_LABELS = {"lead": "牵头", "responsible": "责任"}


# --- one row --------------------------------------------------------------------------------


def is_closed(state: State) -> bool:
    """已销号: confirmed (or closed where no review is required). Only this counts in 完成率."""
    return state is State.CLOSED


def is_applied_or_closed(state: State) -> bool:
    """已完成: applied for 销号 (待审核) or closed. Such an item is no longer overdue."""
    return state in DONE_STATES


def is_overdue(state: State, due: dt.date, as_of: dt.date) -> bool:
    """Not applied or closed by the end of its due date."""
    return not is_applied_or_closed(state) and as_of > due


def is_closed_late(state: State, done_date: dt.date | None, due: dt.date) -> bool:
    """Applied or closed, but after the due date (完成但逾期)."""
    return is_applied_or_closed(state) and done_date is not None and done_date > due


def is_due_soon(state: State, due: dt.date, as_of: dt.date, window_days: int) -> bool:
    """Not applied or closed, not overdue, and due within `window_days` days (临期)."""
    return not is_applied_or_closed(state) and 0 <= (due - as_of).days <= window_days


def workdays_left(state: State, due: dt.date, as_of: dt.date) -> int | None:
    """工作日 left at the end of `as_of` until the end of `due` (engine.workdays' count: the working
    days after `as_of` up to and including `due`); negative when overdue (the working days after
    `due` up to and including `as_of`). None once applied or closed: nothing is left to count."""
    if is_applied_or_closed(state):
        return None
    return working_days_between(as_of, due)


class Category(str, Enum):
    """Where a report lists a row. Every row is in exactly one category, so the section counts add
    up to the rows carried: 已完成 + 正在推进 + 尚未启动 + 长期坚持 = 承担任务."""

    DONE = "done"  # applied or closed (not a standing task)
    IN_PROGRESS = "in_progress"  # started, not applied (not a standing task)
    NOT_STARTED = "not_started"  # nothing recorded (not a standing task)
    STANDING = "standing"  # 长期坚持, whatever its state


CATEGORY_LABELS = {
    Category.DONE: "已完成",
    Category.IN_PROGRESS: "正在推进",
    Category.NOT_STARTED: "尚未启动",
    Category.STANDING: "长期坚持",
}


def category(task: Task, state: State) -> Category:
    if task.kind is TaskKind.STANDING:
        return Category.STANDING
    if is_applied_or_closed(state):
        return Category.DONE
    return Category.IN_PROGRESS if state is State.IN_PROGRESS else Category.NOT_STARTED


def expected_share(task: Task, due: dt.date, as_of: dt.date, year: int) -> float:
    """序时进度 of one row: the share of it that should be done by the end of `as_of`.

    A task whose deadline has passed: 1. A yearly count task (“每年…不少于N次”) is worked at
    through the year, so before its deadline it counts for the share of the period from 1 January
    of the plan year to its deadline that has elapsed (for a deadline of 31 December: the share of
    the year gone). Any other task before its deadline: 0."""
    if as_of > due:
        return 1.0
    if task.kind is not TaskKind.COUNT:
        return 0.0
    start = dt.date(year, 1, 1)
    if as_of < start:
        return 0.0
    return min(1.0, ((as_of - start).days + 1) / ((due - start).days + 1))


class FactRow(Protocol):
    """What the roll-ups read of a row (engine.status.Row has all of it)."""

    task: Task
    unit_id: str
    role: str
    state: State
    due: dt.date
    overdue: bool
    due_soon: bool
    closed_late: bool


def completion_rate(rows: Sequence[FactRow]) -> float:
    """完成率 = 已销号 ÷ 承担事项 (待审核 not counted); 0 when nothing is carried."""
    return sum(is_closed(r.state) for r in rows) / len(rows) if rows else 0.0


def expected_progress(rows: Sequence[FactRow], as_of: dt.date, year: int) -> float:
    """序时进度 of a set of rows: the mean of expected_share over them (0 when empty)."""
    if not rows:
        return 0.0
    return sum(expected_share(r.task, r.due, as_of, year) for r in rows) / len(rows)


def on_schedule(rate: float, expected: float) -> bool:
    """按序时进度: the completion rate is not below 序时进度."""
    return rate >= expected - 1e-9


# --- totals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Counts over a set of rows (one unit's, a lead unit's tasks, or the city's)."""

    units: int
    total: int
    lead: int
    states: dict[State, int]
    categories: dict[Category, int]
    closed: int
    pending_review: int
    done_closed: int  # of the 已完成 category: closed
    done_pending: int  # of the 已完成 category: awaiting review
    applied_or_closed: int
    open: int  # not applied or closed
    overdue: int
    due_soon: int
    closed_late: int
    rate: float  # 完成率
    applied_rate: float  # (已销号 + 待审核) ÷ 承担事项
    expected: float  # 序时进度

    @property
    def in_progress(self) -> int:
        return self.states[State.IN_PROGRESS]

    @property
    def not_started(self) -> int:
        return self.states[State.NOT_STARTED]


def totals(rows: Sequence[FactRow], as_of: dt.date, year: int) -> Totals:
    states = {s: 0 for s in State}
    categories = {c: 0 for c in Category}
    for r in rows:
        states[r.state] += 1
        categories[category(r.task, r.state)] += 1
    n = len(rows)
    applied = states[State.PENDING_REVIEW] + states[State.CLOSED]
    return Totals(
        units=len({r.unit_id for r in rows}),
        total=n,
        lead=sum(r.role == "lead" for r in rows),
        states=states,
        categories=categories,
        closed=states[State.CLOSED],
        pending_review=states[State.PENDING_REVIEW],
        done_closed=sum(1 for r in rows if category(r.task, r.state) is Category.DONE and is_closed(r.state)),
        done_pending=sum(1 for r in rows if category(r.task, r.state) is Category.DONE and not is_closed(r.state)),
        applied_or_closed=applied,
        open=n - applied,
        overdue=sum(r.overdue for r in rows),
        due_soon=sum(r.due_soon for r in rows),
        closed_late=sum(r.closed_late for r in rows),
        rate=completion_rate(rows),
        applied_rate=applied / n if n else 0.0,
        expected=expected_progress(rows, as_of, year),
    )


def totals_by_unit(unit_order: Iterable[str], rows: Sequence[FactRow], as_of: dt.date, year: int) -> dict[str, Totals]:
    """Totals of each unit that has rows, in `unit_order` (data/units.yaml)."""
    mine: dict[str, list[FactRow]] = {}
    for r in rows:
        mine.setdefault(r.unit_id, []).append(r)
    return {uid: totals(mine[uid], as_of, year) for uid in unit_order if uid in mine}


# --- ranking and traffic lights ---------------------------------------------------------------


def rank(unit_order: Sequence[str], by_unit: dict[str, Totals]) -> list[str]:
    """Unit ids ranked: completion rate high to low, then overdue count low to high, then the order
    of data/units.yaml — never a tie."""
    order = {uid: i for i, uid in enumerate(unit_order)}
    return sorted(by_unit, key=lambda uid: (-round(by_unit[uid].rate, 9), by_unit[uid].overdue, order.get(uid, len(order))))


class Light(str, Enum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


LIGHT_LABELS = {Light.RED: "红", Light.YELLOW: "黄", Light.GREEN: "绿"}


@dataclass(frozen=True)
class LightFact:
    """A unit's traffic light and what decided it."""

    light: Light
    overdue: int  # counted for red
    due_soon: int  # counted for yellow (0 when yellow_due_soon is off)
    behind: float  # 序时进度 − 完成率 when that made it yellow, else 0


def traffic_light(settings: Settings, t: Totals) -> LightFact:
    """红: overdue ≥ red_overdue. 黄: not red, and (yellow_due_soon and something is due soon) or
    the completion rate is below 序时进度 by more than yellow_behind. 绿: the rest."""
    rule = settings.traffic_light
    if t.overdue >= rule.red_overdue:
        return LightFact(Light.RED, t.overdue, 0, 0.0)
    due_soon = t.due_soon if rule.yellow_due_soon else 0
    behind = t.expected - t.rate if t.rate < t.expected - rule.yellow_behind - 1e-9 else 0.0
    if due_soon or behind:
        return LightFact(Light.YELLOW, 0, due_soon, behind)
    return LightFact(Light.GREEN, 0, 0, 0.0)


@dataclass(frozen=True)
class UnitStanding:
    """One unit in a roll-up: its totals, rank and light."""

    unit_id: str
    rank: int
    totals: Totals
    light: LightFact
    on_schedule: bool
    has_ledger: bool
    plan_missing: int = 0  # rows whose work plan has missing entries


def standings(
    unit_order: Sequence[str], settings: Settings, rows: Sequence[FactRow], as_of: dt.date, year: int,
    present: set[str], plan_missing: dict[str, int] | None = None,
) -> list[UnitStanding]:
    """Every unit with rows, ranked, with its light."""
    by_unit = totals_by_unit(unit_order, rows, as_of, year)
    out = []
    for place, uid in enumerate(rank(unit_order, by_unit), start=1):
        t = by_unit[uid]
        out.append(
            UnitStanding(uid, place, t, traffic_light(settings, t), on_schedule(t.rate, t.expected), uid in present,
                         (plan_missing or {}).get(uid, 0))
        )
    return out


def light_counts(units: Sequence[UnitStanding]) -> dict[Light, int]:
    return {light: sum(1 for u in units if u.light.light is light) for light in Light}


@dataclass(frozen=True)
class TaskStanding:
    """One task across the units that carry it (lead and office reports)."""

    task: Task
    lead: tuple[str, ...]  # unit ids
    totals: Totals
    dues: tuple[dt.date, ...]  # distinct deadlines in force, earliest first
    overdue_units: tuple[str, ...] = field(default=())
    open_units: tuple[str, ...] = field(default=())


def task_standings(rows: Sequence[FactRow], as_of: dt.date, year: int) -> list[TaskStanding]:
    by_task: dict[int, list[FactRow]] = {}
    for r in rows:
        by_task.setdefault(r.task.id, []).append(r)
    out = []
    for tid in sorted(by_task):
        mine = by_task[tid]
        out.append(
            TaskStanding(
                mine[0].task,
                tuple(r.unit_id for r in mine if r.role == "lead"),
                totals(mine, as_of, year),
                tuple(sorted({r.due for r in mine})),
                tuple(r.unit_id for r in mine if r.overdue),
                tuple(r.unit_id for r in mine if not is_applied_or_closed(r.state)),
            )
        )
    return out


@dataclass(frozen=True)
class LeadStanding:
    """One lead unit across the tasks it leads (city reports: the roll-up by 牵头单位)."""

    unit_id: str
    tasks: tuple[int, ...]
    total: int  # (unit, task) items on those tasks
    closed: int
    overdue: int
    overdue_units: tuple[str, ...]  # units overdue on one of those tasks, first seen first

    @property
    def rate(self) -> float:
        return self.closed / self.total if self.total else 0.0


def lead_standings(unit_order: Sequence[str], tasks: Sequence[TaskStanding]) -> list[LeadStanding]:
    """Each lead unit's tasks summed up, in the order of data/units.yaml; a task with two lead
    units counts for both."""
    led: dict[str, list[TaskStanding]] = {}
    for t in tasks:
        for uid in t.lead:
            led.setdefault(uid, []).append(t)
    out = []
    for uid in (u for u in unit_order if u in led):
        mine = led[uid]
        overdue_units = tuple(dict.fromkeys(u for t in mine for u in t.overdue_units))
        out.append(
            LeadStanding(
                uid, tuple(t.task.id for t in mine), sum(t.totals.total for t in mine),
                sum(t.totals.closed for t in mine), sum(t.totals.overdue for t in mine), overdue_units,
            )
        )
    return out
