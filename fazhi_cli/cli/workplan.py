"""`fazhi plan` (the phase-1 work plan of one task) and `fazhi claim` (认领 an open-ended task)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import RootOpt, fail, open_or_exit, parse_action_date, parse_date, resolve_task, resolve_unit
from fazhi_cli.cli.options import DateOpt, NoCommitOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import open_target, report, write_entry
from fazhi_cli.engine.actions import Decision, decide_plan
from fazhi_cli.engine.directory import responsibility


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
    session, the_unit, the_task = open_target(root, unit, task)
    due_date = parse_date(due, "计划完成时间", default_today=False)
    result = write_entry(
        session,
        the_unit,
        the_task,
        lambda entry: decide_plan(session.plan, the_task, the_unit, leader=leader, owner=owner, measures=measures, due=due_date),
    )
    report(session, the_unit, the_task, result, commit=not no_commit, action="plan")


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
    session = open_or_exit(root)
    the_unit = resolve_unit(session, unit)
    the_task = resolve_task(session, task)
    resp = responsibility(session.plan.directory, the_task)
    if not resp.open_groups:
        fail(f"任务 {the_task.id} 的责任单位已在分解表中列明，不能认领")
    if the_unit.id in resp.everyone:
        fail(f"{the_unit.label}已是任务 {the_task.id} 的牵头或责任单位，无需认领")
    when = parse_action_date(date)

    def decide(entry):
        if entry.claimed is not None:
            return None
        return Decision(set={"claimed": when}, summary="认领任务")

    result = write_entry(session, the_unit, the_task, decide)
    report(session, the_unit, the_task, result, commit=not no_commit, action="claim")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("claim")(claim)
