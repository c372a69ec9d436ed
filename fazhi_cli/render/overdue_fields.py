"""City-wide and lead reports in the form an office files: the body sums up by unit and by lead unit;
the annex lists what is overdue, one line per unit for the items its ledger says nothing about
(task numbers side by side) and one line per item whose ledger gives a reason."""

from __future__ import annotations

from dataclasses import dataclass

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.facts import LeadStanding
from fazhi_cli.render.text import pct


@dataclass(frozen=True)
class OverdueLine:
    """Overdue items of one unit sharing a line of the annex: one item with the reason its ledger
    gives, or every item its ledger says nothing about."""

    unit_id: str
    unit_label: str
    task_ids: list[int]
    tasks_text: str  # 1–4、7、9 (序号, runs joined)
    title: str  # the task's title when the line holds one item, else ""
    count: int
    due_cn: str  # the deadline when the line holds one item or all share it, else ""
    days_overdue: int  # the longest
    state_label: str  # when all share it, else ""
    reason: str  # "" when the ledger says nothing


@dataclass(frozen=True)
class LeadLine:
    """One lead unit's tasks summed up (逐牵头单位)."""

    unit_id: str
    label: str
    tasks: int
    tasks_text: str
    total: int
    closed: int
    overdue: int
    overdue_units: int
    rate_pct: str


def runs(numbers: list[int]) -> str:
    """1、2、3、4、7 → 1–4、7."""
    out, ordered = [], sorted(set(numbers))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(f"{ordered[i]}–{ordered[j]}" if j - i >= 2 else "、".join(str(n) for n in ordered[i : j + 1]))
        i = j + 1
    return "、".join(out)


def _line(items: list, reason: str) -> OverdueLine:
    first = items[0]
    one = len(items) == 1
    shared = lambda name: getattr(first, name) if all(getattr(r, name) == getattr(first, name) for r in items) else ""  # noqa: E731
    return OverdueLine(
        first.unit_id, first.unit_label, [r.task_id for r in items], runs([r.task_id for r in items]),
        first.title if one else "", len(items), shared("due_cn"), max(r.days_overdue for r in items), shared("state_label"), reason,
    )


def overdue_lines(groups: list) -> list[OverdueLine]:
    """The annex lines of overdue items grouped by unit (`UnitGroup`s, most overdue first)."""
    out = []
    for g in groups:
        silent = [r for r in g.items if not r.reason]
        if silent:
            out.append(_line(silent, ""))
        out += [_line([r], r.reason) for r in g.items if r.reason]
    return out


def lead_lines(plan: Plan, leads: list[LeadStanding]) -> list[LeadLine]:
    return [
        LeadLine(s.unit_id, plan.units[s.unit_id].label, len(s.tasks), runs(list(s.tasks)), s.total, s.closed, s.overdue, len(s.overdue_units), pct(s.rate))
        for s in leads
    ]
