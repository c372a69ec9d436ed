"""Reports (`fazhi report`) and the 台账 export (`fazhi export`) as downloads, as of a chosen day:
the same library calls the commands make, returned as bytes with a file name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fazhi_cli.book.book import Book
from fazhi_cli.engine.report_context import build_report, invalid_ledgers, ledger_table
from fazhi_cli.engine.report_kinds import report_specs
from fazhi_cli.problems import MessageError

REPORT_FORMATS = {"docx": "Word（.docx）", "html": "网页（.html，可打印）", "md": "Markdown（.md）"}
EXPORT_FORMATS = {"xlsx": "Excel（.xlsx）", "csv": "CSV（UTF-8）", "json": "JSON"}
SCOPES = {"office": "全市", "lead": "牵头单位（所牵头的任务）", "unit": "本单位"}
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


class DownloadRefused(MessageError):
    """A document that may not or cannot be made for this user; the message says why."""


@dataclass(frozen=True)
class Download:
    name: str
    data: bytes
    mimetype: str


def _scope(book: Book, scope: str, unit_id: str | None, view: Book) -> str | None:
    """The unit of a lead or unit scope, checked; None for the city."""
    if scope not in SCOPES:
        raise DownloadRefused(f"范围“{scope}”无效")
    if scope == "office":
        return None
    plan = book.plan
    if not unit_id or unit_id not in plan.units:
        raise DownloadRefused("请选择单位")
    unit = plan.units[unit_id]
    if scope == "lead" and not view.tasks_led_by(unit_id):
        raise DownloadRefused(f"{unit.label}不是任何任务的牵头单位")
    if scope == "unit":
        if unit_id in {i.unit_id for i in invalid_ledgers(book)}:
            raise DownloadRefused(f"{unit.label}的台账有错误，无法生成；请先运行 `fazhi check` 并改正")
        if not view.tasks_of(unit_id):
            raise DownloadRefused(f"{unit.label}没有承担任何任务")
    return unit_id


def report(book: Book, spec_id: str, scope: str, unit_id: str | None, day: dt.date, fmt: str, revision: str | None, generator: str) -> Download:
    from fazhi_cli.render.documents import EXTENSIONS, RenderError, render_report
    from fazhi_cli.render.report_fields import report_context

    if fmt not in REPORT_FORMATS:
        raise DownloadRefused(f"格式“{fmt}”无效；可选：{'、'.join(REPORT_FORMATS)}")
    spec = next((s for s in report_specs(book.plan) if s.id == spec_id), None)
    if spec is None:
        raise DownloadRefused("请选择报送材料")
    if scope not in spec.kind.scopes:
        raise DownloadRefused(f"{spec.title}不按“{SCOPES.get(scope, scope)}”生成；可选：{'、'.join(SCOPES[s] for s in spec.kind.scopes if s in SCOPES)}")
    view = book.as_of(day)
    chosen = _scope(book, scope, unit_id, view)
    facts = build_report(
        view, spec, scope=scope, unit_id=chosen, invalid=invalid_ledgers(book), present=set(book.ledger_files), revision=revision,
        generator=generator,
    )
    try:
        data = render_report(report_context(book.plan, facts), fmt, book.ws.templates_dir)
    except RenderError as exc:
        raise DownloadRefused(exc.message) from None
    stem = spec.id + (f"-{day.isoformat()}" if spec.recurring else "") + (f"-{chosen}" if scope == "unit" else f"-lead-{chosen}" if scope == "lead" else "-city")
    return Download(stem + EXTENSIONS[fmt], data, MIME[fmt])


def export(book: Book, scope: str, unit_id: str | None, day: dt.date, fmt: str) -> Download:
    from fazhi_cli.render.ledger_export import export_csv, export_json, export_xlsx

    if fmt not in EXPORT_FORMATS:
        raise DownloadRefused(f"格式“{fmt}”无效；可选：{'、'.join(EXPORT_FORMATS)}")
    view = book.as_of(day)
    chosen = _scope(book, scope, unit_id, view)
    invalid = invalid_ledgers(book)
    table = ledger_table(view, scope=scope, unit_id=chosen, exclude={i.unit_id for i in invalid}, present=set(book.ledger_files))
    stem = f"ledger-{day.isoformat()}" + (f"-{chosen}" if chosen else "")
    if fmt == "json":
        return Download(stem + ".json", export_json(book.plan, table), MIME["json"])
    if fmt == "csv":
        return Download(stem + ".csv", export_csv(book.plan, table).encode("utf-8-sig"), MIME["csv"])
    who = book.plan.units[chosen].label if chosen else "全市"
    data = export_xlsx(book.plan, table, f"{who}法治政府建设工作台账（截至{day.isoformat()}）", invalid if scope != "unit" else None)
    return Download(stem + ".xlsx", data, MIME["xlsx"])
