"""The facts of one report, from a Book as of the report's day: the rows in scope and, for each,
its category, work-plan gaps, the reason it is not done and when it is now expected; totals,
per-task and per-unit standings (ranked, with lights); invalid and missing ledgers; and what the
report's kind adds (the week's events for 周调度).

Numbers, dates, ids and enum values only: render/report_fields.py writes them out for templates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from fazhi_cli.book.book import Book
from fazhi_cli.engine import facts
from fazhi_cli.engine.facts import Category, TaskStanding, Totals, UnitStanding
from fazhi_cli.engine.periods import PeriodChange, YearReview, period_change, year_review
from fazhi_cli.engine.report_kinds import ReportSpec
from fazhi_cli.engine.status import Row, status_rows
from fazhi_cli.engine.weekly import WeekFacts, week_facts
from fazhi_cli.models.ledger import Action, Decision, Entry
from fazhi_cli.models.plan import Unit

PLAN_FIELDS = ("leader", "owner", "measures", "due")  # the work plan's fields (models.ledger.WorkPlan)


class ReasonKind(str, Enum):
    EXTENSION = "extension"
    REJECTED = "rejected"
    REOPENED = "reopened"
    PROGRESS = "progress"


REASON_LABELS = {ReasonKind.EXTENSION: "申请延期", ReasonKind.REJECTED: "销号被退回", ReasonKind.REOPENED: "重新打开", ReasonKind.PROGRESS: "进展"}


class NextSource(str, Enum):
    PENDING_EXTENSION = "pending_extension"
    APPROVED_EXTENSION = "approved_extension"
    WORK_PLAN = "work_plan"
    PLAN_DEADLINE = "plan_deadline"


NEXT_SOURCE_LABELS = {
    NextSource.PENDING_EXTENSION: "延期申请（待审批）",
    NextSource.APPROVED_EXTENSION: "延期申请（已批准）",
    NextSource.WORK_PLAN: "工作方案",
    NextSource.PLAN_DEADLINE: "方案时限",
}


@dataclass(frozen=True)
class RowFacts:
    """A status row with what reports add: category, work-plan gaps, reason, next date."""

    row: Row
    category: Category
    plan_missing: tuple[str, ...]  # names of the work-plan fields not filled in (PLAN_FIELDS)
    reason: tuple[ReasonKind, str] | None  # not done: why, in the ledger's own words
    next_date: dt.date | None  # not done: when it is now expected
    next_source: NextSource | None


def plan_missing(entry: Entry | None) -> tuple[str, ...]:
    work = entry.plan if entry and entry.plan else None
    return tuple(name for name in PLAN_FIELDS if not (work and getattr(work, name)))


def reason(entry: Entry | None) -> tuple[ReasonKind, str] | None:
    """Why an item is not done: a pending or approved extension's reason, the office's last
    sending-back (or a reopening), else the latest progress note."""
    if entry is None:
        return None
    for ext in reversed(entry.extensions):
        if ext.decision is not Decision.REFUSED:
            return ReasonKind.EXTENSION, ext.reason
    for item in reversed(entry.log):
        if item.action is Action.REJECT and item.note:
            return ReasonKind.REJECTED, item.note
        if item.action is Action.REOPEN and item.note:
            return ReasonKind.REOPENED, item.note
    notes = sorted(entry.progress, key=lambda p: p.date)
    return (ReasonKind.PROGRESS, notes[-1].note) if notes else None


def next_date(row: Row) -> tuple[dt.date, NextSource]:
    """When an open item is now expected: a pending extension, an approved one, the work plan's
    date, else the plan's deadline."""
    if row.extension_pending:
        return row.extension_pending, NextSource.PENDING_EXTENSION
    if row.extended:
        return row.due, NextSource.APPROVED_EXTENSION
    if row.planned:
        return row.planned, NextSource.WORK_PLAN
    return row.due, NextSource.PLAN_DEADLINE


def row_facts(row: Row) -> RowFacts:
    done = facts.is_applied_or_closed(row.state)
    when, source = (None, None) if done else next_date(row)
    return RowFacts(row, facts.category(row.task, row.state), plan_missing(row.entry), None if done else reason(row.entry), when, source)


@dataclass(frozen=True)
class InvalidLedger:
    """A ledger that does not validate: its unit is left out of the numbers and listed as 台账无效."""

    unit_id: str
    label: str
    path: str
    problems: list[str]  # the first few problems, as `path:line:col: 错误 CODE …`
    more: int  # how many more problems there are


PROBLEMS_SHOWN = 3


def invalid_ledgers(book: Book) -> list[InvalidLedger]:
    """Ledgers that did not validate, with their first problems."""
    out = []
    plan = book.plan
    for stem, ledger_file in book.invalid_ledgers().items():
        errors = [p for p in ledger_file.problems if p.is_error]
        texts = [p.as_text() for p in errors[:PROBLEMS_SHOWN]]
        label = plan.units[stem].label if stem in plan.units else stem
        out.append(InvalidLedger(stem, label, ledger_file.path, texts, max(0, len(errors) - PROBLEMS_SHOWN)))
    return out


