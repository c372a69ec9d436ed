"""What a write command may do to an entry, decided from the entry as it is on disk now.

Each function takes the current `Entry` and returns the item to record, or raises `Refused`
with a Chinese message. They run under the ledger's lock, so two clerks closing the same task at
once cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fazhi_cli.engine.deadlines import due_for, official_due
from fazhi_cli.engine.rules import value_problem
from fazhi_cli.engine.workdays import day_off_message, notice_suffix, working_days_between
from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.state import DONE_STATES, STATE_LABELS, State, derive, pending_extension, target_progress
from fazhi_cli.models.common import fold_full_width
from fazhi_cli.models.ledger import Action, Entry, Evidence, EvidenceFile
from fazhi_cli.models.plan import Measure, Target, Task, Unit


class Refused(Exception):
    """The request does not fit the entry's state; nothing is written. `code` is a stable R-code
    (fazhi_cli.problems.CODES)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Decision:
    """Items to append under keys of the entry, plain values to set, and warnings to show."""

    append: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    set: dict[str, Any] = field(default_factory=dict)
    update: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # fields set on an item of a list
    warnings: list[str] = field(default_factory=list)
    summary: str = ""


def evidence_items(evidence: list[Evidence]) -> list[Any]:
    """Evidence as it is written into YAML: files as {path, sha256}, others as text."""
    out: list[Any] = []
    for item in evidence:
        if isinstance(item, EvidenceFile):
            out.append({"path": item.path, "sha256": item.sha256} if item.sha256 else {"path": item.path})
        else:
            out.append(item)
    return out


class Who(NamedTuple):
    """Who acts: the account (git e-mail or server user) fazhi knows, and a name the clerk typed."""

    account: str | None = None
    name: str | None = None

    def fields(self, account_key: str = "by", name_key: str = "name") -> dict[str, str]:
        out = {}
        if self.account:
            out[account_key] = self.account
        if self.name and self.name.strip():
            out[name_key] = self.name.strip()
        return out


NOBODY = Who()


def _log_item(date: dt.date, action: Action, who: Who, note: str | None, evidence: list[Evidence]) -> dict:
    item: dict[str, Any] = {"date": date, "action": action.value}
    item.update(who.fields())
    if note:
        item["note"] = note
    if evidence:
        item["evidence"] = evidence_items(evidence)
    return item


def decide_plan(plan: Plan, task: Task, unit: Unit, *, leader, owner, measures, due: dt.date | None) -> Decision:
    values = {k: v for k, v in (("leader", leader), ("owner", owner), ("measures", measures), ("due", due)) if v is not None}
    if not values:
        raise Refused("R201", "没有要填写的内容：请至少给出 --leader、--owner、--measures、--due 中的一项")
    decision = Decision(set={f"plan.{k}": v for k, v in values.items()}, summary="填写工作方案")
    if due is not None:
        official = official_due(plan, task, unit)
        if due > official.date:
            decision.warnings.append(f"计划完成时间 {due} 晚于规定时限 {official.date}（{official.source}）")
        off = day_off_message("计划完成时间", due)
        if off:
            decision.warnings.append(off + notice_suffix([due.year]))
    return decision


def decide_progress(entry: Entry, *, date: dt.date, note: str, evidence: list[Evidence]) -> Decision:
    if not note.strip():
        raise Refused("R203", "进展说明不能为空：请用 --note 写明做了什么")
    item: dict[str, Any] = {"date": date, "note": note}
    if evidence:
        item["evidence"] = evidence_items(evidence)
    decision = Decision(append=[("progress", item)], summary="记录进展")
    if derive(entry).state in DONE_STATES:
        decision.warnings.append("该事项已申请销号或已销号，本条进展仅作补充记录")
    return decision


