"""`fazhi who`: who may fill in, apply for, confirm and decide extensions of a unit's task."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import FormatOpt, ListFormat, RootOpt, acting_identity, open_or_exit, or_exit, resolve_unit
from fazhi_cli.core.lookup import find_task
from fazhi_cli.engine.roles import Act, roles_of
from fazhi_cli.models.plan import ReviewBy
from fazhi_cli.render.console import make_console
from fazhi_cli.render.records import to_json


def who(
    task: Annotated[Optional[str], typer.Argument(help="任务序号（不给则只列单位的编辑人员）", show_default=False)] = None,
    unit: Annotated[str, typer.Option("--unit", "-u", help="单位：编号、全称、简称或别名均可", show_default=False)] = ...,
    fmt: FormatOpt = ListFormat.table,
    root: RootOpt = None,
) -> None:
    """谁可以填报、申请销号、确认销号、审批延期：按 data/units.yaml 登记的编辑人员和 settings.yaml 的 review_by。

    填报（工作方案、进展、记录、申请销号、申请延期）：本单位的编辑人员。
    审核（确认销号、退回、重新打开、延期审批）：依法治市办的人员和牵头单位的编辑人员
    （review_by: office 时只由依法治市办），但不能是本单位的编辑人员。
    末行给出您自己（git 邮箱或 FAZHI_USER）能做什么。

    示例：fazhi who 26 --unit 科区
    """
    book = open_or_exit(root)
    chosen = resolve_unit(book, unit)
    roles = roles_of(book.plan)
    me = acting_identity(book.ws.root)
    the_task = or_exit(find_task, book, task) if task is not None else None
    record: dict = {
        "unit": chosen.id,
        "configured": roles.configured,
        "editors": sorted(roles.editors.get(chosen.id, ())),
        "office": sorted(roles.office),
        "identity": me,
    }
    if the_task is not None:
        record |= {
            "task": the_task.id,
            "review_by": roles.review_by.value,
            "reviewer_units": list(roles.reviewer_units(the_task.id)),
            "reviewers": roles.reviewers(chosen.id, the_task.id),
            "you_may_edit": roles.may_edit(me, chosen.id),
            "you_may_review": roles.may_review(me, chosen.id, the_task.id),
        }
    if fmt is ListFormat.json:
        typer.echo(to_json(record), nl=False)
        return
    out = make_console()
    if not roles.configured:
        out.print("data/units.yaml 未登记任何编辑人员：任何人都可以填报和审核（登记后才按角色检查）。", markup=False)
    out.print(f"{chosen.label}的编辑人员（填报、申请销号、申请延期）：{'、'.join(record['editors']) or '（未登记）'}", markup=False)
    if the_task is not None:
        leads = "、".join(book.plan.units[u].label for u in record["reviewer_units"] if u in book.plan.units)
        basis = "只由依法治市办审核（review_by: office）" if roles.review_by is ReviewBy.OFFICE else f"依法治市办和牵头单位（{leads or '无'}）"
        out.print(f"任务 {the_task.id} 的审核人（确认、退回、重新打开、延期审批；{basis}）：{'、'.join(record['reviewers']) or '（未登记）'}", markup=False)
    out.print(f"依法治市办人员（data/、templates/）：{'、'.join(record['office']) or '（未登记）'}", markup=False)
    if me is None:
        out.print("您的身份：未知（请设置 git config user.email）", markup=False)
    elif the_task is not None:
        can = [label for act, label in ((Act.EDIT, "填报"), (Act.REVIEW, "审核")) if roles.allowed(act, me, chosen.id, the_task.id)]
        out.print(f"您（{me}）对{chosen.label}任务 {the_task.id} 可以：{'、'.join(can) or '都不可以'}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("who")(who)
