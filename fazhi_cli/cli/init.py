"""`fazhi init`: create missing ledgers and add missing task entries; never removes or rewrites."""

from __future__ import annotations

from pathlib import Path

import typer

from fazhi_cli.book.book import Book
from fazhi_cli.cli.common import EXIT_PROBLEMS, RootOpt, UnitOpt, open_or_exit, print_problems, resolve_unit, today
from fazhi_cli.cli.options import NoCommitOpt
from fazhi_cli.core.writes import commit_change, ledger_validator, new_ledger_text
from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.models.plan import Unit
from fazhi_cli.render.console import make_console
from fazhi_cli.store.ledgeredit import EditRefused, Scope, WriteError, edit_ledger, entry_map
from fazhi_cli.store.safewrite import ABSENT, atomic_write, lock_for


def ledger_skeleton(session: Book, unit: Unit, task_ids: list[int]) -> str:
    """A new ledger: header, unit, and one empty entry per task, each under a comment naming it."""
    text = new_ledger_text(session, unit)
    if not task_ids:
        return text
    lines = [text.removesuffix("tasks: {}\n") + "tasks:"]
    for tid in task_ids:
        task = session.plan.tasks[tid]
        due = official_due(session.plan, task, unit).date
        lines.append(f"  # 任务{tid} {task.title}（完成时限 {due.isoformat()}）")
        lines.append(f"  {tid}: {{}}")
    return "\n".join(lines) + "\n"


def init(unit: UnitOpt = None, root: RootOpt = None, no_commit: NoCommitOpt = False) -> None:
    """为各单位建立台账：创建缺少的台账文件，并补上缺少的任务条目。

    已有内容不会被删除或改写，可以放心重复运行。给 --unit 只处理一个单位。

    示例：fazhi init --unit 科区
    """
    session = open_or_exit(root)
    plan = session.plan
    console = make_console()
    chosen = [resolve_unit(session, unit)] if unit else list(plan.units.values())
    changed: list[Path] = []
    failed = False
    session.ws.ledgers_dir.mkdir(parents=True, exist_ok=True)
    for the_unit in chosen:
        task_ids = session.tasks_of(the_unit.id)
        path = session.ws.ledger_path(the_unit.id)
        shown = session.ws.relative(path)
        ledger_file = session.ledger_files.get(the_unit.id)
        if ledger_file is not None and not ledger_file.valid:
            failed = True
            print_problems([p for p in ledger_file.problems if p.is_error])
            make_console(stderr=True).print(f"未修改 {shown}：请先改正上述问题", markup=False)
            continue
        try:
            if not path.exists():
                with lock_for(path):
                    if not path.exists():
                        atomic_write(path, ledger_skeleton(session, the_unit, task_ids).encode("utf-8"), expected_sha256=ABSENT)
                        changed.append(path)
                        console.print(f"已创建 {shown}（{len(task_ids)} 项任务）", markup=False)
                        continue
            added: list[int] = []

            def mutate(root_map, task_ids=task_ids, added=added):
                tasks = root_map.get("tasks") or {}
                for tid in task_ids:
                    if tid not in tasks:
                        entry_map(root_map, tid)
                        added.append(tid)

            outcome = edit_ledger(
                path, shown, mutate, scope=Scope.additions(), validate=ledger_validator(session, the_unit, path, today())
            )
            if outcome.changed:
                changed.append(path)
                console.print(f"已补充 {shown}：任务 {'、'.join(map(str, added))}", markup=False)
        except EditRefused as exc:
            failed = True
            print_problems(exc.problems)
            make_console(stderr=True).print(f"未修改 {shown}：请先改正上述问题", markup=False)
        except WriteError as exc:
            failed = True
            make_console(stderr=True).print(f"未修改 {shown}：{exc.message}", markup=False)
    if not changed and not failed:
        console.print("所有台账都已齐全，没有需要补充的内容。", markup=False)
    if changed and not no_commit:
        _, why = commit_change(session, changed, "init", chosen[0] if len(chosen) == 1 else None, None, "" if len(chosen) == 1 else f"{len(changed)} 个单位")
        if why:
            make_console(stderr=True).print(f"警告：{why}", markup=False)
    if failed:
        raise typer.Exit(EXIT_PROBLEMS)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
