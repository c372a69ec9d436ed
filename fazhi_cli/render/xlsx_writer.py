"""Spreadsheets (.xlsx) with openpyxl: every text cell is stored as text, never as a formula.

A cell a unit typed as `=HYPERLINK(...)` or `=1+1` is written as a string cell (data type "s"),
so Excel and WPS show the characters and compute nothing; characters XML forbids are removed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from fazhi_cli.render.text import clean_text
from fazhi_cli.render.package import fixed_zip

FONT = "宋体"
FIXED_TIME = dt.datetime(2000, 1, 1)  # workbook timestamps: fixed, so the same data gives the same file


@dataclass
class Sheet:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float] | None = None
    formats: Sequence[str | None] | None = None  # per column: an Excel number format ("0.0%") or None
    hidden: Sequence[bool] | None = None  # per column: hidden on screen and on paper


def build_xlsx(sheets: list[Sheet], title: str = "") -> bytes:
    """A workbook with one sheet per `Sheet`: bold frozen header row, filters, wrapped text, and
    ready to print — A4 landscape, fitted to the page width, the header row repeated on every
    page, the title and 第 N 页 / 共 M 页 in the header and footer."""
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = clean_text(title)
    wb.properties.creator = "fazhi"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    for sheet in sheets:
        ws = wb.create_sheet(clean_text(sheet.title)[:31] or "Sheet")
        for col, name in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=col)
            _set(cell, name)
            cell.font = Font(name=FONT, bold=True)
            cell.fill = PatternFill("solid", fgColor="F2F2F2")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        formats = list(sheet.formats or [])
        for r, values in enumerate(sheet.rows, start=2):
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col)
                _set(cell, value)
                cell.font = Font(name=FONT)
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                if col <= len(formats) and formats[col - 1] and isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = formats[col - 1]
        for col, width in enumerate(sheet.widths or [], start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        for col, hide in enumerate(sheet.hidden or [], start=1):
            ws.column_dimensions[get_column_letter(col)].hidden = bool(hide)
        ws.freeze_panes = "A2"
        _print_setup(ws, clean_text(title) or clean_text(sheet.title))
        if sheet.columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(1, len(sheet.rows) + 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return fixed_zip(buffer.getvalue())


def _print_setup(ws, heading: str) -> None:
    """A4 landscape, one page wide (as many pages down as it takes), header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.8  # inches: room for the header and footer lines
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = heading.replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def _set(cell, value: object) -> None:
    """Numbers stay numbers; everything else is text, stored as a string even if it starts with `=`."""
    if value is None:
        cell.value = None
        return
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
        cell.data_type = "s"
        return
    if isinstance(value, (int, float)):
        cell.value = value
        return
    if isinstance(value, (list, tuple)):
        value = "、".join(clean_text(v) for v in value)
    cell.value = clean_text(value)
    cell.data_type = "s"  # never "f": a leading "=" stays text
