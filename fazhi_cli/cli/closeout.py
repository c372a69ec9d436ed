"""销号: `fazhi close` (apply, with evidence), `fazhi confirm`, `fazhi reject`, `fazhi reopen`."""

from __future__ import annotations

import typer

from fazhi_cli.cli.common import RootOpt
from fazhi_cli.cli.options import ByOpt, DateOpt, EvidenceOpt, NoCommitOpt, NoteOpt, ReasonOpt, RequiredUnitOpt, TaskArg
from fazhi_cli.cli.writing import run_write
from fazhi_cli.core import operations
from fazhi_cli.models.ledger import Action


def close(
    task: TaskArg,
    unit: RequiredUnitOpt,
    evidence: EvidenceOpt = None,
    note: NoteOpt = None,
    date: DateOpt = None,
    by: ByOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """申请销号（附佐证材料）。需要审核的工作区中，状态变为“待审核销号”，由牵头单位或依法治市办确认。

    没有佐证材料的销号会被拒绝。量化目标未达到时给出警告。

    示例：fazhi close 7 --unit 科区 --evidence evidence/kerqin/权责清单.pdf --by 王五
    """
    run_write(root, lambda book, day, who: operations.close(book, unit, task, today=day, evidence=evidence, note=note, date=date, who=who, commit=not no_commit), name=by)


def _review(action: Action, task: str, unit: str, reason: str | None, date: str | None, by: str | None, root, no_commit: bool) -> None:
    run_write(root, lambda book, day, who: operations.review(book, action, unit, task, today=day, note=reason, date=date, who=who, commit=not no_commit), name=by)


def confirm(
    task: TaskArg,
    unit: RequiredUnitOpt,
    note: NoteOpt = None,
    date: DateOpt = None,
    by: ByOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """确认销号（牵头单位或依法治市办审核通过）。

    示例：fazhi confirm 7 --unit 科区 --by 依法治市办张三
    """
    _review(Action.CONFIRM, task, unit, note, date, by, root, no_commit)


def reject(
    task: TaskArg,
    unit: RequiredUnitOpt,
    reason: ReasonOpt = None,
    date: DateOpt = None,
    by: ByOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """退回销号申请，并写明理由和整改要求。

    示例：fazhi reject 7 --unit 科区 --reason "佐证材料缺少公布网址"
    """
    _review(Action.REJECT, task, unit, reason, date, by, root, no_commit)


def reopen(
    task: TaskArg,
    unit: RequiredUnitOpt,
    reason: ReasonOpt = None,
    date: DateOpt = None,
    by: ByOpt = None,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """重新打开已销号的事项，须写明理由。

    示例：fazhi reopen 7 --unit 科区 --reason "验收发现清单未动态更新"
    """
    _review(Action.REOPEN, task, unit, reason, date, by, root, no_commit)


def register(app: typer.Typer) -> None:
    app.command("close")(close)
    app.command("confirm")(confirm)
    app.command("reject")(reject)
    app.command("reopen")(reopen)
