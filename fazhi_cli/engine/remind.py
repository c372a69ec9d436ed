"""催办: what each unit is to be reminded of on a day — its items due within the warning windows
(`remind_before`, default 7 and 3 days before the deadline) or overdue (again every
`remind_overdue_every` days), the close-out applications it is to review, and the extension
requests it is to decide.

Everything comes from the status rows (engine/status.py): "overdue" and the deadline in force are
the rows' own; "within a window" is facts.is_due_soon with the widest window. Facts only — ids,
dates, numbers — and a stable key per reminder (the item and the window it falls in), by which a
sender knows what it already sent.

Who is reminded of what:
- a unit: its own items due soon or overdue, and its own extension requests still undecided (so it
  knows the old deadline still holds);
- a lead unit (unless `review_by: office`): the applications and extension requests, on the tasks
  it leads, of the other units (engine/roles.Roles.reviewer_units);
- the office (依法治市办): every application and extension request awaiting a decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from fazhi_cli.book.book import Book
from fazhi_cli.engine import facts
from fazhi_cli.engine.roles import Roles, roles_of
from fazhi_cli.engine.state import State, pending_extension
from fazhi_cli.engine.status import Row, status_rows
from fazhi_cli.models.ledger import Action

OFFICE = "office"  # the addressee id of the office's notice (its staff: office.editors)


class ItemKind(str, Enum):
    OVERDUE = "overdue"  # 逾期未完成
    DUE = "due"  # 临近完成时限
    REVIEW = "review"  # 销号申请待审核
    EXTENSION = "extension"  # 延期申请待审批
    OWN_EXTENSION = "own_extension"  # 本单位的延期申请尚未审批


ITEM_LABELS = {
    ItemKind.OVERDUE: "逾期未完成",
    ItemKind.DUE: "临近完成时限",
    ItemKind.REVIEW: "销号申请待审核",
    ItemKind.EXTENSION: "延期申请待审批",
    ItemKind.OWN_EXTENSION: "延期申请尚未审批",
}
KIND_ORDER = (ItemKind.OVERDUE, ItemKind.DUE, ItemKind.OWN_EXTENSION, ItemKind.REVIEW, ItemKind.EXTENSION)


@dataclass(frozen=True)
class Item:
    """One thing to remind of: a (task, unit) item and why."""

    kind: ItemKind
    task_id: int
    unit_id: str  # the unit whose item it is (for reviews: the unit that applied)
    due: dt.date  # the deadline in force
    days_left: int  # due − as_of (negative when overdue)
    days_overdue: int  # as status counts it (0 when not overdue)
    window: int  # DUE: the window in days (7, 3 …); OVERDUE: the reminder's number since overdue (0, 1 …)
    since: dt.date | None  # REVIEW: the application's date; (OWN_)EXTENSION: the request's date
    new_due: dt.date | None  # (OWN_)EXTENSION: the date asked for
    state: State

    @property
    def key(self) -> str:
        """Stable across runs: the same reminder for the same window has the same key."""
        base = f"{self.kind.value}:{self.unit_id}:{self.task_id}:{self.due.isoformat()}"
        if self.kind in (ItemKind.DUE, ItemKind.OVERDUE):
            return f"{base}:{self.window}"
        return f"{base}:{self.since.isoformat() if self.since else ''}"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "kind_label": ITEM_LABELS[self.kind],
            "task": self.task_id,
            "unit": self.unit_id,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "days_overdue": self.days_overdue,
            "window": self.window,
            "since": self.since.isoformat() if self.since else None,
            "new_due": self.new_due.isoformat() if self.new_due else None,
            "state": self.state.value,
            "key": self.key,
        }


@dataclass(frozen=True)
class Notice:
    """One addressee's 催办通知单: a unit (or the office) and what it is reminded of."""

    addressee: str  # unit id, or OFFICE
    recipients: tuple[str, ...]  # identities (normalised) of the addressee's editors
    items: tuple[Item, ...] = field(default=())

    def of(self, kind: ItemKind) -> list[Item]:
        return [i for i in self.items if i.kind is kind]

    def as_dict(self) -> dict:
        return {
            "addressee": self.addressee,
            "recipients": list(self.recipients),
            "counts": {k.value: len(self.of(k)) for k in KIND_ORDER},
            "items": [i.as_dict() for i in self.items],
        }


