"""`fazhi export`: the ledger table (台账) for the office's spreadsheets — xlsx, csv or json."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import complete_lead, AsOfOpt, ForceOpt, RootOpt, UnitOpt, fail, open_or_exit, resolve_lead, resolve_unit, save_output, to_stdout, view_day
from fazhi_cli.cli.report import invalid_ledgers
from fazhi_cli.engine.report_context import ledger_table
from fazhi_cli.render.console import make_console


class ExportFormat(str, Enum):
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="xlsx（Excel/WPS 表格）、csv（UTF-8，带 BOM）、json")] = ExportFormat.xlsx,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="输出文件（- 表示标准输出）；xlsx 默认 reports/ledger-日期.xlsx，csv 和 json 默认输出到屏幕", show_default=False),
    ] = None,
    force: ForceOpt = False,
    unit: UnitOpt = None,
    lead: Annotated[Optional[str], typer.Option("--lead", metavar="单位", help="牵头单位：只导出其牵头的任务（各承担单位）", show_default=False, autocompletion=complete_lead)] = None,
    as_of: AsOfOpt = None,
    root: RootOpt = None,
) -> None:
    """导出工作台账总表：每个单位每项任务一行（分管领导、措施、时限、状态、进展、佐证材料）。

    xlsx 含“台账”和“汇总”两个工作表（有无效台账时另加“台账无效”表）；csv 用中文表头；
    json 的字段与 `fazhi status --format json` 相同，另有 leader、owner、measures、progress、reason。
    单元格一律按文本写入：以 = 开头的内容不会被当作公式。

    示例：fazhi export --as-of 2020-08-06

    示例：fazhi export --format csv --unit 科区 -o 科区台账.csv
    """
    if unit and lead:
        fail("--unit 和 --lead 只能选一个")
    session = open_or_exit(root)
    day = view_day(session, as_of)
    view = session.as_of(day)
    invalid = invalid_ledgers(session)
    scope, chosen = "office", None
    if unit:
        chosen, scope = resolve_unit(session, unit), "unit"
        if chosen.id in {i.unit_id for i in invalid}:
            fail(f"{chosen.label}的台账有错误，无法导出；请先运行 `fazhi check` 并改正")
    elif lead:
        (chosen, _), scope = resolve_lead(view, lead), "lead"
    table = ledger_table(
        view, scope=scope, unit_id=chosen.id if chosen else None,
        exclude={i.unit_id for i in invalid}, present=set(session.ledger_files),
    )
    if invalid and scope != "unit":
        make_console(stderr=True).print(
            "警告：以下台账无效，未导出：" + "、".join(i.path for i in invalid) + "（运行 `fazhi check` 查看）", markup=False
        )
    from fazhi_cli.render.ledger_export import export_csv, export_json

    if fmt is ExportFormat.json:
        _emit(export_json(view.plan, table), output, session.ws.root, day, fmt)
        return
    if fmt is ExportFormat.csv:
        text = export_csv(view.plan, table)
        to_file = output is not None and not to_stdout(output)
        _emit(text.encode("utf-8-sig") if to_file else text.encode("utf-8"), output, session.ws.root, day, fmt, force=force)
        return
    from fazhi_cli.render.ledger_export import export_xlsx

    who = chosen.label if chosen else "全市"
    data = export_xlsx(view.plan, table, f"{who}法治政府建设工作台账（截至{day.isoformat()}）", invalid if scope != "unit" else None)
    _emit(data, output, session.ws.root, day, fmt, chosen, force=force)


def _emit(data: bytes, output: Path | None, root: Path, day, fmt: ExportFormat, chosen=None, *, force: bool = False) -> None:
    if output is None and fmt is not ExportFormat.xlsx:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    target = output or root / "reports" / (f"ledger-{day.isoformat()}" + (f"-{chosen.id}" if chosen else "") + ".xlsx")
    save_output(root, target, data, "Excel/WPS", "." + fmt.value, force=force)
    if not to_stdout(target):
        typer.echo(f"已导出：{target}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
