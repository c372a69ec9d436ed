"""Deadlines, in one place: a task's due date for a unit, and what counts as overdue or due soon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fazhi_cli.book.plan import Plan
from fazhi_cli.models.ledger import Decision, Entry
from fazhi_cli.models.plan import Task, TaskKind, Unit


@dataclass(frozen=True)
class Due:
    """A due date and where it comes from (quoted from the plan, or an approved extension)."""

    date: dt.date
    source: str
    original: dt.date  # the plan's date, before any approved extension
    extended: bool = False


def official_due(plan: Plan, task: Task, unit: Unit | None) -> Due:
    """The plan's deadline for this unit: the task's own date for the unit's level, else the phase default."""
    level = unit.level if unit else None
    for deadline in task.deadlines:
        if deadline.level is not None and deadline.level == level:
            return Due(deadline.due, deadline.source, deadline.due)
    for deadline in task.deadlines:
        if deadline.level is None:
            return Due(deadline.due, deadline.source, deadline.due)
    if task.deadlines and unit is None:
        latest = max(task.deadlines, key=lambda d: d.due)
        return Due(latest.due, latest.source, latest.due)
    default = plan.phases.count_due if task.kind is TaskKind.COUNT else plan.phases.default_due
    return Due(default.due, default.source, default.due)


def due_for(plan: Plan, task: Task, unit: Unit | None, entry: Entry | None = None) -> Due:
    """The deadline in force: the official one, moved by the latest approved extension request."""
    base = official_due(plan, task, unit)
    if entry is None:
        return base
    approved = [e for e in entry.extensions if e.decision is Decision.APPROVED]
    if not approved:
        return base
    latest = approved[-1]
    return Due(latest.new_due, f"延期申请（{latest.requested.isoformat()}）已批准", base.date, True)


def days_overdue(due: dt.date, as_of: dt.date) -> int:
    """Days past the end of the due date (0 when not overdue)."""
    return max(0, (as_of - due).days)


def is_due_soon(due: dt.date, as_of: dt.date, window_days: int) -> bool:
    return 0 <= (due - as_of).days <= window_days
