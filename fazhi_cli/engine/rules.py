"""The 销号 rules, once: what a task entry may contain, whoever wrote it.

`entry_violations` is the only definition. `fazhi check` runs it on hand-edited ledgers (with the
line of each violation), every write command runs it on the ledger as it would be written (so a
command can never record what a hand edit may not), and `fazhi audit` runs it on each committed
version. The rules:

- apply and close carry evidence (E312); close only where review is off (E313);
- confirm and reject follow an apply, reopen follows a close, no second apply while one is pending
  or closed (E307);
- dates never go backwards within a task's 销号 log (E314);
- an extension is requested before the deadline in force (E316); a decision comes with its date,
  on or after the request, and only one request awaits a decision at a time (E315);
- a measured value is a real number in its range: a rate 0–100, a count or time limit ≥ 0 (E318);
- a time limit given by its dates (received → date) is for a target in working days, received on
  or before date, and agrees with a value written beside it (E320);
- dates lie in the plan's year: before it an error, as the commands refuse it (E319); after it a
  warning (W304: a late close-out may be recorded in January).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.deadlines import due_for
from fazhi_cli.engine.state import derive
from fazhi_cli.engine.workdays import working_days_between
from fazhi_cli.models.ledger import ACTION_LABELS, Action, Entry
from fazhi_cli.models.plan import Measure, Task, Unit
from fazhi_cli.problems import Severity


@dataclass(frozen=True)
class Violation:
    """One broken rule, at a place inside the entry (a path such as ("log", 2, "date"))."""

    code: str
    where: tuple
    message: str
    severity: Severity = Severity.ERROR


def entry_violations(plan: Plan, task: Task, unit: Unit, entry: Entry) -> list[Violation]:
    """Every rule the entry breaks, in file order within each section."""
    out: list[Violation] = []
    out += _log_rules(plan, entry)
    out += _extension_rules(plan, task, unit, entry)
    out += _value_rules(task, entry)
    out += _year_rules(plan, entry)
    return out


# --- the 销号 log ---------------------------------------------------------------------------


def _log_rules(plan: Plan, entry: Entry) -> list[Violation]:
    out: list[Violation] = []
    previous: dt.date | None = None
    for index, item in enumerate(entry.log):
        if previous is not None and item.date < previous:
            out.append(Violation("E314", ("log", index, "date"), f"{item.date} 的“{_action(item.action)}”早于前一条销号记录（{previous}）；销号记录应按日期先后排列"))
        previous = max(previous, item.date) if previous else item.date
        if item.action in (Action.APPLY, Action.CLOSE) and not item.evidence:
            out.append(Violation("E312", ("log", index), f"{item.date} 的“{_action(item.action)}”没有佐证材料；销号必须附文件、文号或网址（evidence:）"))
        if item.action is Action.CLOSE and plan.settings.review_required:
            out.append(
                Violation("E313", ("log", index, "action"), f"{item.date} 的“销号”(close) 未经审核：本工作区要求牵头单位或依法治市办确认，应写 apply 并等待 confirm")
            )
    for index, message in derive(entry).inconsistencies:
        out.append(Violation("E307", ("log", index), message))
    return out


def _action(action: Action) -> str:
    return ACTION_LABELS[action]


# --- extensions -----------------------------------------------------------------------------


def _extension_rules(plan: Plan, task: Task, unit: Unit, entry: Entry) -> list[Violation]:
    out: list[Violation] = []
    pending = 0
    for index, ext in enumerate(entry.extensions):
        at = ("extensions", index)
        if ext.new_due <= ext.requested:
            out.append(Violation("E315", at + ("new_due",), "延期申请的新时限应晚于申请日期"))
        before = entry.model_copy(update={"extensions": entry.extensions[:index]})
        due = due_for(plan, task, unit, before)
        if ext.requested > due.date:
            out.append(Violation("E316", at + ("requested",), f"延期申请（{ext.requested}）晚于当时的完成时限 {due.date}；延期须在时限之前申请"))
        if ext.decision is not None and ext.decided is None:
            out.append(Violation("E315", at, "延期申请已有审批结果，但缺少审批日期 decided"))
        if ext.decision is None and (ext.decided is not None or ext.decided_by):
            out.append(Violation("E315", at, "延期申请有审批日期或审批人，但没有审批结果 decision（approved 或 refused）"))
        if ext.decided is not None and ext.decided < ext.requested:
            out.append(Violation("E315", at + ("decided",), f"审批日期 {ext.decided} 早于申请日期 {ext.requested}"))
        if ext.decision is None:
            pending += 1
            if pending > 1:
                out.append(Violation("E315", at, "已有一份尚未审批的延期申请；同一时间只能有一份待审批的申请"))
    return out


# --- values ---------------------------------------------------------------------------------


def value_problem(measure: Measure, value: float) -> str | None:
    """Why a measured value cannot be right, or None: never nan or infinite; a rate lies in 0–100;
    a count or a time limit is not negative; a time limit in working days is at most a year's."""
    if not math.isfinite(value):
        return "数值必须是有限的数字"
    if measure is Measure.PERCENT and not 0 <= value <= 100:
        return f"比率应在 0–100 之间（填的是 {value:g}）"
    if value < 0:
        return f"数值不能为负（填的是 {value:g}）"
    if measure is Measure.WORKDAYS and value > MAX_WORKDAYS:
        return f"时限应为工作日天数，不超过 {MAX_WORKDAYS}（填的是 {value:g}）"
    return None


