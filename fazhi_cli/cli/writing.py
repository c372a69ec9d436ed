"""The one path every write command takes: resolve, decide under the lock, edit, verify, commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fazhi_cli.cli.common import EXIT_PROBLEMS, fail, open_or_exit, print_problems, resolve_task, resolve_unit
from fazhi_cli.engine.actions import Decision, Refused
from fazhi_cli.engine.status import responsibilities
from fazhi_cli.engine.workspacecheck import check_ledger, file_sha256, resolve_evidence_path
from fazhi_cli.models.ledger import Entry, EvidenceFile, Ledger
from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.problems import Problem
from fazhi_cli.render.console import make_console
from fazhi_cli.store.git import COMMIT_ACTIONS, GitError, commit_paths, git_missing_in, is_work_tree
from fazhi_cli.store.ledgeredit import EditRefused, Scope, WriteError, append_item, edit_ledger, entry_map, set_value
from fazhi_cli.store.loader import load_model
from fazhi_cli.store.session import Session


def to_plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for validating with pydantic)."""
    if isinstance(node, dict):
        return {k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, dt.datetime):
        return node.date()
    return node


def new_ledger_text(session: Session, unit: Unit) -> str:
    plan = session.plan
    return (
        "# yaml-language-server: $schema=../schemas/ledger.schema.json\n"
        f"# {unit.name}（{unit.id}）工作台账 —— {plan.phases.title}\n"
        "# 可以用 fazhi 命令填写，也可以手工编辑；手工改完请运行 `fazhi check`。\n"
        f"unit: {unit.id}\n"
        "tasks: {}\n"
    )


def ledger_validator(session: Session, unit: Unit, path: Path) -> Callable[[bytes], list[Problem]]:
    """Checks the ledger as it would be written: shape, tasks carried, log order, evidence."""
    shown = session.ws.relative(path)

    def validate(new_bytes: bytes) -> list[Problem]:
        loaded = load_model(path, shown, Ledger, raw=new_bytes)
        if loaded.model is None:
            return loaded.problems
        ledgers = dict(session.valid_ledgers())
        ledgers[unit.id] = loaded.model
        resp = responsibilities(session.plan, ledgers)
        return loaded.problems + [p for p in check_ledger(session, loaded, resp) if p.is_error]

    return validate


def require_carried(session: Session, unit: Unit, task: Task) -> None:
    resp = responsibilities(session.plan, session.valid_ledgers())[task.id]
    if unit.id in resp.everyone:
        return
    hint = ""
    if resp.open_groups:
        hint = f"；该任务的责任单位含开放式分组，如确属本单位职责，可先认领：fazhi claim {task.id} --unit {unit.id}"
    fail(f"{unit.label}不承担任务 {task.id}（{task.title}）{hint}")


def open_target(root: Path | None, unit: str, task: str) -> tuple[Session, Unit, Task]:
    """The workspace, the unit and the task a write command is about; exits when the unit does not
    carry the task."""
    session = open_or_exit(root)
    the_unit = resolve_unit(session, unit)
    the_task = resolve_task(session, task)
    require_carried(session, the_unit, the_task)
    return session, the_unit, the_task


def parse_evidence(session: Session, unit: Unit, values: list[str] | None) -> list:
    """Evidence arguments: a file inside the workspace (recorded with its sha256), a document
    number such as 通司发〔2020〕12号, or a URL. A path that does not exist is refused."""
    out: list = []
    root = session.ws.root
    for raw in values or []:
        text = raw.strip()
        if not text:
            continue
        if text.lower().startswith(("http://", "https://")):
            out.append(text)
            continue
        candidate = Path(text)
        looks_like_path = "/" in text or "\\" in text or (candidate.suffix and len(candidate.suffix) <= 6 and "〔" not in text)
        if not looks_like_path:
            out.append(text)
            continue
        candidates = [candidate] if candidate.is_absolute() else [Path.cwd() / candidate, root / candidate]
        full = next((c.resolve() for c in candidates if c.is_file()), None)
        if full is None:
            fail(f"佐证材料文件“{text}”不存在；请确认路径（相对于当前目录或工作区），或改填文号、网址")
        inside = resolve_evidence_path(root, str(full))
        if inside is None:
            fail(
                f"佐证材料文件“{text}”不在工作区内；请先复制到工作区的 evidence/{unit.id}/ 目录下再登记，"
                "以便随台账一起存档"
            )
        relative = full.relative_to(root.resolve()).as_posix()
        out.append(EvidenceFile(path=relative, sha256=file_sha256(full)))
    return out


