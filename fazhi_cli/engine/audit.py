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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.history import SECTIONS, Change, ClockJump, CommitChanges, CommitInfo, FileChange, claimed_dates
from fazhi_cli.engine.roles import Act, norm
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
    "A004": "记录消失或被改写：台账、任务条目或其中的记录被删除，或已有的记录被改动",
    "A005": "无权作此修改：不是该单位的编辑人员，或不是该任务的审核人（不能审核本单位的事项）",
    "A006": "方案数据或共用文件被依法治市办以外的人员修改",
    "A007": "违反销号规则",
    "A008": "提交时间早于其父提交",
    "A009": "提交说明中的 fazhi 操作标记与实际修改不符",
}

# What a reviewer writes into a unit's ledger: a decision on a close-out.
REVIEW_ACTIONS = (Action.CONFIRM, Action.REJECT, Action.REOPEN)
SETUP_KINDS = {"ledger_added", "entry_added"}  # what `fazhi init` writes
REWRITE_KINDS = {"progress_edited", "records_edited", "log_edited", "extensions_edited"}
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
    identity: Callable[[CommitInfo], str] | None = None,
    check_authors: bool = True,
    clock: list[ClockJump] | None = None,
) -> list[Finding]:
    """Every finding, in commit order. `identity`: who made each commit as far as the roles go —
    the author's e-mail for `fazhi audit`, the authenticated pusher for `fazhi guard` (default:
    the author). `clock`: commits dated earlier than a parent (A008), also those that touched no
    ledger; those come last."""
    who_of = identity or (lambda commit: commit.author_email)
    findings: list[Finding] = []
    jumps: dict[str, list[ClockJump]] = {}
    for jump in clock or []:
        jumps.setdefault(jump.commit.sha, []).append(jump)
    for item in commits:
        findings += [_clock_finding(j) for j in jumps.pop(item.commit.sha, [])]
        findings += [Finding("A009", item.commit, unit, task, message, path) for unit, task, message, path in claim_mismatches(item)]
        who = who_of(item.commit)
        for change in item.ledgers:
            if check_authors:
                findings += role_findings(item, change, who)
            findings += _changes(item.commit, change, backfill_days)
            findings += rule_findings(item.commit, change, item.plan)
        if check_authors:
            findings += _files(item, who)
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
        # A004: something that was on record is gone, or rewritten (progress, records, the log and
        # extension requests are append-only; only a decision is written onto a request).
        if change.kind in REMOVAL_KINDS or (change.kind in REWRITE_KINDS and not is_review(change)):
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
        if task is None or any(old is entry or old == entry for old in olds):
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
            if change.kind == "ledger_added":  # a write to a unit without a ledger creates it
                continue
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


# --- A005, A006: who may change what (engine/roles.py) ---------------------------------------


def is_review(change: Change) -> bool:
    """A reviewer's own kind of change: a confirm, reject or reopen added to the log, or the
    decision written onto a pending extension request (nothing else of it changed)."""
    if change.kind == "log_added":
        return change.after.action in REVIEW_ACTIONS
    if change.kind == "extensions_edited" and change.before.decision is None and change.after.decision is not None:
        keep = {"decision", "decided", "decided_by", "decided_name", "decision_note"}
        return change.before.model_dump(exclude=keep) == change.after.model_dump(exclude=keep)
    return False


def role_findings(item: CommitChanges, fc: FileChange, who: str) -> list[Finding]:
    """A005: each change the identity may not make — a unit's editors keep its ledger, a task's
    reviewers (never the unit's own editors) confirm, reject, reopen and decide extensions."""
    roles = item.rules
    if roles is None or not roles.configured:
        return []
    unit = fc.unit
    label = item.plan.units[unit].label if item.plan is not None and unit in item.plan.units else unit
    out: list[Finding] = []
    seen: set[tuple] = set()
    for change in fc.changes:
        if change.derived or (change.kind in SETUP_KINDS and roles.may_create(who, unit)):
            continue
        act = Act.REVIEW if is_review(change) else Act.EDIT
        task = change.task if change.task is not None else 0
        why = roles.why_not(act, who, unit, task, label)
        if why is None or (act, change.task) in seen:
            continue
        seen.add((act, change.task))
        out.append(Finding("A005", item.commit, unit, change.task, f"{_person(item.commit, who)}：{why[1]}（{change.message}）", fc.path))
    return out


def _files(item: CommitChanges, who: str) -> list[Finding]:
    """A005 for evidence/<unit>/ (that unit's editors), A006 for data/, templates/ and every other
    shared file (the office's staff only)."""
    roles = item.rules
    if roles is None or not roles.configured:
        return []
    out: list[Finding] = []
    for path in item.evidence_paths:
        parts = path.split("/")
        owner = parts[1] if len(parts) > 2 else None
        if owner is not None and owner in roles.editors:
            if not roles.may_edit(who, owner):
                out.append(Finding("A005", item.commit, owner, None, f"{_person(item.commit, who)} 修改了 {path}，但不是该单位的编辑人员", path))
        elif not roles.may_change_shared(who):
            out.append(Finding("A006", item.commit, None, None, f"{_person(item.commit, who)} 修改了共用的佐证材料 {path}，但不是依法治市办的人员", path))
    shared = item.other_paths + item.shared_paths
    if shared and not roles.may_change_shared(who):
        shown = "、".join(shared[:5]) + ("等" if len(shared) > 5 else "")
        out.append(
            Finding(
                "A006", item.commit, None, None,
                f"{_person(item.commit, who)} 修改了 {shown}，但不在依法治市办的编辑人员名单（data/units.yaml 的 office.editors）中",
                shared[0],
            )
        )
    return out


def _person(commit: CommitInfo, who: str) -> str:
    """The author as git records them, and the identity judged when it is another (the pusher)."""
    author = f"{commit.author_name} <{commit.author_email}>"
    return author if norm(who) == norm(commit.author_email) else f"{who}（推送的提交作者为 {author}）"


def summary(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    return "，".join(f"{code} {AUDIT_CODES[code].split('：')[0]} {n} 项" for code, n in sorted(counts.items()))


__all__ = ["AUDIT_CODES", "Finding", "audit", "backfill_dates", "claim_mismatches", "rule_findings", "summary"]
