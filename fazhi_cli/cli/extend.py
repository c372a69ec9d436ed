"""延期申请: `fazhi extend request|approve|refuse`."""

from __future__ import annotations

from typing import Annotated

import typer

from fazhi_cli.cli.common import RootOpt
from fazhi_cli.cli.options import ByOpt, DateOpt, NoCommitOpt, ReasonOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import run_write
from fazhi_cli.core import operations

extend_app = typer.Typer(help="延期申请：提出（request）、同意（approve）、不同意（refuse）。", no_args_is_help=True)


@extend_app.command("request")
def request(
    task: TaskArg,
    unit: RequiredUnitOpt,
    new_due: Annotated[str, typer.Option("--new-due", help="申请延至的日期（YYYY-MM-DD）", show_default=False)],
    reason: ReasonOpt = None,
    date: DateOpt = None,
    by: ByOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """提出延期申请（须在完成时限之前，写明理由和新的时限）。

    示例：fazhi extend request 16 --unit 科区 --new-due 2020-09-30 --reason "第三方评估合同尚未签订"
    """
    run_write(
        root,
        lambda book, day, who: operations.request_extension(
            book, unit, task, today=day, new_due=new_due, reason=reason, date=date, who=who, commit=not no_commit
        ),
        name=by,
    )


def _decide(approve: bool, task: str, unit: str, reason: str | None, date: str | None, by: str | None, root, no_commit: bool) -> None:
    run_write(
        root,
        lambda book, day, who: operations.decide_extension(
            book, unit, task, approve=approve, today=day, reason=reason, date=date, who=who, commit=not no_commit
        ),
        name=by,
    )


@extend_app.command("approve")
def approve(
    task: TaskArg, unit: RequiredUnitOpt, reason: ReasonOpt = None, date: DateOpt = None, by: ByOpt = None,
    root: RootOpt = None, no_commit: NoCommitOpt = False,
) -> None:
    """同意延期（依法治市办）。该单位的完成时限改为申请的新日期，原时限保留在记录中。"""
    _decide(True, task, unit, reason, date, by, root, no_commit)


@extend_app.command("refuse")
def refuse(
    task: TaskArg, unit: RequiredUnitOpt, reason: ReasonOpt = None, date: DateOpt = None, by: ByOpt = None,
    root: RootOpt = None, no_commit: NoCommitOpt = False,
) -> None:
    """不同意延期（依法治市办），须写明理由。"""
    _decide(False, task, unit, reason, date, by, root, no_commit)


def register(app: typer.Typer) -> None:
    app.add_typer(extend_app, name="extend")