@dataclass(frozen=True)
class Reminders:
    as_of: dt.date
    windows: tuple[int, ...]  # remind_before, widest first
    overdue_every: int
    notices: list[Notice]  # units in the order of data/units.yaml, then the office; only non-empty ones


def due_window(days_left: int, windows: tuple[int, ...]) -> int | None:
    """The narrowest window `days_left` falls in (windows 7, 3: 5 days → 7, 2 days → 3), or None."""
    inside = [w for w in windows if 0 <= days_left <= w]
    return min(inside) if inside else None


def overdue_round(days_overdue: int, every: int) -> int:
    """Which reminder of an overdue item this is: 0 on the first day overdue, then one more every
    `every` days (every 1: a new one each day)."""
    return (max(days_overdue, 1) - 1) // every


def _last_apply(row: Row) -> dt.date | None:
    entry = row.entry
    if entry is None:
        return None
    dates = [item.date for item in entry.log if item.action is Action.APPLY]
    return dates[-1] if dates else None


def _item(kind: ItemKind, row: Row, as_of: dt.date, window: int = 0, since=None, new_due=None) -> Item:
    return Item(kind, row.task.id, row.unit_id, row.due, (row.due - as_of).days, row.days_overdue, window, since, new_due, row.state)


def own_items(row: Row, as_of: dt.date, windows: tuple[int, ...], every: int) -> list[Item]:
    """A unit's own reminders of one row: overdue, or due within a window; an undecided extension."""
    out = []
    if row.overdue:
        out.append(_item(ItemKind.OVERDUE, row, as_of, overdue_round(row.days_overdue, every)))
    elif windows and facts.is_due_soon(row.state, row.due, as_of, max(windows)):
        out.append(_item(ItemKind.DUE, row, as_of, due_window((row.due - as_of).days, windows)))
    pending = pending_extension(row.entry)
    if pending is not None and not facts.is_applied_or_closed(row.state):
        out.append(_item(ItemKind.OWN_EXTENSION, row, as_of, since=pending.requested, new_due=pending.new_due))
    return out


def decision_items(row: Row, as_of: dt.date) -> list[Item]:
    """What a reviewer of this row is to decide: a pending application, an undecided extension."""
    out = []
    if row.state is State.PENDING_REVIEW:
        out.append(_item(ItemKind.REVIEW, row, as_of, since=_last_apply(row)))
    pending = pending_extension(row.entry)
    if pending is not None and not facts.is_applied_or_closed(row.state):
        out.append(_item(ItemKind.EXTENSION, row, as_of, since=pending.requested, new_due=pending.new_due))
    return out


def _sorted(items: list[Item]) -> tuple[Item, ...]:
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    return tuple(sorted(items, key=lambda i: (order[i.kind], i.due, i.task_id, i.unit_id)))


def reminders(view: Book, *, units: list[str] | None = None, exclude: set[str] | None = None, roles: Roles | None = None) -> Reminders:
    """Every addressee's reminders from a Book as of a day. `units` limits the addressees (the
    office is one only when `units` is None or holds OFFICE); units in `exclude` (invalid
    ledgers) have no items of their own."""
    if view.as_of_day is None:
        raise ValueError("reminders are computed from a Book as of a day: use book.as_of(day)")
    plan, as_of = view.plan, view.as_of_day
    settings = plan.settings
    windows = tuple(settings.remind_before)
    every = settings.remind_overdue_every
    roles = roles or roles_of(plan)
    exclude = exclude or set()
    rows = [r for r in status_rows(view) if r.unit_id not in exclude]
    mine: dict[str, list[Item]] = {uid: [] for uid in plan.units}
    office: list[Item] = []
    for row in rows:
        mine[row.unit_id] += own_items(row, as_of, windows, every)
        decide = decision_items(row, as_of)
        if not decide:
            continue
        office += decide
        for lead in roles.reviewer_units(row.task.id):
            if lead != row.unit_id and lead in mine:
                mine[lead] += decide
    wanted = None if units is None else set(units)
    notices = []
    for uid in plan.units:
        if (wanted is None or uid in wanted) and mine[uid]:
            notices.append(Notice(uid, tuple(sorted(roles.editors.get(uid, ()))), _sorted(mine[uid])))
    if (wanted is None or OFFICE in wanted) and office:
        notices.append(Notice(OFFICE, tuple(sorted(roles.office)), _sorted(office)))
    return Reminders(as_of, windows, every, notices)
