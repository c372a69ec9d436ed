"""`fazhi init`: create missing ledgers and add missing task entries; never removes or rewrites."""

from __future__ import annotations

import typer

from fazhi_cli.cli.common import EXIT_PROBLEMS, acting_identity, RootOpt, UnitOpt, open_or_exit, or_exit, print_problems, resolve_unit, today
from fazhi_cli.cli.options import NoCommitOpt
from fazhi_cli.core.initialize import init_ledgers
from fazhi_cli.core.writes import CommitFailure
from fazhi_cli.render.console import make_console


def init(unit: UnitOpt = None, root: RootOpt = None, no_commit: NoCommitOpt = False) -> None:
    """为各单位建立台账：创建缺少的台账文件，并补上缺少的任务条目。

    已有内容不会被删除或改写，可以放心重复运行。给 --unit 只处理一个单位。
    缺少编辑器校验文件（schemas/*.schema.json）时一并写入。

    示例：fazhi init --unit 科区
    """
    book = open_or_exit(root)
    chosen = [resolve_unit(book, unit)] if unit else list(book.plan.units.values())
    result = or_exit(init_ledgers, book, chosen, today=today(), commit=not no_commit, who=acting_identity(book.ws.root))
    console, err = make_console(), make_console(stderr=True)
    for item in result.units:
        if item.problems:
            print_problems(item.problems)
        elif item.created:
            console.print(f"已创建 {item.shown}（{item.task_count} 项任务）", markup=False)
        elif item.added:
            console.print(f"已补充 {item.shown}：任务 {'、'.join(map(str, item.added))}", markup=False)
    if not result.failed:  # a refused or failed init changes nothing else either
        _missing_schemas(book.ws, console)
    if not result.failed and not any(u.changed for u in result.units):
        console.print("所有台账都已齐全，没有需要补充的内容。", markup=False)
    if result.commit_warning:
        failed_commit = isinstance(result.commit_warning, CommitFailure)
        err.print(f"{'错误' if failed_commit else '警告'}：{result.commit_warning}", markup=False)
        if failed_commit:
            raise typer.Exit(EXIT_PROBLEMS)
    if result.failed:
        raise typer.Exit(EXIT_PROBLEMS)


def _missing_schemas(ws, console) -> None:
    """The editor schemas the files' first lines point at (schemas/*.schema.json), if missing."""
    from fazhi_cli.cli.schema import write_schemas
    from fazhi_cli.store.safewrite import WriteError

    if any(name == "schemas" for name, _ in ws.folder_problems()):
        return  # `fazhi check` reports it
    try:
        written = write_schemas(ws.root, only_missing=True)
    except (OSError, WriteError):
        return  # not needed for the ledgers; `fazhi schema` says why
    if written:
        console.print(f"已写入编辑器校验文件 {'、'.join(ws.relative(p) for p in written)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
