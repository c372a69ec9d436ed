"""`fazhi status`: what is outstanding and overdue — one unit, a lead unit's tasks, or everyone."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import complete_lead, AsOfOpt, FormatOpt, ListFormat, RootOpt, UnitOpt, fail, open_or_exit, resolve_lead, resolve_unit, view_day
from fazhi_cli.engine.status import status_rows, summarize, workdays_years
from fazhi_cli.engine.workdays import fallback_notice
from fazhi_cli.render.console import make_console
from fazhi_cli.render.records import to_csv, to_json
from fazhi_cli.render.status_view import flat_rows, as_of_title, print_rows_by_unit, print_summaries, print_unit_rows


def status(
    unit: UnitOpt = None,
    lead: Annotated[Optional[str], typer.Option("--lead", metavar="单位", help="牵头单位：列出其牵头任务中各责任单位的进度", show_default=False, autocompletion=complete_lead)] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列逾期事项")] = False,
    workdays: Annotated[
        bool, typer.Option("--workdays", help="加一列剩余或逾期的工作日（按国务院公布的节假日和调休；JSON/CSV 字段 workdays_left，逾期为负数）")
    ] = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = ListFormat.table,
    root: RootOpt = None,
) -> None:
    """查看进度：未完成、逾期、临期事项。

    --unit U：该单位的每项任务；--lead U：U 牵头的任务中各责任单位的状态；
    都不给：各单位汇总（任务数、各状态数、完成率、逾期数）。--overdue 只列逾期事项。
    --workdays 加一列“工作日”：距完成时限还剩几个工作日，或已逾期几个工作日。

    示例：fazhi status --unit 科区 --as-of 2020-08-06
    示例：fazhi status --unit 科区 --workdays --as-of 2020-09-30
    示例：fazhi status --overdue --format csv
    """
    if unit and lead:
        fail("--unit 和 --lead 只能选一个")
    if workdays and not (unit or lead or overdue):
        fail("--workdays 按事项计算工作日：请与 --unit、--lead 或 --overdue 一起使用")
    book = open_or_exit(root)
    day = view_day(book, as_of)
    view = book.as_of(day)
    invalid = {stem: f.path for stem, f in book.invalid_ledgers().items()}
    if invalid:
        make_console(stderr=True).print(
            f"警告：以下台账有错误，按空台账计算：{'、'.join(sorted(invalid.values()))}（运行 `fazhi check` 查看）", markup=False
        )
    if unit:
        chosen = resolve_unit(book, unit)
        rows = status_rows(view, units=[chosen.id], workdays=workdays)
        title = f"{chosen.label}任务进度（{as_of_title(day)}）"
    elif lead:
        chosen, led = resolve_lead(view, lead)
        rows = status_rows(view, tasks=led, workdays=workdays)
        title = f"{chosen.label}牵头任务进度（{as_of_title(day)}）"
    else:
        rows = status_rows(view, workdays=workdays)
        title = f"各单位任务进度（{as_of_title(day)}）"
    if overdue:
        rows = [r for r in rows if r.overdue]
        title = title.replace("进度", "逾期事项")
    if workdays:
        notice = fallback_notice(workdays_years(rows, day))
        if notice:
            make_console(stderr=True).print(f"注意：{notice}", markup=False)

    summary_mode = not unit and not lead and not overdue
    if fmt is not ListFormat.table:
        if summary_mode:
            records = [s.as_dict() | {"ledger_valid": s.unit_id not in invalid} for s in summarize(view.plan, rows, day)]
        else:
            records = [r.as_dict() for r in rows]
        if fmt is ListFormat.json:
            typer.echo(to_json(records), nl=False)
        else:
            if summary_mode:
                typer.echo(to_csv(records), nl=False)
            else:
                flat, columns = flat_rows(records, workdays)
                typer.echo(to_csv(flat, columns), nl=False)
        return
    if summary_mode:
        print_summaries(title, summarize(view.plan, rows, day), invalid)
    elif unit:
        print_unit_rows(title, rows, workdays)
    else:
        print_rows_by_unit(title, rows, workdays)
    total_overdue = sum(r.overdue for r in rows)
    make_console().print(f"共 {len(rows)} 项，逾期 {total_overdue} 项，临期 {sum(r.due_soon for r in rows)} 项。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
