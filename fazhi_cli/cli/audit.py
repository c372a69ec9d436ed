"""`fazhi audit`: for the office — entries backfilled long after the date they claim, dates in
the future, closed entries edited, records that vanished, commits by people not listed as a unit's
editors, hand edits that break the 销号 rules, commit times going backwards, commits claiming to be
a fazhi command they are not. Exit 1 when anything is flagged, so a CI job or a server-side hook
can run it. Output is made safe as in cli/history.py (table and CSV printable, JSON escaped)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEMS, FormatOpt, ListFormat, RootOpt, UnitOpt, fail, parse_date
from fazhi_cli.cli.history import RangeOpt, SinceOpt, cell, csv_text, json_text, open_source, task_title, unit_filter, unit_label
from fazhi_cli.engine.audit import AUDIT_CODES, audit as run_audit, summary
from fazhi_cli.models.plan import Settings
from fazhi_cli.render.console import make_console
from fazhi_cli.render.tables import print_table
from fazhi_cli.core.history import HistoryError, load_history

AUDIT_COLUMNS = ["code", "title", "commit", "date", "author_date", "author", "email", "subject", "unit", "unit_name", "task", "task_title", "path", "rule", "message"]


def audit(
    unit: UnitOpt = None,
    since: SinceOpt = None,
    revisions: RangeOpt = None,
    backfill_days: Annotated[
        Optional[int],
        typer.Option("--backfill-days", min=0, help="提交晚于所记日期超过此天数视为补录（默认取 data/settings.yaml 的 backfill_days）", show_default=False),
    ] = None,
    fmt: FormatOpt = ListFormat.table,
    root: RootOpt = None,
) -> None:
    """审计修改历史（供依法治市办使用）：发现问题时退出码为 1，可用于 CI 或服务器端钩子。

    \b
    A001 补录：提交日期比所记日期（进展、目标记录、销号记录、延期申请和审批、认领）晚
         backfill_days 天以上（用 --date 改早的作者日期不算数）
    A002 记录的日期晚于提交日期
    A003 已销号的条目未经“重新打开”即被修改
    A004 台账、任务条目或其中的记录被删除，或已有的进展、记录、销号记录、延期申请被改动
    A005 无权作此修改：填报不是本单位编辑人员所为，或审核（确认、退回、重新打开、延期审批）
         不是该任务的审核人所为——审核人是依法治市办和牵头单位的编辑人员，但不能审核本单位的事项
    A006 data/、templates/ 或其他共用文件被依法治市办以外的人员修改
    A007 违反销号规则：手工修改写入了任何命令都不会写入的内容（无佐证的申请销号、
         需审核的工作区直接 close、确认早于申请、审批早于延期申请、早于方案年度的日期等），
         说明中给出 fazhi check 的规则代码（如 E312）
    A008 提交时间早于其父提交（提交时间被改早或系统时钟被调回，A001、A002 据以判断的提交日期不可信）
    A009 提交说明中的 fazhi 操作标记（Fazhi-Action、Fazhi-Unit、Fazhi-Task）与实际修改不符：
         如标记为“确认销号”却写入了销号申请、改了另一项任务或另一单位的台账、改了方案数据

    A005、A006 以提交前 data/units.yaml 中登记的编辑人员和 settings.yaml 的 review_by 为准；
    未登记任何编辑人员时不检查。

    A007 按该次提交中的方案数据判断，只报告这次提交新出现的违规（提交前已有的不重复报告）。

    示例：fazhi audit --since 2020-07-01
    示例：fazhi audit --range origin/main..HEAD --format json
    """
    source = open_source(root, revisions)
    unit_id = unit_filter(source, unit)
    day = parse_date(since, "--since", default_today=False)
    plan = source.plan
    days = backfill_days if backfill_days is not None else (plan.settings.backfill_days if plan else Settings().backfill_days)
    try:
        history = load_history(source.repo, revisions=revisions, since=day, unit=unit_id, with_rules=True, with_plans=True, with_clock=True)
    except HistoryError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    findings = run_audit(history.commits, backfill_days=days, clock=history.clock)
    for note in history.notes():
        make_console(stderr=True).print(note, markup=False)
    err = make_console(stderr=True)
    touched = [c for c in history.commits if c.ledgers or c.other_paths or c.evidence_paths or c.shared_paths]
    if touched and not any(c.rules is not None and c.rules.configured for c in touched):
        err.print(
            "提示：data/units.yaml 中没有登记任何编辑人员（units[].editors、office.editors），"
            "未检查提交作者（A005、A006）。",
            markup=False,
        )
    unjudged = [c for c in history.commits if c.ledgers and c.plan is None]
    if unjudged:
        err.print(
            f"提示：{len(unjudged)} 次提交时的方案数据有错误或无法读取，这些提交未按销号规则检查（A007）。",
            markup=False,
        )
    if not plan:
        err.print("提示：方案数据无法读取，单位和任务名称按编号显示，未识别牵头单位。", markup=False)
    rows = [
        f.as_dict() | {"unit_name": unit_label(plan, f.unit), "task_title": task_title(plan, f.task)} for f in findings
    ]
    if fmt is ListFormat.json:
        typer.echo(json_text(rows), nl=False)
    elif fmt is ListFormat.csv:
        typer.echo(csv_text(rows, AUDIT_COLUMNS), nl=False)
    else:
        console = make_console()
        if findings:
            table = [
                [
                    f.code,
                    f.commit.committed.strftime("%Y-%m-%d"),
                    cell(f"{f.commit.author_name} <{f.commit.author_email}>"),
                    cell(unit_label(plan, f.unit) or ""),
                    "" if f.task is None else f"任务{f.task}",
                    cell(f.message),
                    f.commit.short,
                ]
                for f in findings
            ]
            print_table("审计发现的问题", ["代码", "提交日期", "作者", "单位", "任务", "说明", "提交"], table)
            console.print(f"共 {len(findings)} 个问题：{summary(findings)}。", markup=False)
        else:
            console.print(f"审计通过：检查了 {len(history.commits)} 次修改台账或方案数据的提交，未发现问题。", markup=False)
    raise typer.Exit(EXIT_PROBLEMS if findings else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


__all__ = ["AUDIT_CODES", "audit", "register"]
