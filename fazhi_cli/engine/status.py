"""Where everything stands: one row per (task, unit), and roll-ups by unit. Computed once, here;
`status`, `report` and `export` only lay these out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fazhi_cli.engine import facts
from fazhi_cli.engine.deadlines import days_overdue, due_for, official_due
from fazhi_cli.engine.workdays import years_of
from fazhi_cli.book.book import Book
from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.state import (
    STATE_LABELS,
    State,
    TargetProgress,
    all_evidence,
    derive,
    evidence_label,
    pending_extension,
    target_progress,
)
from fazhi_cli.models.ledger import Entry
from fazhi_cli.models.plan import TASK_KIND_LABELS, Task


@dataclass(frozen=True)
class Row:
    """One unit's standing on one task, as of a date."""

    task: Task
    unit_id: str
    unit_label: str
    role: str  # "lead" | "responsible"
    state: State
    due: dt.date
    due_source: str
    original_due: dt.date
    extended: bool
    planned: dt.date | None
    planned_late: bool
    overdue: bool
    days_overdue: int
    due_soon: bool
    done_date: dt.date | None
    closed_late: bool
    targets: tuple[TargetProgress, ...]
    extension_pending: dt.date | None
    evidence: tuple[str, ...]
    entry: Entry | None = field(compare=False, default=None)
    workdays: bool = False  # working days were counted (status --workdays, report --workdays)
    workdays_left: int | None = None  # facts.workdays_left: negative when overdue, None when done

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def targets_met(self) -> bool | None:
        return None if not self.targets else all(t.met for t in self.targets)

    def target_summary(self) -> str:
        return "；".join(t.summary() for t in self.targets)

    def as_dict(self) -> dict:
        return {
            "task": self.task.id,
            "title": self.task.title,
            "kind": self.task.kind.value,
            "unit": self.unit_id,
            "unit_name": self.unit_label,
            "role": self.role,
            "state": self.state.value,
            "state_label": self.state_label,
            "due": self.due.isoformat(),
            "due_source": self.due_source,
            "original_due": self.original_due.isoformat(),
            "extended": self.extended,
            "planned": self.planned.isoformat() if self.planned else None,
            "overdue": self.overdue,
            "days_overdue": self.days_overdue,
            "due_soon": self.due_soon,
            "done_date": self.done_date.isoformat() if self.done_date else None,
            "closed_late": self.closed_late,
            "extension_pending": self.extension_pending.isoformat() if self.extension_pending else None,
            "target": None
            if not self.targets
            else {"met": self.targets_met, "summary": self.target_summary(), "items": [t.as_dict() for t in self.targets]},
            "evidence": list(self.evidence),
        } | ({"workdays_left": self.workdays_left} if self.workdays else {})


def make_row(plan: Plan, task: Task, unit_id: str, role: str, entry: Entry | None, as_of: dt.date, workdays: bool = False) -> Row:
    unit = plan.units[unit_id]
    due = due_for(plan, task, unit, entry)
    derived = derive(entry, as_of)
    overdue = facts.is_overdue(derived.state, due.date, as_of)
    planned = entry.plan.due if entry and entry.plan else None
    pending = pending_extension(entry)
    return Row(
        task=task,
        unit_id=unit_id,
        unit_label=unit.label,
        role=role,
        state=derived.state,
        due=due.date,
        due_source=due.source,
        original_due=due.original,
        extended=due.extended,
        planned=planned,
        planned_late=bool(planned and planned > official_due(plan, task, unit).date),
        overdue=overdue,
        days_overdue=days_overdue(due.date, as_of) if overdue else 0,
        due_soon=facts.is_due_soon(derived.state, due.date, as_of, plan.settings.due_soon_days),
        done_date=derived.done_date,
        closed_late=facts.is_closed_late(derived.state, derived.done_date, due.date),
        targets=tuple(target_progress(task, entry, plan.year, as_of)),
        extension_pending=pending.new_due if pending else None,
        evidence=tuple(evidence_label(e) for e in all_evidence(entry)),
        entry=entry,
        workdays=workdays,
        workdays_left=facts.workdays_left(derived.state, due.date, as_of) if workdays else None,
    )


def status_rows(view: Book, *, units: list[str] | None = None, tasks: list[int] | None = None, workdays: bool = False) -> list[Row]:
    """Rows for every (task, carrying unit) of a Book as of a day, optionally limited to some units
    or tasks. Units without a valid ledger get rows computed from an empty ledger (nothing done).
    `workdays`: also count each open row's working days left (Row.workdays_left)."""
    if view.as_of_day is None:
        raise ValueError("status rows are computed from a Book as of a day: use book.as_of(day)")
    plan = view.plan
    resp = view.responsibilities
    if units is not None:
        units = set(units)  # membership is tested for every (task, unit)
    if tasks is not None:
        tasks = set(tasks)
    rows = []
    for tid in sorted(plan.tasks):
        if tasks is not None and tid not in tasks:
            continue
        task = plan.tasks[tid]
        r = resp[tid]
        for uid in r.everyone:
            if units is not None and uid not in units:
                continue
            role = "lead" if uid in r.lead else "responsible"
            rows.append(make_row(plan, task, uid, role, view.entry(uid, tid), view.as_of_day, workdays))
    return rows


def workdays_years(rows: list[Row], as_of: dt.date) -> set[int]:
    """The years the working days of these rows were counted over (for the fallback notice)."""
    return years_of((as_of, r.due) for r in rows if r.workdays_left is not None)


@dataclass(frozen=True)
class UnitSummary:
    """One unit's roll-up: its totals (engine.facts.totals) under its id and label."""

    unit_id: str
    unit_label: str
    totals: facts.Totals

    @property
    def total(self) -> int:
        return self.totals.total

    @property
    def counts(self) -> dict[str, int]:
        return {state.value: n for state, n in self.totals.states.items()}

    @property
    def closed(self) -> int:
        return self.totals.closed

    @property
    def applied_or_closed(self) -> int:
        return self.totals.applied_or_closed

    @property
    def overdue(self) -> int:
        return self.totals.overdue

    @property
    def due_soon(self) -> int:
        return self.totals.due_soon

    @property
    def closed_late(self) -> int:
        return self.totals.closed_late

    @property
    def rate(self) -> float:
        return self.totals.rate

    @property
    def expected(self) -> float:
        return self.totals.expected

    def as_dict(self) -> dict:
        return {
            "unit": self.unit_id,
            "unit_name": self.unit_label,
            "total": self.total,
            **self.counts,
            "applied_or_closed": self.applied_or_closed,
            "completion_rate": round(self.rate, 4),
            "expected_rate": round(self.expected, 4),
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "closed_late": self.closed_late,
        }


def summarize(plan: Plan, rows: list[Row], as_of: dt.date) -> list[UnitSummary]:
    """Per-unit totals (units in the order of data/units.yaml)."""
    by_unit = facts.totals_by_unit(plan.units, rows, as_of, plan.year)
    return [UnitSummary(uid, plan.units[uid].label, t) for uid, t in by_unit.items()]


def kind_label(task: Task) -> str:
    return TASK_KIND_LABELS[task.kind]
