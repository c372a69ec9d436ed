"""`fazhi audit`: what the office should look at in the history of the ledgers. Pure: it reads the
commits and semantic changes that core/history.py computed, and returns findings with stable codes.

A007 judges each committed ledger version by the one 销号 rule set (engine/rules.py), against the
plan as committed in the same commit: a violation the commit's version has and the version before
it did not is the commit's finding, carrying the rule's own code (E312 …) so `audit` and `check`
name a broken rule the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.history import SECTIONS, Change, ClockJump, CommitChanges, CommitInfo, FileChange, claimed_dates
from fazhi_cli.engine.rules import Violation, entry_violations
from fazhi_cli.engine.state import State, derive
from fazhi_cli.models.ledger import ACTION_LABELS, Action, Decision, Entry, Ledger, LogEntry
from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.problems import Severity
from fazhi_cli.store.git import COMMIT_ACTIONS

# Stable codes. Messages are Chinese and may change; codes do not.
AUDIT_CODES: dict[str, str] = {
    "A001": "补录：提交日期比所记日期晚得多",
    "A002": "日期晚于提交日期（未来日期）",
    "A003": "已销号的条目被修改",
    "A004": "记录消失：台账、任务条目或其中的记录被删除",
    "A005": "提交作者不是该单位台账的编辑人员",
    "A006": "方案数据被依法治市办以外的人员修改",
    "A007": "违反销号规则",
    "A008": "提交时间早于其父提交",
    "A009": "提交说明中的 fazhi 操作标记与实际修改不符",
}

# What a lead unit may write into a unit's ledger: its decision on a close-out of a task it leads.
LEAD_ACTIONS = (Action.CONFIRM, Action.REJECT, Action.REOPEN)
REMOVAL_KINDS = {"ledger_removed", "entry_removed", "progress_removed", "records_removed", "log_removed", "extensions_removed"}


@dataclass(frozen=True)
class Finding:
    code: str
    commit: CommitInfo
    unit: str | None
    task: int | None
    message: str
    path: str | None = None
    rule: str | None = None  # A007: the code of the broken rule (E312 …), as `fazhi check` reports it

    @property
    def title(self) -> str:
        return AUDIT_CODES[self.code]

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "commit": self.commit.sha,
            "date": self.commit.committed.isoformat(),
            "author_date": self.commit.author_date.isoformat(),
            "author": self.commit.author_name,
            "email": self.commit.author_email,
            "subject": self.commit.subject,
            "unit": self.unit,
            "task": self.task,
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
        }


def audit(
    commits: list[CommitChanges],
    *,
    backfill_days: int,
    leads: dict[int, set[str]] | None = None,
    check_authors: bool = True,
    clock: list[ClockJump] | None = None,
) -> list[Finding]:
    """Every finding, in commit order. `leads`: lead unit ids per task (a lead unit's editors may
    confirm, reject or reopen close-outs of the tasks it leads in other units' ledgers). `clock`:
    commits dated earlier than a parent (A008), also those that touched no ledger; those come last."""
    findings: list[Finding] = []
    jumps: dict[str, list[ClockJump]] = {}
    for jump in clock or []:
        jumps.setdefault(jump.commit.sha, []).append(jump)
    for item in commits:
        findings += [_clock_finding(j) for j in jumps.pop(item.commit.sha, [])]
        findings += [Finding("A009", item.commit, unit, task, message, path) for unit, task, message, path in claim_mismatches(item)]
        for change in item.ledgers:
            if check_authors:
                findings += _authors(item, change, leads or {})
            findings += _changes(item.commit, change, backfill_days)
            findings += rule_findings(item.commit, change, item.plan)
        if check_authors:
            findings += _plan_files(item)
    for rest in jumps.values():
        findings += [_clock_finding(j) for j in rest]
    return findings


def _clock_finding(jump: ClockJump) -> Finding:
    """A008: the committer time goes back — a clock set back, or GIT_COMMITTER_DATE faked, so the
    commit date A001 and A002 judge by cannot be trusted."""
    commit, parent = jump.commit, jump.parent
    gap = parent.committed - commit.committed
    size = f"{gap.days} 天" if gap.days else f"{max(1, gap.seconds // 60)} 分钟"
    return Finding(
        "A008",
        commit,
        None,
        None,
        f"提交时间 {commit.committed:%Y-%m-%d %H:%M} 早于其父提交 {parent.short} 的提交时间 {parent.committed:%Y-%m-%d %H:%M}"
        f"（早 {size}）：提交日期可能被改过（如设置了 GIT_COMMITTER_DATE 或调过系统时钟），据此判断的补录和未来日期不可信",
    )


_DATED_LABELS = {
    ("progress", "date"): "工作进展",
    ("records", "date"): "目标记录",
    ("extensions", "requested"): "延期申请",
    ("extensions", "decided"): "延期审批",
    (None, "claimed"): "认领",
}


def backfill_dates(change: Change) -> list[tuple[str, object]]:
    """The dates a change records that A001 judges: every date it sets or moves (the same as
    A002's), and a log item's date again when its action is rewritten (a rejection edited into a
    confirmation is a new confirmation on that date)."""
    dates = claimed_dates(change)
    before, after = change.before, change.after
    if isinstance(before, LogEntry) and isinstance(after, LogEntry) and before.action != after.action:
        if not any(name == "date" for name, _ in dates):
            dates.append(("date", after.date))
    return dates


def _changes(commit: CommitInfo, fc: FileChange, backfill_days: int) -> list[Finding]:
    out: list[Finding] = []

    def add(code: str, task: int | None, message: str) -> None:
        out.append(Finding(code, commit, fc.unit, task, message, fc.path))

    day = commit.commit_day
    reopened = {c.task for c in fc.changes if c.kind == "log_added" and c.after.action is Action.REOPEN}
    for change in fc.changes:
        # A001: anything dated (progress, records, log, extensions, a claim) recorded long after the
        # date it gives.
        for name, value in backfill_dates(change):
            lag = (day - value).days
            if lag <= backfill_days:
                continue
            note = ""
            if commit.author_date.date() < day:
                note = f"；提交的作者日期被设为 {commit.author_date.date()}，实际提交于 {day}"
            if isinstance(change.after, LogEntry):
                what, tail = ACTION_LABELS[change.after.action], ""
            else:
                what, tail = _DATED_LABELS.get((change.section, name)) or _DATED_LABELS.get((None, name), "日期"), f"：{change.message}"
            add("A001", change.task, f"{what}记为 {value}，{day} 才提交（晚 {lag} 天，超过 {backfill_days} 天）{note}{tail}")
        # A002: a date that had not yet come when it was committed.
        for name, value in claimed_dates(change):
            if value > day:
                what = {"claimed": "认领日期", "requested": "延期申请日期", "decided": "审批日期"}.get(name, "日期")
                add("A002", change.task, f"{what} {value} 晚于提交日期 {day}：{change.message}")
        # A004: something that was on record is gone.
        if change.kind in REMOVAL_KINDS:
            add("A004", change.task, change.message)
        # A003: an entry that was closed (已销号) is changed without being reopened first.
        if change.task is not None and not change.derived and fc.before is not None and change.kind != "entry_removed":
            before_entry = fc.before.tasks.get(change.task)
            if before_entry is None or derive(before_entry).state is not State.CLOSED:
                continue
            if change.kind == "log_added" and change.after.action is Action.REOPEN:
                continue
            if change.task in reopened and not change.kind.endswith(("_edited", "_removed")):
                continue  # reopened in the same commit: new items are fine, rewriting old ones is not
            closed = derive(before_entry).closed_date
            add("A003", change.task, f"任务{change.task}已于 {closed} 销号，未经重新打开即被修改：{change.message}")
    return out


# --- A007: the 销号 rules -------------------------------------------------------------------


def rule_findings(commit: CommitInfo, fc: FileChange, plan: Plan | None) -> list[Finding]:
    """A007: for each task entry the commit changed, the rule violations its version has that the
    version before it (in every parent) did not. A violation is matched by its code and the item it
    is on, not the item's position, so moving items does not make old violations new."""
    after = fc.after
    if plan is None or after is None:
        return []
    unit = plan.units.get(after.unit)
    if unit is None:
        return []  # E301, reported by `fazhi check`; no rules can be judged without the unit
    bases = fc.base_versions
    out: list[Finding] = []
    for task_id in sorted(after.tasks):
        task = plan.tasks.get(task_id)
        entry = after.tasks[task_id] or Entry()
        olds = [_entry(base, task_id) for base in bases]
        if task is None or any(old == entry for old in olds):
            continue
        seen = [Counter(_key(old, v) for v in _flagged(plan, task, unit, old)) for old in olds if old is not None]
        was = Counter() if len(seen) < len(olds) else _union(seen)
        counts: Counter = Counter()
        for v in _flagged(plan, task, unit, entry):
            key = _key(entry, v)
            counts[key] += 1
            if counts[key] <= was[key]:
                continue
            out.append(
                Finding(
                    "A007",
                    commit,
                    fc.unit,
                    task_id,
                    f"{v.code} {v.message}（{unit.label} 任务{task_id}，{_place(task_id, v.where)}）",
                    fc.path,
                    v.code,
                )
            )
    return out


def _entry(ledger: Ledger | None, task_id: int) -> Entry | None:
    if ledger is None:
        return None
    return ledger.tasks.get(task_id, Entry()) or Entry()


def _union(counters: list[Counter]) -> Counter:
    """A violation is old if any parent had it (a merge brings in what its branches recorded)."""
    out: Counter = Counter()
    for c in counters:
        out |= c
    return out


def _flagged(plan: Plan, task: Task, unit: Unit, entry: Entry | None) -> list[Violation]:
    """The violations no fazhi command could have written: every error (a date before the plan's
    year is one, E319; a date after it is only warned about, as the commands allow it)."""
    if entry is None:
        return []
    return [
        v
        for v in entry_violations(plan, task, unit, entry)
        if v.severity is Severity.ERROR
    ]


def _key(entry: Entry, v: Violation) -> tuple:
    """The violation's code and what it is on: the item itself (not its index), and the field."""
    where = v.where
    if len(where) >= 2 and where[0] in SECTIONS and isinstance(where[1], int):
        item = getattr(entry, where[0])[where[1]]
        return (v.code, where[0], _dump(item), where[2:])
    return (v.code, where, _dump(_value_at(entry, where)))


def _value_at(entry: Entry, where: tuple) -> Any:
    value: Any = entry
    for step in where:
        value = value[step] if isinstance(step, int) else getattr(value, step, None)
    return value



def _dump(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _place(task_id: int, where: tuple) -> str:
    """tasks.20.log[1].date — where in the ledger the rule is broken."""
    text = f"tasks.{task_id}"
    for step in where:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


# --- A009: what a commit says it is, against what it carries ----------------------------------

# What each fazhi write command puts into the one task entry it names (besides changes that follow
# from it: state, evidence, and the entry itself when it was missing).
_LOG_ACTIONS = {
    "close": (Action.APPLY, Action.CLOSE),
    "confirm": (Action.CONFIRM,),
    "reject": (Action.REJECT,),
    "reopen": (Action.REOPEN,),
}
_TASK_KINDS = {
    "plan": ("plan",),
    "claim": ("claimed",),
    "progress": ("progress_added",),
    "record": ("records_added",),
    "extend": ("extensions_added",),
    "extend-approve": ("extensions_edited",),
    "extend-refuse": ("extensions_edited",),
    **{action: ("log_added",) for action in _LOG_ACTIONS},
}
_LEDGER_KINDS = {"init": ("ledger_added", "entry_added"), "codeowners": ()}


def _carries(action: str, change: Change) -> bool:
    if change.kind not in _TASK_KINDS.get(action, ()):
        return False
    if action in _LOG_ACTIONS:
        return change.after.action in _LOG_ACTIONS[action]
    if action in ("extend-approve", "extend-refuse"):
        wanted = Decision.APPROVED if action == "extend-approve" else Decision.REFUSED
        return change.before.decision is None and change.after.decision is wanted
    return True


def claim_mismatches(item: CommitChanges) -> list[tuple[str | None, int | None, str, str | None]]:
    """A009: (unit, task, message, path) wherever the commit's Fazhi-* trailers name an action,
    unit or task the change it carries is not — a hand edit dressed up as a fazhi command, or a
    fazhi commit edited afterwards (amended, or rewritten while resolving a conflict). Commits
    without a Fazhi-Action trailer claim nothing and are hand edits, judged by their content."""
    commit = item.commit
    out: list[tuple[str | None, int | None, str, str | None]] = []
    for key, values in commit.conflicting_trailers.items():
        out.append((None, None, f"提交说明中 {key} 有多个不同的值（{'、'.join(values)}），fazhi 每项只写一次", None))
    actions = commit.trailer_values("Fazhi-Action")
    if len(actions) != 1:
        return out
    action = actions[0]
    if action not in COMMIT_ACTIONS:
        return out + [(None, None, f"提交说明标记的操作“{action}”不是 fazhi 的操作", None)]
    label = COMMIT_ACTIONS[action]
    if commit.is_merge:
        out.append((None, None, f"合并提交标记为 fazhi 的“{label}”操作，fazhi 不会生成合并提交", None))
    if item.other_paths:
        shown = "、".join(item.other_paths[:3]) + ("等" if len(item.other_paths) > 3 else "")
        out.append((None, None, f"标记为“{label}”，却修改了方案数据 {shown}（fazhi 的台账操作只提交台账和佐证材料）", item.other_paths[0]))
    unit = commit.trailers.get("Fazhi-Unit")
    task_text = commit.trailers.get("Fazhi-Task")
    task = int(task_text) if task_text is not None and task_text.isascii() and task_text.isdigit() else None
    if task_text is not None and task is None:
        out.append((unit, None, f"提交说明中的任务编号“{task_text}”不是数字", None))
    named = f"“{label}”" + (f"（单位 {unit}" + (f" 任务{task}" if task is not None else "") + "）" if unit else "")
    for fc in item.ledgers:
        if unit is not None and fc.unit != unit:
            out.append((fc.unit, None, f"标记为{named}，却修改了另一单位的台账 {fc.path}", fc.path))
            continue
        own = [c for c in fc.changes if not c.derived]
        if action in _LEDGER_KINDS:
            for change in own:
                if change.kind not in _LEDGER_KINDS[action]:
                    out.append((fc.unit, change.task, f"标记为{named}，但这项修改不是{label}：{change.message}", fc.path))
            continue
        carried, wrong = False, False
        for change in own:
            if task is not None and change.task != task:
                where = f"任务{change.task}" if change.task is not None else "台账整体"
                out.append((fc.unit, change.task, f"标记为{named}，却修改了{where}：{change.message}", fc.path))
                wrong = True
            elif change.kind == "entry_added":
                continue
            elif _carries(action, change):
                carried = True
            else:
                out.append((fc.unit, change.task, f"标记为{named}，但这项修改不是{label}：{change.message}", fc.path))
                wrong = True
        if own and not carried and not wrong:
            out.append((fc.unit, task, f"标记为{named}，修改中却没有{label}", fc.path))
    return out


def _authors(item: CommitChanges, fc: FileChange, leads: dict[int, set[str]]) -> list[Finding]:
    """A005: the author is neither one of the unit's editors nor one of the office's people."""
    rules = item.rules
    commit = item.commit
    if rules is None or not rules.configured or not fc.changes:
        return []
    if rules.may_edit(commit.author_email, fc.unit):
        return []
    own = [c for c in fc.changes if not c.derived]
    mine = rules.units_of(commit.author_email)
    if own and mine and all(
        c.kind == "log_added" and c.after.action in LEAD_ACTIONS and c.task is not None and mine & leads.get(c.task, set())
        for c in own
    ):
        return []  # a lead unit deciding on a close-out of a task it leads
    listed = sorted(rules.units.get(fc.unit, frozenset()))
    who = f"本单位编辑人员：{'、'.join(listed)}" if listed else "data/units.yaml 未列出本单位的编辑人员"
    tasks = sorted({c.task for c in fc.changes if c.task is not None})
    task = tasks[0] if len(tasks) == 1 else None
    return [
        Finding(
            "A005",
            commit,
            fc.unit,
            task,
            f"{commit.author_name} <{commit.author_email}> 修改了 {fc.path}，但不在该单位或依法治市办的编辑人员名单中（{who}）",
            fc.path,
        )
    ]


def _plan_files(item: CommitChanges) -> list[Finding]:
    """A006: data/ and templates/ belong to the office."""
    rules = item.rules
    commit = item.commit
    if rules is None or not rules.configured or not item.other_paths:
        return []
    if commit.author_email.strip().lower() in rules.office:
        return []
    shown = "、".join(item.other_paths[:5]) + ("等" if len(item.other_paths) > 5 else "")
    return [
        Finding(
            "A006",
            commit,
            None,
            None,
            f"{commit.author_name} <{commit.author_email}> 修改了 {shown}，但不在依法治市办的编辑人员名单（data/units.yaml 的 office.editors）中",
            item.other_paths[0],
        )
    ]


def summary(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    return "，".join(f"{code} {AUDIT_CODES[code].split('：')[0]} {n} 项" for code, n in sorted(counts.items()))


__all__ = ["AUDIT_CODES", "Finding", "audit", "backfill_dates", "claim_mismatches", "rule_findings", "summary"]