@dataclass
class ReportFacts:
    spec: ReportSpec
    scope: str  # unit | lead | office
    unit: Unit | None  # the unit (--unit) or lead unit (--lead)
    as_of: dt.date
    revision: str
    generator: str
    rows: list[RowFacts]  # task order, then unit order
    totals: Totals
    units: list[UnitStanding]  # ranked
    tasks: list[TaskStanding]
    leadership_section: str
    invalid_ledgers: list[InvalidLedger]
    missing_ledgers: list[str]  # ids of units in scope with no ledger file
    week: WeekFacts | None = field(default=None)
    change: PeriodChange | None = field(default=None)  # 季通报, 月通报: since the previous period's end
    review: YearReview | None = field(default=None)  # 年总结: every month and quarter end of the year


def leadership_section(view: Book) -> str:
    """The plan's first section (二(一) 加强党对法治政府建设的领导): its tasks are what the 党政主要负责人
    report on as 第一责任人 in the annual summary."""
    return view.plan.tasks[min(view.plan.tasks)].section


def build_report(
    view: Book,
    spec: ReportSpec,
    *,
    scope: str = "office",
    unit_id: str | None = None,
    invalid: list[InvalidLedger] | None = None,
    present: set[str] | None = None,
    revision: str | None = None,
    since: dt.date | None = None,
    generator: str = "fazhi",
    workdays: bool = False,
) -> ReportFacts:
    """The facts of one report, from a Book as of the report's day. Units in `invalid` are left out
    of every number and listed as 台账无效; `present` are units with a ledger file; `workdays`:
    each open row also counts its working days left (Row.workdays_left)."""
    if scope not in spec.kind.scopes:
        raise ValueError(f"{spec.kind.name} is not made for scope {scope}")
    plan, as_of = view.plan, view.as_of_day
    invalid = invalid or []
    present = set(view.ledgers) if present is None else present
    bad = {i.unit_id for i in invalid}
    units_filter: list[str] | None = [uid for uid in plan.units if uid not in bad]
    tasks_filter: list[int] | None = None
    if scope == "unit":
        units_filter = [unit_id]
        invalid = [i for i in invalid if i.unit_id == unit_id]
    elif scope == "lead":
        tasks_filter = view.tasks_led_by(unit_id)
        carrying = set().union(*(view.responsibilities[tid].everyone for tid in tasks_filter)) if tasks_filter else set()
        invalid = [i for i in invalid if i.unit_id in carrying or i.unit_id not in plan.units]
    raw = status_rows(view, units=units_filter, tasks=tasks_filter, workdays=workdays)
    rows = [row_facts(r) for r in raw]
    gaps: dict[str, int] = {}
    for r in rows:
        if r.plan_missing:
            gaps[r.row.unit_id] = gaps.get(r.row.unit_id, 0) + 1
    in_scope = {r.unit_id for r in raw}
    week = None
    if spec.kind.period:
        week = week_facts(view, raw, since or as_of - dt.timedelta(days=spec.kind.default_days), units_filter, tasks_filter)
    return ReportFacts(
        spec=spec,
        scope=scope,
        unit=plan.units[unit_id] if unit_id else None,
        as_of=as_of,
        revision=revision or "",
        generator=generator,
        rows=rows,
        totals=facts.totals(raw, as_of, plan.year),
        units=facts.standings(list(plan.units), plan.settings, raw, as_of, plan.year, present, gaps),
        tasks=facts.task_standings(raw, as_of, plan.year),
        leadership_section=leadership_section(view),
        invalid_ledgers=invalid,
        missing_ledgers=[uid for uid in plan.units if uid in in_scope and uid not in present],
        week=week,
        change=period_change(view, spec.kind.compare, units=units_filter, tasks=tasks_filter) if spec.kind.compare else None,
        review=year_review(view, units=units_filter, tasks=tasks_filter) if spec.kind.review else None,
    )


@dataclass
class LedgerTable:
    """The 台账 for export: every (task, unit) in scope, and the units' standings."""

    rows: list[RowFacts]
    units: list[UnitStanding]


def ledger_table(
    view: Book, *, scope: str = "office", unit_id: str | None = None, exclude: set[str] | None = None, present: set[str] | None = None
) -> LedgerTable:
    """Rows of the 台账 from a Book as of a day; units in `exclude` left out."""
    plan, as_of = view.plan, view.as_of_day
    units = [uid for uid in plan.units if uid not in (exclude or set())]
    tasks = None
    if scope == "unit":
        units = [unit_id]
    elif scope == "lead":
        tasks = view.tasks_led_by(unit_id)
    raw = status_rows(view, units=units, tasks=tasks)
    present = set(view.ledgers) if present is None else present
    return LedgerTable([row_facts(r) for r in raw], facts.standings(list(plan.units), plan.settings, raw, as_of, plan.year, present))
