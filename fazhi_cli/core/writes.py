"""The one path every write takes, as a library: resolve the target, decide, edit under the lock,
validate the file as it would be written, commit. Nothing here prints or exits: each step returns
values — a `WriteResult`, or refusals as problems with stable codes (R1xx/R2xx, E4xx).

The CLI and any other front end (a web form, a script) call these functions and only show what
comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fazhi_cli.book.book import Book
from fazhi_cli.book.load import ledger_file_problems
from fazhi_cli.engine.actions import Decision, Refused
from fazhi_cli.engine.workspacecheck import check_ledger
from fazhi_cli.engine.state import cited_evidence
from fazhi_cli.models.ledger import Entry, EvidenceFile, Ledger
from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.core.lookup import Refusal, find_task, find_unit, parse_day, refuse
from fazhi_cli.problems import Problem, refusal
from fazhi_cli.store.git import COMMIT_ACTIONS, GitError, commit_paths, git_missing_in, git_refusal, is_work_tree
from fazhi_cli.store.ledgeredit import EditOutcome, EditRefused, Scope, WriteError, append_item, edit_ledger, entry_map, set_value
from fazhi_cli.store.files import RecordedFileFacts
from fazhi_cli.store.loader import load_model


Author = tuple[str, str] | None  # (name, e-mail) a commit is authored by; None: git's own identity


@dataclass
class WriteResult:
    """What a write did: the file, whether it changed, what was recorded, and what to warn about."""

    path: Path
    shown: str
    unit: Unit
    task: Task
    changed: bool
    summary: str
    warnings: list[str] = field(default_factory=list)
    decision: Decision | None = None
    commit: str | None = None  # the new commit's id, when one was made
    commit_warning: str | None = None  # why the change was saved but not committed


def writable_target(book: Book, unit_text: str, task_text: str | int) -> tuple[Unit, Task]:
    """The unit and task a write is about: the unit must carry the task and its ledger be valid."""
    unit = find_unit(book, unit_text)
    task = find_task(book, task_text)
    require_valid_ledger(book, unit)
    if not book.carries(unit, task.id):
        resp = book.responsibilities[task.id]
        hint = ""
        if resp.open_groups:
            hint = f"；该任务的责任单位含开放式分组，如确属本单位职责，可先认领：fazhi claim {task.id} --unit {unit.id}"
        raise refuse("R104", f"{unit.label}不承担任务 {task.id}（{task.title}）{hint}")
    return unit, task


def require_valid_ledger(book: Book, unit: Unit) -> None:
    """Writes to a unit whose ledger file has errors are refused until it is fixed: a write must
    never pick one of two entries (or files) that mean the same thing."""
    ledger_file = book.ledger_files.get(unit.id)
    if ledger_file is None or ledger_file.valid:
        return
    errors = [p for p in ledger_file.problems if p.is_error]
    raise Refusal(
        errors
        + [refusal("R105", f"{ledger_file.path} 有错误，未作任何修改；请先改正上述问题（`fazhi check` 可列出全部问题）", ledger_file.path)]
    )


# --- dates ----------------------------------------------------------------------------------


def action_date(book: Book, text: str | dt.date | None, today: dt.date) -> tuple[dt.date, list[str]]:
    """The day an action happened (`--date`, default today), and warnings. A day still to come, or
    before the plan's year, is refused: a ledger records what was done for this year's plan."""
    day = parse_day(text, "日期", today)
    year = book.plan.year
    if day > today:
        raise refuse("R206", f"日期 {day} 晚于今天（{today}）：台账只记录已经发生的事；请检查 --date")
    if day.year < year:
        raise refuse("R206", f"日期 {day} 早于方案年度（{year}年）；本台账只记录 {year} 年度方案的工作，请检查 --date")
    warnings = [f"日期 {day} 不在方案年度（{year}年）内"] if day.year > year else []
    return day, warnings


# --- the edit -------------------------------------------------------------------------------


def to_plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for validating with pydantic)."""
    if isinstance(node, dict):
        return {k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, dt.datetime):
        return node.date()
    return node


def new_ledger_text(book: Book, unit: Unit) -> str:
    return (
        "# yaml-language-server: $schema=../schemas/ledger.schema.json\n"
        f"# {unit.name}（{unit.id}）工作台账 —— {book.plan.phases.title}\n"
        "# 可以用 fazhi 命令填写，也可以手工编辑；手工改完请运行 `fazhi check`。\n"
        f"unit: {unit.id}\n"
        "tasks: {}\n"
    )


