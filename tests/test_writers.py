"""The .xlsx and .docx writers on their own: what a cell or a table holds when read back with
openpyxl and python-docx, the names and parts Excel insists on, and the same bytes for the same
data. (The commands' outputs are tested in test_reports_formats.py and test_export_print.py.)"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from fazhi_cli.render.docx_writer import DocxMarkupError, build_docx
from fazhi_cli.render.xlsx_writer import MAX_CELL_CHARS, Sheet, build_xlsx


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def one_sheet(rows, columns=("甲", "乙", "丙"), **options) -> bytes:
    return build_xlsx([Sheet("表", list(columns), rows, **options)], "标题")


# --- xlsx: cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "=A1&A2"])
def test_formula_like_text_is_a_string_cell(text):
    data = one_sheet([[text, 1, None]])
    cell = read(data)["表"]["A2"]
    assert cell.value == text and cell.data_type == "s"
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet


def test_characters_xml_forbids_are_removed():
    data = one_sheet([["a\x01b\x0bc\ufffe\x7fd", "x\ud800y", "第一行\r\n第二行"]])
    row = [c.value for c in read(data)["表"][2]]
    assert row == ["abcd", "xy", "第一行\n第二行"]


def test_text_that_looks_like_an_ooxml_escape_stays_as_typed():
    data = one_sheet([["_x0041_ 与 _x000D_", "a_x12_b", None]])
    assert read(data)["表"]["A2"].value == "_x0041_ 与 _x000D_"
    assert read(data)["表"]["B2"].value == "a_x12_b"


def test_numbers_stay_numbers_and_everything_else_is_text():
    data = one_sheet(
        [[7, 0.625, True, ["甲", "乙", None], None, "", float("nan"), 12345678901234]],
        columns=("整数", "小数", "布尔", "列表", "空", "空串", "非数", "大数"),
    )
    row = read(data)["表"][2]
    assert [c.value for c in row] == [7, 0.625, "是", "甲、乙、", None, None, "nan", 12345678901234]
    assert [c.data_type for c in row[:4]] == ["n", "n", "s", "s"]
    assert read(one_sheet([[False, 0, 0.0]]))["表"]["A2"].value == "否"


def test_an_int_enum_is_written_as_its_number():
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    assert read(one_sheet([[Level.HIGH, None, None]]))["表"]["A2"].value == 3


def test_number_formats_apply_to_numbers_only():
    data = one_sheet([[0.5, 3, "三"], ["文字", 4, 5]], formats=("0.0%", "0", "0.0%"))
    sheet = read(data)["表"]
    assert sheet["A2"].number_format == "0.0%" and sheet["B2"].number_format == "0" and sheet["C3"].number_format == "0.0%"
    assert sheet["A3"].number_format == "General" and sheet["C2"].number_format == "General"  # text keeps no number format
    assert sheet["A2"].alignment.wrap_text and sheet["A2"].alignment.vertical == "top"


def test_header_row_is_bold_shaded_and_frozen_with_a_filter():
    data = one_sheet([["a", "b", "c"], ["d", "e", "f"]])
    sheet = read(data)["表"]
    header = sheet["A1"]
    assert header.value == "甲" and header.font.b and header.font.name == "宋体"
    assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb.endswith("F2F2F2")
    assert header.alignment.horizontal == "center" and header.alignment.wrap_text
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C3"


def test_whitespace_at_either_end_and_tabs_are_kept():
    data = one_sheet([["  前后有空格  ", "a\tb", "\n换行开头"]])
    assert [c.value for c in read(data)["表"][2]] == ["  前后有空格  ", "a\tb", "\n换行开头"]


def test_text_longer_than_excel_allows_is_cut_at_the_limit():
    data = one_sheet([["字" * (MAX_CELL_CHARS + 10), "😀" * MAX_CELL_CHARS, "短"]])
    row = read(data)["表"][2]
    assert row[0].value == "字" * MAX_CELL_CHARS
    assert len(row[1].value.encode("utf-16-le")) <= MAX_CELL_CHARS * 2 and set(row[1].value) == {"😀"}
    assert row[2].value == "短"


# --- xlsx: columns, sheets, printing ---------------------------------------------------------------


def test_widths_and_hidden_columns():
    data = one_sheet([[1, 2, 3]], widths=(18, 5), hidden=(False, True, True))
    dims = read(data)["表"].column_dimensions
    assert dims["A"].width == 18 and not dims["A"].hidden
    assert dims["B"].width == 5 and dims["B"].hidden
    assert dims["C"].hidden  # hidden without a width of its own


def test_sheet_names_excel_forbids_are_made_acceptable():
    titles = ["台账/汇总:2020[1]?*\\", "很长" * 20, "", "'引号'", "表", "表", "History", "x\x01y"]
    data = build_xlsx([Sheet(t, ["列"], [["值"]]) for t in titles])
    names = read(data).sheetnames
    assert names[0] == "台账_汇总_2020_1____"
    assert names[1] == ("很长" * 20)[:31]
    assert names[2] == "Sheet" and names[3] == "引号"
    assert names[4:6] == ["表", "表(2)"]
    assert names[6] == "History_" and names[7] == "xy"
    assert all(len(n) <= 31 for n in names) and len({n.casefold() for n in names}) == len(names)


def test_a_sheet_name_with_an_apostrophe_inside_keeps_its_print_titles():
    sheet = read(build_xlsx([Sheet("单位's 表", ["列"], [["值"]])]))["单位's 表"]
    assert sheet.print_title_rows == "$1:$1" and sheet.auto_filter.ref == "A1:A2"


def test_an_empty_sheet_and_an_empty_workbook_title():
    data = build_xlsx([Sheet("空表", [], []), Sheet("只有表头", ["甲", "乙"], [])])
    book = read(data)
    empty, header_only = book["空表"], book["只有表头"]
    assert empty.max_row == 1 and empty["A1"].value is None and not empty.auto_filter.ref
    assert [c.value for c in header_only[1]] == ["甲", "乙"] and header_only.auto_filter.ref == "A1:B1"
    assert empty.oddHeader.center.text == "空表"  # without a workbook title, each sheet's own
    assert book.properties.title is None


def test_every_sheet_prints_a4_landscape_one_page_wide_with_title_and_page_numbers():
    data = build_xlsx([Sheet("一", ["甲"], [[1]]), Sheet("二", ["乙"], [[2]])], "台账 R&D（截至2020-08-06）")
    book = read(data)
    assert book.properties.title == "台账 R&D（截至2020-08-06）" and book.properties.creator == "fazhi"
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1" and sheet.print_options.horizontalCentered
        assert sheet.oddHeader.center.text == "台账 R&&D（截至2020-08-06）"  # & doubled: a lone & is a header code
        assert sheet.oddFooter.center.text == "第 &P 页 / 共 &N 页"


def test_the_same_data_gives_the_same_bytes_with_fixed_times():
    sheets = [Sheet("台账", ["甲", "乙"], [["=1+1", 0.5], [True, ["a", "b"]]], formats=(None, "0.0%"))]
    one, two = build_xlsx(sheets, "标题"), build_xlsx(sheets, "标题")
    assert one == two
    package = zipfile.ZipFile(io.BytesIO(one))
    assert {info.date_time for info in package.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    core = package.read("docProps/core.xml").decode("utf-8")
    assert core.count("2000-01-01T00:00:00Z") == 2
    assert package.namelist()[0] == "[Content_Types].xml"


@pytest.mark.skipif(
    (shutil.which("libreoffice") is None or not Path("/usr/lib/libreoffice/program/libsclo.so").exists()) and not os.environ.get("CI"),
    reason="LibreOffice Calc not installed (.ci/run installs it; in CI this test never skips)",
)
def test_libreoffice_prints_an_awkward_workbook(tmp_path):
    sheets = [
        Sheet("台账/汇总?" * 5, ["单位", "公式", "比率", "隐藏"], [["科区", "=1+1", 0.25, "看不见"], ["_x0041_", "a & <b>", 1, ""]],
              widths=(10, 10, 8, 8), formats=(None, None, "0.0%", None), hidden=(False, False, False, True)),
        Sheet("", [], []),
    ]
    source = tmp_path / "awkward.xlsx"
    source.write_bytes(build_xlsx(sheets, "标题 & 页眉"))
    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "awkward.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "=1+1" in text and "25.0%" in text and "_x0041_" in text and "a & <b>" in text
    assert "看不见" not in text  # the hidden column is not printed
    assert "标题 & 页眉" in text and re.search(r"第\s*1\s*页\s*/\s*共\s*1\s*页", text)


# --- docx ------------------------------------------------------------------------------------------


def table_grid(data: bytes) -> list[list[tuple[str, int]]]:
    """Each row of the first table: (text, grid columns spanned) per cell."""
    body = docx.Document(io.BytesIO(data)).element.body
    table = next(body.iter(qn("w:tbl")))
    rows = []
    for tr in table.iter(qn("w:tr")):
        cells = []
        for tc in tr.iter(qn("w:tc")):
            span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
            cells.append(("".join(t.text for t in tc.iter(qn("w:t"))), int(span.get(qn("w:val"))) if span is not None else 1))
        rows.append(cells)
    return rows


def test_docx_table_spans_stop_at_the_last_column_and_short_rows_get_empty_cells():
    data = build_docx(
        '<document><table widths="1,2,3">'
        '<tr head="1"><td>a</td><td colspan="2">合并</td></tr>'
        "<tr><td>只有一格</td></tr>"
        '<tr><td colspan="0">0 算作 1</td><td colspan="0">x</td><td colspan="3">到末尾为止</td></tr>'
        "</table></document>"
    )
    assert table_grid(data) == [[("a", 1), ("合并", 2)], [("只有一格", 1), ("", 1), ("", 1)], [("0 算作 1", 1), ("x", 1), ("到末尾为止", 1)]]
    grid = [int(c.get(qn("w:w"))) for c in docx.Document(io.BytesIO(data)).element.body.iter(qn("w:gridCol"))]
    assert grid[0] * 3 == pytest.approx(grid[2], abs=3) and sum(grid) == pytest.approx(15.6 / 2.54 * 1440, abs=5)


def test_docx_text_with_markup_characters_is_text():
    data = build_docx("<document><p>&lt;w:t&gt;a &amp; b&lt;/w:t&gt; &quot;q&quot;</p><table><tr><td>&lt;/w:tc&gt;</td></tr></table></document>")
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == '<w:t>a & b</w:t> "q"'
    assert document.tables[0].rows[0].cells[0].text == "</w:tc>"


def test_docx_line_breaks_and_styles_inside_a_cell():
    data = build_docx('<document><table><tr><td><p align="center">一\u2028二</p><p><b>粗</b><color value="c00000">红</color></p></td></tr></table></document>')
    cell = docx.Document(io.BytesIO(data)).tables[0].rows[0].cells[0]
    first, second = cell.paragraphs
    assert first.text == "一\n二" and first.alignment == 1  # centre
    runs = second.runs
    assert [(r.text, r.bold) for r in runs] == [("粗", True), ("红", True)] and str(runs[1].font.color.rgb) == "C00000"


@pytest.mark.parametrize(
    "markup, message",
    [
        ('<document><table><tr><td colspan="two">x</td></tr></table></document>', 'colspan="two"'),
        ('<document><table widths="1,abc"><tr><td>x</td><td>y</td></tr></table></document>', "abc"),
        ("<document><table><tr><p>x</p></tr></table></document>", "<tr> 中只能有 <td>"),
    ],
)
def test_docx_bad_tables_are_markup_errors(markup, message):
    with pytest.raises(DocxMarkupError, match=message):
        build_docx(markup)


def test_docx_widths_that_sum_to_nothing_fall_back_to_equal_columns():
    data = build_docx('<document><table widths="0,0"><tr><td>x</td><td>y</td></tr></table><table><tr></tr></table></document>')
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) == 1  # a table without a cell is left out
    grid = [int(c.get(qn("w:w"))) for c in document.element.body.iter(qn("w:gridCol"))]
    assert len(grid) == 2 and grid[0] == grid[1] > 0


def test_docx_same_markup_same_bytes_and_a_long_table_keeps_every_row():
    rows = "".join(f"<tr><td>{i}</td><td>单位{i}</td></tr>" for i in range(2000))
    markup = f'<document title="长表" footer="页脚"><table widths="1,3"><tr head="1"><td>序号</td><td>单位</td></tr>{rows}</table></document>'
    one, two = build_docx(markup), build_docx(markup)
    assert one == two
    table = docx.Document(io.BytesIO(one)).tables[0]
    assert len(table.rows) == 2001 and table.rows[-1].cells[1].text == "单位1999"
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(one)).infolist()} == {(2000, 1, 1, 0, 0, 0)}
