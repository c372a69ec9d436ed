"""A ledger entry's state, derived from its records and 销号 log (never stored), and target progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from fazhi_cli.models.ledger import Action, Entry, Evidence, EvidenceFile
from fazhi_cli.engine.workdays import working_days_between
from fazhi_cli.models.plan import Measure, Target, Task


class State(str, Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PENDING_REVIEW = "pending_review"
    CLOSED = "closed"


STATE_LABELS = {
    State.NOT_STARTED: "未启动",
    State.IN_PROGRESS: "推进中",
    State.PENDING_REVIEW: "待审核销号",
    State.CLOSED: "已销号",
}

DONE_STATES = (State.PENDING_REVIEW, State.CLOSED)


@dataclass(frozen=True)
class Derived:
    state: State
    done_date: dt.date | None  # date of the close-out (apply/close) behind the current state
    closed_date: dt.date | None  # date the item became final (close/confirm)
    inconsistencies: tuple[tuple[int, str], ...]  # (log index, message): actions out of order


def derive(entry: Entry | None, as_of: dt.date | None = None) -> Derived:
    """Replay the log (up to `as_of`) to get the state. Out-of-order actions are reported, not fatal."""
    if entry is None:
        return Derived(State.NOT_STARTED, None, None, ())
    started = any(p.date <= as_of for p in entry.progress) if as_of else bool(entry.progress)
    started = started or (any(r.date <= as_of for r in entry.records) if as_of else bool(entry.records))
    state = State.IN_PROGRESS if started else State.NOT_STARTED
    done: dt.date | None = None
    closed: dt.date | None = None
    problems: list[tuple[int, str]] = []
    for index, item in enumerate(entry.log):
        if as_of is not None and item.date > as_of:
            continue
        action = item.action
        if action in (Action.APPLY, Action.CLOSE):
            if state in DONE_STATES:
                problems.append((index, f"{item.date} 已是“{STATE_LABELS[state]}”，不能再次申请销号"))
                continue
            done = item.date
            if action is Action.APPLY:
                state, closed = State.PENDING_REVIEW, None
            else:
                state, closed = State.CLOSED, item.date
        elif action is Action.CONFIRM:
            if state is not State.PENDING_REVIEW:
                problems.append((index, f"{item.date} 的确认销号之前没有待审核的销号申请"))
                continue
            state, closed = State.CLOSED, item.date
        elif action is Action.REJECT:
            if state is not State.PENDING_REVIEW:
                problems.append((index, f"{item.date} 的退回之前没有待审核的销号申请"))
                continue
            state, done, closed = State.IN_PROGRESS, None, None
        elif action is Action.REOPEN:
            if state is not State.CLOSED:
                problems.append((index, f"{item.date} 的重新打开针对的事项并未销号（只有已销号的事项可以重新打开）"))
                continue
            state, done, closed = State.IN_PROGRESS, None, None
    return Derived(state, done, closed, tuple(problems))


def pending_extension(entry: Entry | None):
    """The undecided extension request, if any."""
    if entry is None:
        return None
    for ext in reversed(entry.extensions):
        if ext.decision is None:
            return ext
    return None


@dataclass(frozen=True)
class TargetProgress:
    key: str
    label: str
    measure: str
    min: float | None
    max: float | None
    unit: str
    actual: float | None  # count of occurrences, or the latest measured value
    met: bool

    def summary(self) -> str:
        need = self.min if self.min is not None else self.max
        actual = "未填报" if self.actual is None else _num(self.actual)
        if self.measure == Measure.COUNT.value:
            return f"{self.label} {actual}/{_num(need)}{self.unit}"
        sign = "≥" if self.min is not None else "≤"
        return f"{self.label} {actual}{self.unit if self.actual is not None else ''}（要求{sign}{_num(need)}{self.unit}）"

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "measure": self.measure,
            "min": self.min,
            "max": self.max,
            "unit": self.unit,
            "actual": self.actual,
            "met": self.met,
        }


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def record_value(measure: Measure, record) -> float | None:
    """A record's measured value: the value written, or for a time limit in working days given by
    its dates, the working days from `received` (受理) to `date` (办结) — engine.workdays' count, the
    day of receipt not counted."""
    if record.value is not None:
        return record.value
    if measure is Measure.WORKDAYS and record.received is not None and record.received <= record.date:
        return float(working_days_between(record.received, record.date))
    return None


def target_progress(task: Task, entry: Entry | None, year: int, as_of: dt.date | None = None) -> list[TargetProgress]:
    """Progress towards each quantified target of the task, from the entry's dated records."""
    out = []
    records = entry.records if entry else []
    for target in task.targets:
        mine = [r for r in records if r.target == target.key and (as_of is None or r.date <= as_of)]
        if target.per_year:
            mine = [r for r in mine if r.date.year == year]
        if target.measure is Measure.COUNT:
            actual: float | None = float(len(mine))
        else:
            valued = sorted((r for r in mine if record_value(target.measure, r) is not None), key=lambda r: r.date)
            actual = record_value(target.measure, valued[-1]) if valued else None
        out.append(
            TargetProgress(
                target.key, target.label, target.measure.value, target.min, target.max, target.unit, actual, _met(target, actual)
            )
        )
    return out


def _met(target: Target, actual: float | None) -> bool:
    if actual is None:
        return False
    if target.min is not None and actual < target.min:
        return False
    if target.max is not None and actual > target.max:
        return False
    return True


def evidence_label(item: Evidence) -> str:
    return item.path if isinstance(item, EvidenceFile) else str(item)


def cited_evidence(entry: Entry | None) -> list[Evidence]:
    """Every evidence item the entry cites — progress, records, the 销号 log — in order, repeats kept."""
    if entry is None:
        return []
    return [item for group in ([p.evidence for p in entry.progress] + [r.evidence for r in entry.records] + [l.evidence for l in entry.log]) for item in group]


def all_evidence(entry: Entry | None) -> list[Evidence]:
    """Every piece of evidence cited anywhere in the entry, in order, without repeats."""
    seen: dict[str, Evidence] = {}
    for item in cited_evidence(entry):
        seen.setdefault(evidence_label(item), item)
    return list(seen.values())

