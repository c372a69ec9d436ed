"""`fazhi init` as a library call: create missing ledgers and add missing task entries, never
removing or rewriting anything. Each unit's outcome is a value; one unit's broken ledger does not
stop the others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from fazhi_cli.book.book import Book
from fazhi_cli.core.writes import Refusal, commit_change, ledger_validator, new_ledger_text
from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.models.plan import Unit
from fazhi_cli.problems import Problem, refusal
from fazhi_cli.store.ledgeredit import EditRefused, Scope, WriteError, edit_ledger, entry_map
from fazhi_cli.engine.roles import roles_of
from fazhi_cli.store.safewrite import ABSENT, atomic_write, locked


@dataclass
class UnitInit:
    """What init did for one unit: created the file, added entries, or was refused (`problems`)."""

    unit: Unit
    shown: str
    created: bool = False
    task_count: int = 0
    added: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added)


@dataclass
class InitResult:
    units: list[UnitInit]
    commit: str | None = None
    commit_warning: str | None = None

    @property
    def failed(self) -> bool:
        return any(u.problems for u in self.units)


def ledger_skeleton(book: Book, unit: Unit, task_ids: list[int]) -> str:
    """A new ledger: header, unit, and one empty entry per task, each under a comment naming it."""
    text = new_ledger_text(book, unit)
    if not task_ids:
        return text
    lines = [text.removesuffix("tasks: {}\n") + "tasks:"]
    for tid in task_ids:
        task = book.plan.tasks[tid]
        due = official_due(book.plan, task, unit).date
        lines.append(f"  # 任务{tid} {task.title}（完成时限 {due.isoformat()}）")
        lines.append(f"  {tid}: {{}}")
    return "\n".join(lines) + "\n"


def init_ledgers(book: Book, units: list[Unit], *, today: dt.date, commit: bool = True, who: str | None = None) -> InitResult:
    """Bring each unit's ledger up to the tasks it carries; one commit for all that changed.
    Raises Refusal when ledgers/ cannot be a folder of ledgers, or when `who` may not set up one
    of these ledgers (the office sets up any, a unit's editors their own)."""
    roles = roles_of(book.plan)
    denied = [u for u in units if not roles.may_create(who, u.id)]
    if denied:
        names = "、".join(u.label for u in denied[:5]) + (f"等 {len(denied)} 个单位" if len(denied) > 5 else "")
        raise Refusal([refusal("R214", f"{who or '（未知身份）'} 不能为{names}建立台账：只有依法治市办的人员或该单位的编辑人员可以；请用 --unit 指定本单位")])
    folder = book.ws.ledgers_dir
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise Refusal([refusal("E014", "ledgers 不是目录（是文件或链接）；请改名或删除它，让 fazhi 建立 ledgers/ 目录", "ledgers")])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refusal([refusal("E403", f"无法建立 ledgers/ 目录：{exc.strerror or exc}", "ledgers")]) from None
    outcomes = [_init_one(book, unit, today) for unit in units]
    result = InitResult(outcomes)
    changed: list[Path] = [book.ws.ledger_path(u.unit.id) for u in outcomes if u.changed]
    if changed and commit:
        single = units[0] if len(units) == 1 else None
        result.commit, result.commit_warning = commit_change(book, changed, "init", single, None, "" if single else f"{len(changed)} 个单位")
    return result


def _init_one(book: Book, unit: Unit, today: dt.date) -> UnitInit:
    path = book.ws.ledger_path(unit.id)
    shown = book.ws.relative(path)
    outcome = UnitInit(unit, shown)
    ledger_file = book.ledger_files.get(unit.id)
    if ledger_file is not None and not ledger_file.valid:
        outcome.problems = [p for p in ledger_file.problems if p.is_error] + [refusal("R105", f"未修改 {shown}：请先改正上述问题", shown)]
        return outcome
    task_ids = book.tasks_of(unit.id)
    try:
        if not path.exists():
            with locked(path):
                if not path.exists():
                    atomic_write(path, ledger_skeleton(book, unit, task_ids).encode("utf-8"), expected_sha256=ABSENT)
                    outcome.created, outcome.task_count = True, len(task_ids)
                    return outcome

        def mutate(root_map):
            tasks = root_map.get("tasks") or {}
            for tid in task_ids:
                if tid not in tasks:
                    entry_map(root_map, tid)
                    outcome.added.append(tid)

        edited = edit_ledger(path, shown, mutate, scope=Scope.additions(), validate=ledger_validator(book, unit, path, today))
        if not edited.changed:
            outcome.added = []
    except EditRefused as exc:
        outcome.added = []
        outcome.problems = list(exc.problems) + [refusal("R105", f"未修改 {shown}：请先改正上述问题", shown)]
    except WriteError as exc:
        outcome.added = []
        outcome.problems = [refusal("E403", f"未修改 {shown}：{exc.message}", shown)]
    return outcome
