"""延期申请: `fazhi extend request|approve|refuse`."""

from __future__ import annotations

from typing import Annotated

import typer

from fazhi_cli.cli.common import RootOpt, parse_action_date, parse_date
from fazhi_cli.cli.options import ByOpt, DateOpt, NoCommitOpt, ReasonOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import open_target, report, write_entry
from fazhi_cli.engine.actions import Decision, decide_extension_decision, decide_extension_request
from fazhi_cli.store.ledgeredit import set_value

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
    session, the_unit, the_task = open_target(root, unit, task)
    when = parse_action_date(date)
    target = parse_date(new_due, "新的完成时限")
    result = write_entry(
        session,
        the_unit,
        the_task,
        lambda entry: decide_extension_request(
            session.plan, the_task, the_unit, entry, date=when, reason=reason, new_due=target, by=by
        ),
    )
    report(session, the_unit, the_task, result, commit=not no_commit, action="extend")


def _decide(approve: bool, task: str, unit: str, reason: str | None, date: str | None, by: str | None, root, no_commit: bool) -> None:
    session, the_unit, the_task = open_target(root, unit, task)
    when = parse_action_date(date)
    chosen: dict = {}

    def decide(entry):
        index, fields, summary = decide_extension_decision(entry, approve=approve, date=when, by=by, note=reason)
        chosen["index"], chosen["fields"] = index, fields
        return Decision(summary=summary)

    def apply(entry, decision):
        request_map = entry["extensions"][chosen["index"]]
        for key, value in chosen["fields"].items():
            set_value(request_map, key, value)

    result = write_entry(session, the_unit, the_task, decide, apply=apply)
    report(session, the_unit, the_task, result, commit=not no_commit, action="extend-approve" if approve else "extend-refuse")


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