def ledger_validator(book: Book, unit: Unit, path: Path, today: dt.date) -> Callable[[bytes], list[Problem]]:
    """Checks the ledger as it would be written, by the same rules `fazhi check` applies to a
    hand-edited file: shape, one entry per task, tasks carried, the 销号 rules, evidence."""
    shown = book.ws.relative(path)
    files = RecordedFileFacts(book.ws.root, recorded_evidence(book.ledgers.get(unit.id)))

    def validate(new_bytes: bytes) -> list[Problem]:
        loaded = load_model(path, shown, Ledger, raw=new_bytes)
        problems = loaded.problems + ledger_file_problems(unit.id, loaded)
        if loaded.model is None or any(p.is_error for p in problems):
            return problems
        candidate = book.with_ledger(unit.id, loaded, problems)
        return problems + [p for p in check_ledger(candidate, candidate.ledger_files[unit.id], today, files) if p.is_error]

    return validate


def recorded_evidence(ledger: Ledger | None) -> dict[str, str]:
    """Evidence files with the sha256 the ledger recorded for them, by path."""
    out: dict[str, str] = {}
    differ: set[str] = set()  # recorded twice with two values: read the file to know which is right
    for entry in (ledger.tasks.values() if ledger else ()):
        for item in cited_evidence(entry):
            if isinstance(item, EvidenceFile) and item.sha256:
                path = item.path.replace("\\", "/")
                if out.setdefault(path, item.sha256) != item.sha256:
                    differ.add(path)
    return {path: sha for path, sha in out.items() if path not in differ}


def apply_decision(entry: Any, decision: Decision) -> None:
    for key, item in decision.append:
        append_item(entry, key, item)
    for dotted, value in decision.set.items():
        parent = entry
        *parents, last = dotted.split(".")
        for name in parents:
            if parent.get(name) is None:
                set_value(parent, name, {})
            parent = parent[name]
        set_value(parent, last, value)
    for index, fields in decision.update.items():
        section, position = index
        for key, value in fields.items():
            set_value(entry[section][position], key, value)


def write_entry(
    book: Book,
    unit: Unit,
    task: Task,
    decide: Callable[[Entry], Decision | None],
    *,
    today: dt.date,
    action: str,
    commit: bool = True,
    warnings: list[str] | None = None,
    expect: str | None = None,
    author: Author = None,
) -> WriteResult:
    """Edit one task entry of the unit's ledger under its lock. `decide` sees the entry as it is on
    disk at that moment (not as it was when the Book was read) and returns what to record, or
    raises Refused. Raises Refusal when nothing was written.

    `expect`: the entry's `entry_stamp` when the user saw it (a web form carries it); if the entry
    on disk is no longer that — another clerk, a hand edit or a pull changed it meanwhile — the
    write is refused (R217) before anything is decided. `author` (name, e-mail): the commit's
    author, when that is not the repository's git identity."""
    ws = book.ws
    path = ws.ledger_path(unit.id)
    shown = ws.relative(path)
    holder: dict[str, Decision | None] = {}

    def mutate(root: Any) -> None:
        entry = entry_map(root, task.id)
        try:
            current = Entry.model_validate(to_plain(entry) or {})
        except Exception as exc:  # the file validated; only a concurrent hand edit gets here
            raise Refused("R105", f"台账中任务 {task.id} 的记录格式有误，请先运行 `fazhi check` 改正（{exc}）") from exc
        if expect is not None and entry_stamp(current) != expect:
            raise Refused(
                "R217",
                f"任务 {task.id} 的台账在您打开本页之后已被修改（其他人的填报、手工编辑或同步了中心仓库）；"
                "未写入任何内容。请核对最新内容后再提交",
            )
        decision = decide(current)
        if decision is not None:
            check_texts(decision)
        holder["decision"] = decision
        if decision is not None:
            apply_decision(entry, decision)

    committed: dict[str, tuple[str | None, str | None]] = {}

    def commit_under_lock(outcome: EditOutcome) -> None:
        # still holding the ledger's lock: the next writer of this ledger cannot slip its edit
        # into this commit, so N edits make N commits
        if outcome.changed and commit:
            committed["result"] = commit_change(book, [path, *cited_files(book, holder.get("decision"))], action, unit, task, author=author)

    try:
        outcome = edit_ledger(
            path,
            shown,
            mutate,
            scope=Scope.entry(task.id),
            new_file_text=new_ledger_text(book, unit),
            validate=ledger_validator(book, unit, path, today),
            after_write=commit_under_lock,
        )
    except Refused as exc:
        raise refuse(exc.code, exc.message, shown) from None
    except EditRefused as exc:
        raise Refusal(list(exc.problems) + [refusal("R105", f"{shown} 未修改：请先改正上述问题（`fazhi check` 可列出全部问题）", shown)]) from None
    except WriteError as exc:
        raise refuse("E403", exc.message, shown) from None
    decision = holder.get("decision")
    result = WriteResult(
        path, shown, unit, task, outcome.changed, decision.summary if decision else "", list(warnings or []) + (decision.warnings if decision else []), decision
    )
    if "result" in committed:
        result.commit, result.commit_warning = committed["result"]
    return result


