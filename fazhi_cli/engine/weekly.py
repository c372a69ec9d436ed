"""The weekly dispatch (周调度): every 销号 and extension event dated in the week (since, as_of],
each one listed — an apply and its reject in the same week are two events, not a net change of
nothing — and the items that became overdue during the week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from fazhi_cli.book.book import Book
from fazhi_cli.engine.state import State, derive, evidence_label
from fazhi_cli.engine.status import Row, status_rows
from fazhi_cli.models.ledger import ACTION_LABELS, Action


class EventKind(str, Enum):
    APPLY = Action.APPLY.value
    CLOSE = Action.CLOSE.value
    CONFIRM = Action.CONFIRM.value
    REJECT = Action.REJECT.value
    REOPEN = Action.REOPEN.value
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"


EVENT_LABELS = {
    **{EventKind(a.value): label for a, label in ACTION_LABELS.items()},
    EventKind.EXTENSION_REQUEST: "申请延期",
    EventKind.EXTENSION_APPROVED: "批准延期",
    EventKind.EXTENSION_REFUSED: "不予延期",
}


@dataclass(frozen=True)
class WeekEvent:
    """One thing a ledger records as done on `day`, with the item's state right after it."""

    day: dt.date
    unit_id: str
    task_id: int
    kind: EventKind
    by: str | None  # who: the name recorded with it (--by), else the account that did it
    note: str | None
    new_due: dt.date | None  # extension events: the date asked for
    evidence: tuple[str, ...]
    state_after: State  # the item's state at the end of `day`


@dataclass(frozen=True)
class WeekFacts:
    since: dt.date
    events: list[WeekEvent]
    new_overdue: list[tuple[int, str]]  # (task id, unit id) overdue at as_of and not at since


def week_events(rows: list[Row], unit_order: list[str], since: dt.date, as_of: dt.date) -> list[WeekEvent]:
    """Every apply, close, confirm, reject, reopen, extension request and decision dated in
    (since, as_of] of the rows' entries, by date, then unit order, then task, then ledger order."""
    order = {uid: i for i, uid in enumerate(unit_order)}
    found: list[tuple[tuple, WeekEvent]] = []
    for r in rows:
        entry = r.entry
        if entry is None:
            continue
        seq = 0

        def add(day, kind, by, note, new_due=None, evidence=()):
            nonlocal seq
            seq += 1
            event = WeekEvent(day, r.unit_id, r.task.id, kind, by, note, new_due, tuple(evidence), derive(entry, day).state)
            found.append(((day, order.get(r.unit_id, len(order)), r.task.id, seq), event))

        for item in entry.log:
            if since < item.date <= as_of:
                add(item.date, EventKind(item.action.value), item.name or item.by, item.note, None, [evidence_label(e) for e in item.evidence])
        for ext in entry.extensions:
            if since < ext.requested <= as_of:
                add(ext.requested, EventKind.EXTENSION_REQUEST, ext.name or ext.by, ext.reason, ext.new_due)
            if ext.decision is not None and ext.decided is not None and since < ext.decided <= as_of:
                kind = EventKind.EXTENSION_APPROVED if ext.decision.value == "approved" else EventKind.EXTENSION_REFUSED
                add(ext.decided, kind, ext.decided_name or ext.decided_by, ext.decision_note, ext.new_due)
    return [event for _, event in sorted(found, key=lambda pair: pair[0])]


def week_facts(view: Book, rows: list[Row], since: dt.date, units: list[str] | None, tasks: list[int] | None) -> WeekFacts:
    """The week's events and new overdue items, from a Book as of the week's last day."""
    as_of = view.as_of_day
    before = status_rows(view.as_of(since), units=units, tasks=tasks)
    was_overdue = {(r.task.id, r.unit_id) for r in before if r.overdue}
    new = [(r.task.id, r.unit_id) for r in rows if r.overdue and (r.task.id, r.unit_id) not in was_overdue]
    return WeekFacts(since, week_events(rows, list(view.plan.units), since, as_of), new)