MAX_WORKDAYS = 366  # a time limit in working days longer than a year is a typo, not a measurement


def _value_rules(task: Task, entry: Entry) -> list[Violation]:
    measures = {t.key: t.measure for t in task.targets}
    labels = {t.key: t.label for t in task.targets}
    out = []
    for index, record in enumerate(entry.records):
        measure = measures.get(record.target)
        if measure is None:
            continue
        if record.received is not None:
            out += _received_rules(index, record, measure, labels[record.target])
        if record.value is None:
            continue
        why = value_problem(measure, record.value)
        if why:
            out.append(Violation("E318", ("records", index, "value"), why))
    return out


def _received_rules(index: int, record, measure: Measure, label: str) -> list[Violation]:
    """A time limit given by its dates: `received` (受理) on or before `date` (办结), only for a target
    counted in working days; its working days within range; a value written beside them agrees."""
    at = ("records", index, "received")
    if measure is not Measure.WORKDAYS:
        return [Violation("E320", at, f"“{label}”不是以工作日计的时限目标，不能填受理日期 received；请删去")]
    if record.received > record.date:
        return [Violation("E320", at, f"受理日期 {record.received} 晚于办结日期 {record.date}；请检查两个日期")]
    days = working_days_between(record.received, record.date)
    if days > MAX_WORKDAYS:
        return [Violation("E318", at, f"受理日期 {record.received} 至办结日期 {record.date} 有 {days} 个工作日，超过 {MAX_WORKDAYS}；请检查年份")]
    if record.value is not None and record.value != days:
        return [Violation(
            "E320", ("records", index, "value"),
            f"填写的{label} {record.value:g} 与受理日期 {record.received} 至办结日期 {record.date} 之间的 {days} 个工作日不符；删去 value（按日期计算）或改为 {days}",
        )]
    return []


# --- the plan year --------------------------------------------------------------------------


def dated_places(entry: Entry) -> list[tuple[tuple, dt.date]]:
    """Every date something happened on, with its place in the entry."""
    places = [(("claimed",), entry.claimed)] if entry.claimed else []
    places += [(("progress", i, "date"), p.date) for i, p in enumerate(entry.progress)]
    places += [(("records", i, "date"), r.date) for i, r in enumerate(entry.records)]
    places += [(("log", i, "date"), item.date) for i, item in enumerate(entry.log)]
    for i, e in enumerate(entry.extensions):
        places.append((("extensions", i, "requested"), e.requested))
        if e.decided:
            places.append((("extensions", i, "decided"), e.decided))
    return places


def _year_rules(plan: Plan, entry: Entry) -> list[Violation]:
    out = []
    for where, day in dated_places(entry):
        if day.year < plan.year:
            out.append(Violation("E319", where, f"日期 {day} 早于方案年度（{plan.year}年）；本台账只记录 {plan.year} 年度方案的工作，请检查年份"))
        elif day.year > plan.year:
            out.append(Violation("W304", where, f"日期 {day} 不在方案年度（{plan.year}年）内；请检查年份", Severity.WARNING))
    return out
