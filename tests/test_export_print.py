"""The xlsx export prints like an office table: A4 landscape, one page wide, the header row on
every page, numbers as numbers (完成率 as a percentage), the ids column hidden — read back with
openpyxl, and printed through LibreOffice (every page carries the header row)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from test_reports import AS_OF


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    from conftest import copy_workspace, run_cli

    ws = copy_workspace(tmp_path_factory.mktemp("print") / "ws")  # the shipped plan: 34 units, many pages
    assert run_cli("init", "--root", str(ws)).exit_code == 0
    for args in (("close", "20", "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20"), ("confirm", "20", "-u", "kerqin", "--date", "2020-07-21")):
        assert run_cli(*args, "--root", str(ws)).exit_code == 0
    out = ws.parent / "ledger.xlsx"
    result = run_cli("export", "--root", str(ws), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def test_every_sheet_is_set_up_for_a4_landscape_one_page_wide(exported):
    book = openpyxl.load_workbook(exported)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, sheet.title  # 9: A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


def test_numbers_are_numbers_and_rates_print_as_percentages(exported):
    book = openpyxl.load_workbook(exported)
    summary = book["汇总"]
    header = [c.value for c in summary[1]]
    rate = header.index("完成率") + 1
    cells = [summary.cell(row=r, column=rate) for r in range(2, summary.max_row + 1)]
    assert cells and all(isinstance(c.value, (int, float)) and 0 <= c.value <= 1 and c.number_format == "0.0%" for c in cells)
    assert any(0 < c.value < 1 for c in cells)
    ledger = book["台账"]
    header = [c.value for c in ledger[1]]
    assert all(isinstance(ledger.cell(row=r, column=header.index("序号") + 1).value, int) for r in range(2, ledger.max_row + 1))
    hidden = [name for i, name in enumerate(header, start=1) if ledger.column_dimensions[openpyxl.utils.get_column_letter(i)].hidden]
    assert hidden == ["单位编号", "任务类型"]


def test_printed_through_libreoffice_every_page_has_the_header_row(exported, tmp_path):
    if not shutil.which("libreoffice") or not Path("/usr/lib/libreoffice/program/libsclo.so").exists():
        if os.environ.get("CI"):
            pytest.fail("LibreOffice Calc is not installed (.ci/run installs libreoffice-calc-nogui)")
        pytest.skip("LibreOffice Calc is not installed")
    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf", "--outdir", str(tmp_path), str(exported)],
        capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "ledger.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    ledger = [p for p in pages if "工作进展" in p]  # the 台账 sheet's pages; then 汇总 and 台账无效
    assert len(ledger) >= 3, len(pages)
    assert all("单位" in p and "状态" in p and "完成时限" in p for p in ledger)  # the header row, repeated
    assert all("排名" in p or "台账文件" in p for p in pages if p not in ledger)
    assert all(re.search(r"第\s*\d+\s*页\s*/\s*共\s*\d+\s*页", p) for p in pages)