def entry_stamp(entry: Entry | None) -> str:
    """A short fingerprint of what a task entry records (its data, not its comments or layout):
    equal for the entry a page was rendered from and the same entry read again under the lock."""
    import hashlib
    import json

    data = (entry or Entry()).model_dump(mode="json", exclude_none=True)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


MAX_TEXT_CHARS = 5000


def check_texts(decision: Decision) -> None:
    """Every text a decision would write is valid Unicode and of a sane length; raises Refused
    (R211) up front, naming the field, instead of a later "line too long" about the file."""
    values: list[tuple[str, Any]] = [(key, item) for key, item in decision.append]
    values += list(decision.set.items())
    values += [(section, fields) for (section, _), fields in decision.update.items()]
    for key, value in values:
        for name, text in _strings(key, value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise Refused("R211", f"{name} 含有无法识别的字符（不是有效的 UTF-8 文字），请重新输入") from None
            if len(text) > MAX_TEXT_CHARS:
                raise Refused("R211", f"{name} 过长（{len(text)} 个字符，上限 {MAX_TEXT_CHARS}）；请精简，详细材料可作为佐证文件登记")


def _strings(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(name, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(str(k), v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(name, v)]
    return []


# --- git ------------------------------------------------------------------------------------


def commit_change(
    book: Book, paths: list[Path], action: str, unit: Unit | None, task: Task | None, detail: str = "", author: Author = None
) -> tuple[str | None, str | None]:
    """Commit exactly these files when the workspace is a git work tree and committing is on.
    Returns (commit id, None), or (None, why not) when the change stays uncommitted."""
    root = book.ws.root
    if not book.plan.settings.git_commit:
        return None, None
    missing = git_missing_in(root)
    if missing:
        return None, missing
    if not is_work_tree(root):
        refused = git_refusal(root)
        if refused is None:
            return None, None
        return None, CommitFailure(f"修改已保存，但 git 不能使用这个仓库，没有提交：{refused}")
    subject = COMMIT_ACTIONS.get(action, action)
    if unit is not None:
        subject += f": {unit.label}"
    if task is not None:
        subject += f" 任务{task.id} {task.title}"
    if detail:
        subject += f" {detail}"
    trailers = {"Fazhi-Action": action}
    if unit is not None:
        trailers["Fazhi-Unit"] = unit.id
    if task is not None:
        trailers["Fazhi-Task"] = str(task.id)
    try:
        return commit_paths(root, paths, subject, trailers, author=author), None
    except GitError as exc:
        shown = " ".join(book.ws.relative(p) for p in paths)
        return None, CommitFailure(
            f"台账已保存，但未能提交到 git：{exc.message}\n"
            f"修改仍保留在文件中（未暂存、未提交）：{shown}；排除上述问题后可运行\n"
            f"  git add -- {shown}\n  git commit -m \"{subject}\"\n提交"
        )


class CommitFailure(str):
    """A commit warning that means git was asked and failed: the command exits 1 (the change
    stays on disk, unstaged). A plain str warning (git not installed) does not."""


def cited_files(book: Book, decision: Decision | None) -> list[Path]:
    """Evidence files a decision cites, so they are committed together with the ledger."""
    if decision is None:
        return []
    out: list[Path] = []
    for _, item in decision.append:
        for evidence in item.get("evidence", []):
            if isinstance(evidence, dict) and "path" in evidence:
                relative = str(evidence["path"])
                if not relative.startswith("evidence/") or ".." in relative.split("/"):
                    continue  # only evidence/ is ever staged with a ledger (never data/, .git/…)
                path = book.ws.root / relative
                if path.is_file() and not path.is_symlink() and path not in out:
                    out.append(path)
    return out
