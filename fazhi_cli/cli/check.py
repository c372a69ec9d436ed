"""`fazhi check`: validate the whole workspace and print every problem with its place."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from fazhi_cli.cli.common import EXIT_OK, EXIT_PROBLEMS, RootOpt, open_or_exit
from fazhi_cli.cli.common import today
from fazhi_cli.core.checking import check_workspace
from fazhi_cli.problems import sort_problems
from fazhi_cli.render.console import make_console
from fazhi_cli.render.records import to_json


class CheckFormat(str, Enum):
    text = "text"
    json = "json"


def check(
    root: RootOpt = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="输出格式：text 或 json")] = CheckFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="有警告也以退出码 1 结束")] = False,
) -> None:
    """检查整个工作区：方案数据（data/）和各单位台账（ledgers/）。

    列出所有问题（不只第一个），格式为“文件:行:列: 级别 代码 说明”。
    退出码：0 没有错误；1 发现错误；2 无法运行（找不到工作区）。

    示例：fazhi check --format json
    """
    book = open_or_exit(root, need_plan=False)
    problems = sort_problems(check_workspace(book, today()))
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    if fmt is CheckFormat.json:
        typer.echo(to_json([p.as_dict() for p in problems]), nl=False)
    else:
        console = make_console()
        for problem in problems:
            console.print(problem.as_text(), markup=False)
        checked = sum(book.ws.data_file(n).is_file() for n in ("units", "tasks", "phases", "settings")) + len(book.ledger_files)
        if problems:
            console.print(f"检查了 {checked} 个文件：{len(errors)} 个错误，{len(warnings)} 个警告。", markup=False)
        else:
            console.print(f"检查了 {checked} 个文件，没有发现问题。", markup=False)
    failed = bool(errors) or (strict and bool(warnings))
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