@dataclass
class WriteResult:
    path: Path
    changed: bool
    decision: Decision | None


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


def write_entry(
    session: Session,
    unit: Unit,
    task: Task,
    decide: Callable[[Entry], Decision | None],
    *,
    apply: Callable[[Any, Decision], None] = apply_decision,
) -> WriteResult:
    """Edit one task entry of the unit's ledger under its lock; exits on refusal (nothing written)."""
    path = session.ws.ledger_path(unit.id)
    holder: dict[str, Decision | None] = {}

    def mutate(root: Any) -> None:
        entry = entry_map(root, task.id)
        try:
            current = Entry.model_validate(to_plain(entry) or {})
        except Exception as exc:  # the file validated; only a concurrent hand edit gets here
            raise Refused(f"台账中任务 {task.id} 的记录格式有误，请先运行 `fazhi check` 改正（{exc}）") from exc
        decision = decide(current)
        holder["decision"] = decision
        if decision is not None:
            apply(entry, decision)

    try:
        outcome = edit_ledger(
            path,
            session.ws.relative(path),
            mutate,
            scope=Scope.entry(task.id),
            new_file_text=new_ledger_text(session, unit),
            validate=ledger_validator(session, unit, path),
        )
    except Refused as exc:
        fail(exc.message)
    except EditRefused as exc:
        print_problems(exc.problems)
        fail(f"{session.ws.relative(path)} 未修改：请先改正上述问题（`fazhi check` 可列出全部问题）", EXIT_PROBLEMS)
    except WriteError as exc:
        fail(exc.message)
    return WriteResult(path, outcome.changed, holder.get("decision"))


ACTION_SUBJECTS = COMMIT_ACTIONS


def commit_change(session: Session, paths: list[Path], action: str, unit: Unit | None, task: Task | None, detail: str = "") -> None:
    """Commit exactly these files when the workspace is a git work tree and committing is on."""
    if not session.plan.settings.git_commit:
        return
    missing = git_missing_in(session.ws.root)
    if missing:
        make_console(stderr=True).print(f"警告：{missing}", markup=False)
        return
    if not is_work_tree(session.ws.root):
        return
    subject = ACTION_SUBJECTS.get(action, action)
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
        commit_paths(session.ws.root, paths, subject, trailers)
    except GitError as exc:
        make_console(stderr=True).print(f"警告：台账已保存，但未能提交到 git：{exc.message}", markup=False)


def cited_files(session: Session, decision: Decision | None) -> list[Path]:
    """Evidence files a decision cites, so they are committed together with the ledger."""
    if decision is None:
        return []
    out: list[Path] = []
    for _, item in decision.append:
        for evidence in item.get("evidence", []):
            if isinstance(evidence, dict) and "path" in evidence:
                path = session.ws.root / evidence["path"]
                if path.is_file() and path not in out:
                    out.append(path)
    return out


def report(session: Session, unit: Unit, task: Task, result: WriteResult, *, commit: bool, action: str) -> None:
    console = make_console()
    err = make_console(stderr=True)
    decision = result.decision
    if decision is not None:
        for warning in decision.warnings:
            err.print(f"警告：{warning}", markup=False)
    shown = session.ws.relative(result.path)
    if result.changed:
        what = decision.summary if decision else "修改"
        console.print(f"已记录：{unit.label} 任务{task.id}（{task.title}）{what} → {shown}", markup=False)
        if commit:
            commit_change(session, [result.path, *cited_files(session, decision)], action, unit, task)
    else:
        console.print(f"没有变化：{shown} 已是所要的内容", markup=False)