def find_target(task: Task, key: str | None) -> Target:
    if not task.targets:
        raise Refused("R209", f"任务 {task.id} 没有量化目标，无需记录次数或数值；请用 `fazhi progress` 记录进展")
    if key is None:
        if len(task.targets) == 1:
            return task.targets[0]
        options = "、".join(f"{t.key}（{t.label}）" for t in task.targets)
        raise Refused("R209", f"任务 {task.id} 有多个目标，请用 --target 指定：{options}")
    for target in task.targets:
        if key in (target.key, target.label):
            return target
    options = "、".join(f"{t.key}（{t.label}）" for t in task.targets)
    raise Refused("R209", f"任务 {task.id} 没有目标“{key}”；可用的目标：{options}")


def parse_value(target: Target, text: str | float | None) -> float | None:
    """A measured value as given: 86.5 or 86.5% (a rate), never nan or infinite, within its range."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        number = float(text)
    else:
        raw = fold_full_width(text).strip().replace("，", "").replace(",", "")
        if raw.endswith("%"):
            if target.measure is not Measure.PERCENT:
                raise Refused("R207", f"“{target.label}”以{target.unit}计，不是百分比；请去掉 %")
            raw = raw[:-1].strip()
        try:
            number = float(raw)
        except ValueError:
            raise Refused("R207", f"数值“{text}”不是数字；请填写如 86.5 的数（比率可写 86.5 或 86.5%）") from None
    why = value_problem(target.measure, number)
    if why:
        raise Refused("R207", f"“{target.label}”的{why}")
    return number


def decide_record(
    plan: Plan, task: Task, target: Target, entry: Entry, *, date: dt.date, value: float | None, note: str | None, evidence: list[Evidence],
    received: dt.date | None = None,
) -> Decision:
    if target.measure is Measure.COUNT and value is not None:
        raise Refused("R207", f"“{target.label}”按次数计，每记录一次即计一次，不需要 --value")
    if received is not None:
        if target.measure is not Measure.WORKDAYS:
            raise Refused("R207", f"“{target.label}”不是以工作日计的时限，不需要 --received（受理日期）")
        if received > date:
            raise Refused("R206", f"受理日期 {received} 晚于办结日期 {date}；--date 是办结日期")
        days = working_days_between(received, date)
        why = value_problem(target.measure, float(days))
        if why:
            raise Refused("R207", f"受理日期 {received} 至办结日期 {date}：{why}")
        if value is not None and value != days:
            raise Refused("R207", f"--value {value:g} 与受理日期 {received} 至办结日期 {date} 之间的 {days} 个工作日不符；只给日期即可")
        value = None  # computed from the dates, never written twice
    elif target.measure is not Measure.COUNT and value is None:
        hint = "；时限也可用 --received 受理日期 和 --date 办结日期 给出，按工作日计算" if target.measure is Measure.WORKDAYS else ""
        raise Refused("R207", f"“{target.label}”需要填报测得的数值：请用 --value 给出（单位：{target.unit}）{hint}")
    if target.per_year and date.year != plan.year:
        raise Refused("R206", f"“{target.label}”按 {plan.year} 年度计数，日期 {date} 不在该年度内")
    item: dict[str, Any] = {"target": target.key, "date": date}
    if received is not None:
        item["received"] = received
    if value is not None:
        item["value"] = int(value) if float(value).is_integer() else value
    if note:
        item["note"] = note
    if evidence:
        item["evidence"] = evidence_items(evidence)
    decision = Decision(append=[("records", item)], summary=f"记录{target.label}")
    if received is not None:
        decision.summary += f" {days} 个工作日（{received} 受理，{date} 办结）"
        fallback = notice_suffix({received.year, date.year})
        if fallback:
            decision.warnings.append(f"{target.label} {days} 个工作日{fallback}")
    return decision


def decide_close(
    plan: Plan, task: Task, unit: Unit, entry: Entry, *, date: dt.date, who: Who, note: str | None, evidence: list[Evidence]
) -> Decision:
    if not evidence:
        raise Refused("R204", "销号必须附佐证材料：请用 --evidence 给出文件路径（如 evidence/单位/文件.pdf）、文号或网址")
    state = derive(entry).state
    if state is State.PENDING_REVIEW:
        raise Refused("R202", "该事项已申请销号，正在等待审核，无需重复申请")
    if state is State.CLOSED:
        raise Refused("R202", "该事项已经销号；如需重新办理，请先 `fazhi reopen`")
    action = Action.APPLY if plan.settings.review_required else Action.CLOSE
    decision = Decision(append=[("log", _log_item(date, action, who, note, evidence))])
    decision.summary = "销号申请" if action is Action.APPLY else "销号"
    for progress in target_progress(task, entry, plan.year, None):
        if not progress.met:
            decision.warnings.append(f"量化目标尚未达到：{progress.summary()}")
    due = due_for(plan, task, unit, entry)
    if date > due.date:
        decision.warnings.append(f"完成日期 {date} 晚于完成时限 {due.date}，将记为逾期完成")
    return decision


def decide_review(entry: Entry, action: Action, *, date: dt.date, who: Who, note: str | None) -> Decision:
    state = derive(entry).state
    if action in (Action.CONFIRM, Action.REJECT):
        if state is not State.PENDING_REVIEW:
            raise Refused("R202", f"该事项当前为“{STATE_LABELS[state]}”，没有待审核的销号申请")
        if action is Action.REJECT and not (note and note.strip()):
            raise Refused("R203", "退回必须说明理由和整改要求：请用 --reason 写明")
        summary = "确认销号" if action is Action.CONFIRM else "退回销号申请"
    elif action is Action.REOPEN:
        if state is not State.CLOSED:
            raise Refused("R202", f"该事项当前为“{STATE_LABELS[state]}”，并未销号，无需重新打开")
        if not (note and note.strip()):
            raise Refused("R203", "重新打开必须说明理由：请用 --reason 写明")
        summary = "重新打开"
    else:  # pragma: no cover - programming error
        raise ValueError(action)
    return Decision(append=[("log", _log_item(date, action, who, note, []))], summary=summary)


def decide_extension_request(
    plan: Plan, task: Task, unit: Unit, entry: Entry, *, date: dt.date, reason: str | None, new_due: dt.date, who: Who
) -> Decision:
    if not (reason and reason.strip()):
        raise Refused("R203", "延期申请必须说明理由：请用 --reason 写明")
    if derive(entry).state in DONE_STATES:
        raise Refused("R202", "该事项已申请销号或已销号，无需延期")
    if pending_extension(entry) is not None:
        raise Refused("R208", "已有一份尚未审批的延期申请，请等待依法治市办审批")
    due = due_for(plan, task, unit, entry)
    if date > due.date:
        raise Refused("R208", f"延期申请须在完成时限（{due.date}）之前提出；该事项已逾期，不能再申请延期")
    if new_due <= due.date:
        raise Refused("R208", f"新的完成时限 {new_due} 应晚于当前时限 {due.date}")
    item: dict[str, Any] = {"requested": date, "reason": reason, "new_due": new_due}
    item.update(who.fields())
    return Decision(append=[("extensions", item)], summary="延期申请")


def decide_extension_decision(entry: Entry, *, approve: bool, date: dt.date, who: Who, note: str | None) -> Decision:
    """The office's decision on the pending request: fields set on that request."""
    pending = pending_extension(entry)
    if pending is None:
        raise Refused("R202", "没有待审批的延期申请")
    if not approve and not (note and note.strip()):
        raise Refused("R203", "不同意延期须说明理由：请用 --reason 写明")
    index = max(i for i, e in enumerate(entry.extensions) if e is pending)
    fields: dict[str, Any] = {"decision": "approved" if approve else "refused", "decided": date}
    fields.update(who.fields("decided_by", "decided_name"))
    if note:
        fields["decision_note"] = note
    if date < pending.requested:
        raise Refused("R208", f"审批日期 {date} 早于申请日期 {pending.requested}；请检查 --date")
    return Decision(update={("extensions", index): fields}, summary="同意延期" if approve else "不同意延期")
