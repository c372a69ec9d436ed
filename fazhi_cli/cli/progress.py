"""`fazhi progress` and `fazhi record`: dated progress with evidence, and counted or measured targets."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import RootOpt
from fazhi_cli.cli.options import DateOpt, EvidenceOpt, NoCommitOpt, NoteOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import run_write
from fazhi_cli.core import operations


def progress(
    task: TaskArg,
    unit: RequiredUnitOpt,
    note: Annotated[str, typer.Option("--note", "-m", help="做了什么（进展说明）", show_default=False)],
    evidence: EvidenceOpt = None,
    date: DateOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """记录一条工作进展（台账资料）。

    示例：fazhi progress 7 --unit 科区 --note "已在政府网站公布权责清单" --evidence evidence/kerqin/清单.pdf
    """
    run_write(root, lambda book, day, who: operations.progress(book, unit, task, today=day, note=note, evidence=evidence, date=date, who=who, commit=not no_commit))


def record(
    task: TaskArg,
    unit: RequiredUnitOpt,
    target: Annotated[
        Optional[str], typer.Option("--target", "-t", help="目标编号或名称（任务只有一个目标时可省略）", show_default=False)
    ] = None,
    value: Annotated[Optional[str], typer.Option("--value", help="测得的数值（比率可写 86.5 或 86.5%；时限填工作日数）", show_default=False)] = None,
    received: Annotated[
        Optional[str],
        typer.Option("--received", help="时限类目标：受理日期（--date 为办结日期），办理时限按两者之间的工作日计算", show_default=False),
    ] = None,
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    date: DateOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """记录一次计数（如一次中心组学法）或一个测得的数值（如双随机一公开占比 85%）。

    示例：fazhi record 2 --unit 科区 --target study --date 2020-03-12 --evidence 学习记录.pdf
    示例：fazhi record 18 --unit 市场监管局 --value 86.5 --date 2020-06-30
    示例：fazhi record 10 --unit 科区 --received 2020-09-30 --date 2020-10-09
    """
    run_write(
        root,
        lambda book, day, who: operations.record(
            book, unit, task, today=day, target=target, value=value, note=note, evidence=evidence, date=date, who=who, commit=not no_commit,
            received=received,
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("progress")(progress)
    app.command("record")(record)
