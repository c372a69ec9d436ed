"""`fazhi plan` (the phase-1 work plan of one task) and `fazhi claim` (认领 an open-ended task)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import RootOpt
from fazhi_cli.cli.options import DateOpt, NoCommitOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import run_write
from fazhi_cli.core import operations


def plan(
    task: TaskArg,
    unit: RequiredUnitOpt,
    leader: Annotated[Optional[str], typer.Option("--leader", help="分管领导", show_default=False)] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="具体负责人", show_default=False)] = None,
    measures: Annotated[Optional[str], typer.Option("--measures", help="具体措施", show_default=False)] = None,
    due: Annotated[Optional[str], typer.Option("--due", help="计划完成时间（YYYY-MM-DD）", show_default=False)] = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """填写某项任务的工作方案：分管领导、具体负责人、具体措施、计划完成时间（制定方案阶段）。

    计划完成时间晚于规定时限时给出警告。

    示例：fazhi plan 7 --unit 科区 --leader 张三 --owner 李四 --measures "梳理权责事项并公布" --due 2020-04-20
    """
    run_write(
        root,
        lambda book, day, who: operations.plan_task(
            book, unit, task, today=day, leader=leader, owner=owner, measures=measures, due=due, who=who, commit=not no_commit
        ),
    )


def claim(
    task: TaskArg,
    unit: RequiredUnitOpt,
    date: DateOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """认领责任单位为“各相关部门”等开放式分组的任务（制定方案阶段各单位认领责任）。

    示例：fazhi claim 12 --unit 公安局
    """
    run_write(root, lambda book, day, who: operations.claim(book, unit, task, today=day, date=date, who=who, commit=not no_commit))


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("claim")(claim)
