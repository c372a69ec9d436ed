"""What a commit changed in a ledger, in the plan's terms: compare two parsed versions of a ledger.

Pure functions and plain data. The git side (which versions, which commits) is core/history.py;
because we compare parsed ledgers rather than CLI trailers, a hand edit in a text editor shows up
exactly like a `fazhi close`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.roles import Roles
from fazhi_cli.engine.state import STATE_LABELS, State, all_evidence, derive, evidence_label
from fazhi_cli.models.ledger import ACTION_LABELS, Decision, Entry, Evidence, EvidenceFile, Extension, Ledger, LogEntry, Progress, Record, WorkPlan

# Stable kinds of change (scripts may match on them); the message is Chinese and may change.
KINDS: dict[str, str] = {
    "ledger_added": "建立台账",
    "ledger_removed": "台账被删除",
    "ledger_invalid": "台账无效",
    "ledger_repaired": "台账恢复有效",
    "unit_changed": "台账单位变更",
    "text_only": "仅格式或注释变化",
    "entry_added": "新增任务条目",
    "entry_removed": "任务条目被删除",
    "claimed": "认领",
    "plan": "工作方案",
    "state": "状态变化",
    "progress_added": "新增工作进展",
    "progress_removed": "工作进展被删除",
    "progress_edited": "工作进展被修改",
    "records_added": "新增目标记录",
    "records_removed": "目标记录被删除",
    "records_edited": "目标记录被修改",
    "log_added": "新增销号记录",
    "log_removed": "销号记录被删除",
    "log_edited": "销号记录被修改",
    "extensions_added": "新增延期申请",
    "extensions_removed": "延期申请被删除",
    "extensions_edited": "延期申请被修改",
    "evidence_added": "新增佐证材料",
    "evidence_removed": "佐证材料被移除",
    "evidence_changed": "佐证材料校验值变化",
}

# Changes that follow from other changes in the same entry (not edits of their own).
DERIVED_KINDS = frozenset({"state", "evidence_added", "evidence_removed", "evidence_changed"})

SECTIONS = ("progress", "records", "log", "extensions")
SECTION_LABELS = {"progress": "工作进展", "records": "目标记录", "log": "销号记录", "extensions": "延期申请"}

FIELD_LABELS = {
    "date": "日期",
    "note": "说明",
    "evidence": "佐证材料",
    "target": "目标",
    "value": "数值",
    "action": "操作",
    "by": "经办人",
    "requested": "申请日期",
    "reason": "理由",
    "new_due": "新时限",
    "decision": "审批结果",
    "decided": "审批日期",
    "decided_by": "审批人",
    "decision_note": "审批意见",
    "leader": "分管领导",
    "owner": "具体负责人",
    "measures": "具体措施",
    "due": "计划完成时间",
}

# Dates a clerk claims something happened on (as opposed to plan dates, which lie ahead).
CLAIMED_DATE_FIELDS = {
    "progress": ("date",),
    "records": ("date",),
    "log": ("date",),
    "extensions": ("requested", "decided"),
}

DECISION_LABELS = {Decision.APPROVED: "同意", Decision.REFUSED: "不同意"}


@dataclass(frozen=True)
class Change:
    """One semantic change to one ledger (task None: the ledger as a whole)."""

    kind: str
    task: int | None
    message: str
    section: str | None = None
    before: Any = None  # the item (Progress, LogEntry …), a State, or a plain value
    after: Any = None

    @property
    def derived(self) -> bool:
        return self.kind in DERIVED_KINDS

    def key(self) -> tuple:
        return (self.kind, self.task, self.message)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "task": self.task,
            "change": self.message,
            "before": _plain(self.before),
            "after": _plain(self.after),
        }


# --- commits and the ledgers they touched (filled in by core/history.py) -----------------------


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: dt.datetime
    committer_name: str
    committer_email: str
    committed: dt.datetime
    subject: str
    trailers: dict[str, str] = field(default_factory=dict)  # the first value of each key
    trailer_list: tuple[tuple[str, str], ...] = ()  # every trailer, in order
    message: str = ""

    @property
    def short(self) -> str:
        return self.sha[:9]

    def trailer_values(self, key: str) -> list[str]:
        """The distinct values of one trailer, in order of appearance."""
        return list(dict.fromkeys(v for k, v in self.trailer_list if k == key))

    @property
    def conflicting_trailers(self) -> dict[str, list[str]]:
        """Fazhi-* trailers given more than once with different values (fazhi writes each once)."""
        keys = dict.fromkeys(k for k, _ in self.trailer_list if k.startswith("Fazhi-"))
        return {k: v for k in keys if len(v := self.trailer_values(k)) > 1}

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def action(self) -> str | None:
        """The Fazhi-Action trailer of commits made by fazhi; None for hand-made commits (and for a
        commit naming two different actions). Only a claim: engine/audit.py's `claim_mismatches`
        says whether the change the commit carries is that action."""
        values = self.trailer_values("Fazhi-Action") if self.trailer_list else ([self.trailers["Fazhi-Action"]] if "Fazhi-Action" in self.trailers else [])
        return values[0] if len(values) == 1 else None

    @property
    def commit_day(self) -> dt.date:
        """The day the change entered the record (committer date, committer's own time zone)."""
        return self.committed.date()

    def as_dict(self) -> dict:
        return {
            "commit": self.sha,
            "date": self.committed.isoformat(),
            "author_date": self.author_date.isoformat(),
            "author": self.author_name,
            "email": self.author_email,
            "committer": self.committer_name,
            "committer_email": self.committer_email,
            "subject": self.subject,
            "action": self.action,
            "merge": self.is_merge,
        }


# A committer time earlier than a parent's by more than this is a clock set back (A008); within it,
# two clerks' machines whose clocks differ by a few minutes.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ClockJump:
    """A commit whose committer time is earlier than its parent's (the parent read from git too)."""

    commit: CommitInfo
    parent: CommitInfo


@dataclass
class FileChange:
    """One ledger file in one commit: the versions before and after, and what changed."""

    path: str
    unit: str  # the file's stem: ledgers/<unit>.yaml
    before: Ledger | None
    after: Ledger | None
    before_status: str  # "missing" | "valid" | "invalid"
    after_status: str
    problem: str | None  # why the new version is invalid
    changes: list[Change]
    # The last valid version in each parent (a merge has several; None where none is known).
    # Empty: just `before`.
    bases: list[Ledger | None] = field(default_factory=list)

    @property
    def base_versions(self) -> list[Ledger | None]:
        return self.bases or [self.before]


@dataclass
class CommitChanges:
    commit: CommitInfo
    ledgers: list[FileChange]
    other_paths: list[str]  # plan files (data/, templates/) the commit touched
    rules: Roles | None = None  # who may do what, as the plan said before the commit
    plan: Plan | None = None  # the plan as committed in this commit (None: not read, or has errors)
    evidence_paths: list[str] = field(default_factory=list)  # files under evidence/ the commit touched
    shared_paths: list[str] = field(default_factory=list)  # every other file outside ledgers/, data/, templates/


# --- the diff ---------------------------------------------------------------------------------


class ItemKeys:
    """The comparison key of each list item (progress, records …), and the evidence of each entry,
    computed once per object. Versions of a ledger read by their parts (store/ledgerparts.py) share
    the objects of the entries and items a commit did not change, so over a history each is looked
    at once. One per run: it keeps the objects it has seen."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[BaseModel, str]] = {}
        self._evidence: dict[int, tuple[Entry, dict[str, Evidence]]] = {}

    def __call__(self, item: BaseModel) -> str:
        found = self._known.get(id(item))
        if found is None or found[0] is not item:
            found = self._known[id(item)] = (item, _key(item))
        return found[1]

    def evidence(self, entry: Entry) -> dict[str, Evidence]:
        """The entry's evidence by label (`_evidence_by_label`); do not change the dict."""
        found = self._evidence.get(id(entry))
        if found is None or found[0] is not entry:
            found = self._evidence[id(entry)] = (entry, _evidence_by_label(entry))
        return found[1]


def diff_ledgers(before: Ledger | None, after: Ledger | None, keys: ItemKeys | None = None) -> list[Change]:
    """Semantic changes from one version of a ledger to the next (None: the file did not exist).
    `keys`: a memo of item keys kept across the calls of one run."""
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        out = [Change("ledger_added", None, f"建立台账（{len(after.tasks)} 项任务）")]
        for task_id in sorted(after.tasks):
            out += diff_entry(task_id, None, after.tasks[task_id], quiet=True, keys=keys)
        return out
    if after is None:
        filled = sum(1 for e in before.tasks.values() if e is not None and _has_content(e))
        return [Change("ledger_removed", None, f"台账被删除（原有 {len(before.tasks)} 项任务，其中 {filled} 项有记录）")]
    out: list[Change] = []
    if before.unit != after.unit:
        out.append(Change("unit_changed", None, f"台账单位 {before.unit} → {after.unit}", before=before.unit, after=after.unit))
    for task_id in sorted(set(before.tasks) | set(after.tasks)):
        if task_id not in before.tasks:
            out.append(Change("entry_added", task_id, f"新增任务{task_id}的条目"))
            out += diff_entry(task_id, None, after.tasks[task_id], quiet=True, keys=keys)
        elif task_id not in after.tasks:
            old = before.tasks[task_id]
            what = _content_summary(old)
            out.append(Change("entry_removed", task_id, f"任务{task_id}的条目被删除" + (f"（原有{what}）" if what else ""), before=old))
        elif before.tasks[task_id] != after.tasks[task_id]:
            out += diff_entry(task_id, before.tasks[task_id], after.tasks[task_id], keys=keys)
    return out


def diff_entry(task_id: int, before: Entry | None, after: Entry | None, *, quiet: bool = False, keys: ItemKeys | None = None) -> list[Change]:
    """Changes to one task's entry. `quiet`: the entry is new, so an empty one says nothing."""
    old = before or Entry()
    new = after or Entry()
    out: list[Change] = []
    old_state, new_state = derive(old).state, derive(new).state
    if old_state is not new_state:
        out.append(
            Change(
                "state",
                task_id,
                f"状态 {STATE_LABELS[old_state]} → {STATE_LABELS[new_state]}",
                before=old_state,
                after=new_state,
            )
        )
    if old.claimed != new.claimed:
        if new.claimed is None:
            message = f"取消认领（原认领日期 {old.claimed}）"
        elif old.claimed is None:
            message = f"认领任务（{new.claimed}）"
        else:
            message = f"认领日期 {old.claimed} → {new.claimed}"
        out.append(Change("claimed", task_id, message, before=old.claimed, after=new.claimed))
    plan_change = _diff_plan(task_id, old.plan, new.plan)
    if plan_change:
        out.append(plan_change)
    for section in SECTIONS:
        out += _diff_section(task_id, section, getattr(old, section), getattr(new, section), keys or _key)
    out += _diff_evidence(task_id, old, new, keys)
    if quiet and not out:
        return []
    return out


def _diff_plan(task_id: int, old: WorkPlan | None, new: WorkPlan | None) -> Change | None:
    before = (old or WorkPlan()).model_dump()
    after = (new or WorkPlan()).model_dump()
    if before == after:
        return None
    parts = []
    for name in ("leader", "owner", "measures", "due"):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        label = FIELD_LABELS[name]
        if a is None:
            parts.append(f"{label} {_show(b)}")
        elif b is None:
            parts.append(f"删除{label}（原为 {_show(a)}）")
        else:
            parts.append(f"{label} {_show(a)} → {_show(b)}")
    verb = "填写工作方案" if old is None or not any(before.values()) else "修改工作方案"
    return Change("plan", task_id, f"{verb}：{'；'.join(parts)}", "plan", old, new)


def _diff_section(task_id: int, section: str, old: list, new: list, key=None) -> list[Change]:
    if old == new:
        return []
    key = key or _key
    keys_a = [key(item) for item in old]
    keys_b = [key(item) for item in new]
    out: list[Change] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        paired = min(len(removed), len(added)) if tag == "replace" else 0
        for a, b in zip(removed[:paired], added[:paired]):
            out.append(Change(f"{section}_edited", task_id, _describe_edit(section, a, b), section, a, b))
        for a in removed[paired:]:
            out.append(Change(f"{section}_removed", task_id, f"删除{SECTION_LABELS[section]}：{describe_item(section, a)}", section, a, None))
        for b in added[paired:]:
            out.append(Change(f"{section}_added", task_id, f"新增{SECTION_LABELS[section]}：{describe_item(section, b)}", section, None, b))
    return out


def _evidence_by_label(entry: Entry) -> dict[str, Evidence]:
    return {evidence_label(e): e for e in all_evidence(entry)}


def _diff_evidence(task_id: int, old: Entry, new: Entry, keys: ItemKeys | None = None) -> list[Change]:
    by_label = keys.evidence if keys is not None else _evidence_by_label
    before, after = by_label(old), by_label(new)
    out: list[Change] = []
    for label, item in after.items():
        if label not in before:
            out.append(Change("evidence_added", task_id, f"新增佐证材料：{label}", "evidence", None, item))
        elif isinstance(item, EvidenceFile) and isinstance(before[label], EvidenceFile) and item.sha256 != before[label].sha256:
            out.append(Change("evidence_changed", task_id, f"佐证材料 {label} 的校验值变化（文件被替换）", "evidence", before[label], item))
    for label, item in before.items():
        if label not in after:
            out.append(Change("evidence_removed", task_id, f"不再引用佐证材料：{label}", "evidence", item, None))
    return out


def describe_item(section: str, item: Any) -> str:
    """One line for a progress note, record, log item or extension request."""
    if isinstance(item, Progress):
        text = f"{item.date} {item.note}"
    elif isinstance(item, Record):
        value = "" if item.value is None else f" = {item.value:g}"
        received = f" {item.received} 受理" if item.received else ""
        text = f"{item.target}{received} {item.date}{value}" + (f" {item.note}" if item.note else "")
    elif isinstance(item, LogEntry):
        text = f"{item.date} {ACTION_LABELS[item.action]}" + (f"（{item.by}）" if item.by else "")
        if item.note:
            text += f"：{item.note}"
    elif isinstance(item, Extension):
        text = f"{item.requested} 申请延期至 {item.new_due}：{item.reason}"
        if item.decision is not None:
            text += f"；{DECISION_LABELS[item.decision]}" + (f"（{item.decided}）" if item.decided else "")
    else:
        text = str(item)
    evidence = getattr(item, "evidence", None)
    if evidence:
        text += f"（佐证 {len(evidence)} 项）"
    return _clip(text)


def _describe_edit(section: str, a: BaseModel, b: BaseModel) -> str:
    if isinstance(a, Extension) and isinstance(b, Extension) and a.decision is None and b.decision is not None:
        who = f"（{b.decided_by}）" if b.decided_by else ""
        return f"延期申请（{a.requested}，至 {a.new_due}）审批：{DECISION_LABELS[b.decision]}{who}"
    before, after = a.model_dump(), b.model_dump()
    parts = []
    for name, old_value in before.items():
        new_value = after.get(name)
        if old_value == new_value:
            continue
        label = FIELD_LABELS.get(name, name)
        if name == "evidence":
            old_labels = [evidence_label(e) for e in getattr(a, "evidence")]
            new_labels = [evidence_label(e) for e in getattr(b, "evidence")]
            plus = [x for x in new_labels if x not in old_labels]
            minus = [x for x in old_labels if x not in new_labels]
            bits = ([f"+{'、'.join(plus)}"] if plus else []) + ([f"-{'、'.join(minus)}"] if minus else [])
            parts.append(f"{label} {' '.join(bits) or '顺序或校验值变化'}")
        elif name == "action":
            parts.append(f"{label} {ACTION_LABELS[old_value]} → {ACTION_LABELS[new_value]}")
        else:
            parts.append(f"{label} {_show(old_value)} → {_show(new_value)}")
    return _clip(f"修改{SECTION_LABELS[section]}（{describe_item(section, a)}）：{'；'.join(parts)}", 200)


def claimed_dates(change: Change) -> list[tuple[str, dt.date]]:
    """Dates the new or edited item claims things happened on (only those the change set or moved)."""
    if change.kind == "claimed" and change.after is not None:
        return [("claimed", change.after)]
    if change.section not in CLAIMED_DATE_FIELDS or change.after is None:
        return []
    out = []
    for name in CLAIMED_DATE_FIELDS[change.section]:
        value = getattr(change.after, name, None)
        if value is None:
            continue
        if change.before is not None and getattr(change.before, name, None) == value:
            continue
        out.append((name, value))
    return out


# --- what may reach a terminal --------------------------------------------------------------

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")
_UNSAFE_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029" + _BIDI + "]")


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str | None, *, keep_newlines: bool = False) -> str:
    """Text as history and audit show it: every control character — C0 (keep_newlines: except
    newline and tab), DEL, C1, line/paragraph separators and bidirectional overrides — is written
    out as `\\x1b`, `\\u202e` …, so an ESC sequence in a note or an author's name is seen, not
    obeyed by the terminal. JSON output keeps the raw strings (see cli/history.py `json_text`)."""
    if not text:
        return text or ""
    return (_UNSAFE if keep_newlines else _UNSAFE_ALL).sub(_shown, text)


def json_safe(text: str) -> str:
    """JSON text with the characters `json.dumps` leaves raw (DEL, C1, separators, bidi controls)
    written as \\u escapes: the same data, and nothing a terminal obeys. C0 characters are always
    escaped by `json.dumps`; these can only occur inside strings, where \\uXXXX is valid."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _has_content(entry: Entry) -> bool:
    return entry != Entry()


def _content_summary(entry: Entry | None) -> str:
    if entry is None:
        return ""
    parts = []
    for section in SECTIONS:
        items = getattr(entry, section)
        if items:
            parts.append(f"{SECTION_LABELS[section]} {len(items)} 条")
    if entry.plan is not None:
        parts.append("工作方案")
    state = derive(entry).state
    if state is not State.NOT_STARTED:
        parts.append(f"状态“{STATE_LABELS[state]}”")
    return "、".join(parts)


def _key(item: BaseModel) -> str:
    return json.dumps(item.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)


def _show(value: Any) -> str:
    if value is None:
        return "（空）"
    if hasattr(value, "value"):
        value = value.value
    return _clip(str(value), 60)


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, State):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
