"""Formats and safety of reports and exports: user text is text in every format, Word files are
real Word (A4, tables, Chinese fonts), spreadsheets never hold formulas, templates can be
overridden, `--rev` regenerates from a commit, and refusals are clean."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from git_helpers import git, identify
from test_reports import AS_OF, render
from test_reports_workspace import HOSTILE, make_workspace

from fazhi_cli.render.docx_writer import DocxMarkupError, build_docx
from fazhi_cli.render.documents import md_escape


@pytest.fixture
def small(tmp_path) -> Path:
    return make_workspace(tmp_path / "ws")


# --- user text stays text --------------------------------------------------------------------


def test_html_escapes_script_and_keeps_braces_literal(small, cli):
    _, data = render(cli, small, "html", "0805", "--unit", "kerqin")
    raw = data.decode("utf-8")
    assert "<script>" not in raw and "alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "{{ 7*7 }}" in raw and "49" not in raw
    assert "{% raw %}" in raw
    assert "\x01" not in raw
    # self-contained: no links to the network, styles inline, A4 print rules
    for outside in ("<link", "src=", "@import", "url(", "<script"):
        assert outside not in raw
    assert "@page" in raw and "size: A4" in raw and "table-header-group" in raw


def test_docx_writes_script_as_text_and_drops_control_characters(small, cli):
    text, data = render(cli, small, "docx", "0805", "--unit", "kerqin")
    assert "<script>alert(1)</script> | 表格 {{ 7*7 }} {% raw %} # 标题" in text
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml
    assert "<script>" not in xml and "\x01" not in xml
    assert "fldSimple" not in xml  # no field codes in the body (page numbers live in the footer)


def test_markdown_escapes_table_breaking_and_html_characters(small, cli):
    _, data = render(cli, small, "md", "0805", "--unit", "kerqin")
    raw = data.decode("utf-8")
    assert r"\<script\>alert(1)\</script\> \| 表格 {{ 7\*7 }} {% raw %} # 标题" in raw
    assert "<script>" not in raw
    for line in raw.splitlines():
        if line.startswith("| 3 |"):
            assert line.replace("\\|", "").count("|") == 7  # the note's | did not add a column


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("# 标题", r"\# 标题"),
        ("- 列表", r"\- 列表"),
        ("1. 第一", r"1\. 第一"),
        ("31.6%", "31.6%"),
        ("a|b", r"a\|b"),
        ("<b>x</b>", r"\<b\>x\</b\>"),
        ("[链接](http://x)", r"\[链接\](http://x)"),
        ("第一行\n# 第二行", r"第一行<br>\# 第二行"),
        ("{{ x }}", "{{ x }}"),
        ("a\x01b\x7fc", "abc"),
    ],
)
def test_md_escape(text, escaped):
    assert md_escape(text) == escaped


def test_docx_markup_rejects_unknown_elements_and_strips_control_characters():
    with pytest.raises(DocxMarkupError):
        build_docx("<document><script>x</script></document>")
    with pytest.raises(DocxMarkupError):
        build_docx("<document><p>unclosed</document>")
    data = build_docx("<document><p>a\x01b\x0bc\ufffe</p></document>")
    assert docx.Document(io.BytesIO(data)).paragraphs[0].text == "abc"


# --- Word files are real Word files ---------------------------------------------------------


def test_docx_is_a4_with_real_tables_chinese_fonts_and_repeated_headers(small, cli):
    _, data = render(cli, small, "docx", "monthly")
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert len(document.tables) >= 4
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    fonts = {r.get(qn("w:eastAsia")) for r in document.element.body.iter(qn("w:rFonts"))}
    assert "黑体" in fonts  # headings; body text inherits 仿宋_GB2312 from the Normal style
    header_rows = [tr for tr in document.element.body.iter(qn("w:tr")) if tr.find(qn("w:trPr")) is not None and tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None]
    assert len(header_rows) >= 4
    footer = "".join(p.text for p in section.footer.paragraphs)
    assert "截至2020年8月6日" in footer and "第" in footer
    assert document.core_properties.title == "月通报"
    theme = document.settings.element.find(qn("w:themeFontLang"))
    assert theme.get(qn("w:eastAsia")) == "zh-CN"  # not python-docx's ja-JP: Chinese glyph forms


def test_documents_name_evidence_files_not_their_paths(ws, cli):
    folder = ws / "evidence" / "kerqin" / "2020"
    folder.mkdir(parents=True)
    (folder / "述职报告.docx").write_bytes(b"PK fake")
    assert cli("close", "20", "--root", ws, "--unit", "kerqin", "--date", "2020-07-10", "--evidence", "evidence/kerqin/2020/述职报告.docx").exit_code == 0
    assert cli("confirm", "20", "--root", ws, "--unit", "kerqin", "--date", "2020-07-11").exit_code == 0
    report = cli("report", "0805", "--root", ws, "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", "-").stdout
    assert "述职报告.docx" in report and "evidence/kerqin/" not in report
    export = cli("export", "--root", ws, "--unit", "kerqin", "--as-of", AS_OF, "-f", "csv").stdout
    assert "evidence/kerqin/2020/述职报告.docx" in export  # the ledger table keeps where the file is


def test_the_same_data_gives_the_same_bytes(small, cli, tmp_path):
    for fmt in ("md", "html", "docx"):
        _, one = render(cli, small, fmt, "0805", "--unit", "kerqin", out=tmp_path / f"a.{fmt}")
        _, two = render(cli, small, fmt, "0805", "--unit", "kerqin", out=tmp_path / f"b.{fmt}")
        assert one == two, fmt


@pytest.mark.skipif(
    shutil.which("libreoffice") is None and not os.environ.get("CI"),
    reason="LibreOffice not installed (.ci/run installs it; in CI this test never skips)",
)
def test_docx_converts_to_pdf_with_libreoffice(small, cli, tmp_path):
    render(cli, small, "docx", "0805", "--unit", "kerqin", out=tmp_path / "r.docx")
    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "r.docx")],
        capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


# --- default names, JSON context, refusals --------------------------------------------------


def test_default_output_names_under_reports(small, cli):
    result = cli("report", "0805", "--root", small, "--unit", "科区", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert (small / "reports" / "0805-kerqin.docx").is_file()
    assert "0805-kerqin.docx" in result.stdout
    assert cli("report", "8/5", "--root", small, "--lead", "公安局", "--as-of", AS_OF, "-f", "md").exit_code == 0
    assert (small / "reports" / "0805-lead-gonganju.md").is_file()
    assert cli("report", "月通报", "--root", small, "--as-of", AS_OF, "-f", "html").exit_code == 0
    assert (small / "reports" / "monthly-2020-08-06.html").is_file()


def test_json_format_is_the_template_context(small, cli, tmp_path):
    out = tmp_path / "c.json"
    assert cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "json", "-o", out).exit_code == 0
    context = json.loads(out.read_text(encoding="utf-8"))
    assert context["meta"]["kind"] == "completion" and context["meta"]["as_of_cn"] == "2020年8月6日"
    assert context["totals"]["overdue"] == 2 and context["totals"]["rate_pct"] == "20%"
    assert [r["task_id"] for r in context["outstanding"]] == [3, 5]


@pytest.mark.parametrize(
    "args, message",
    [
        (("0305",), "没有报告模板"),
        (("0999",), "找不到报送材料"),
        (("monthly", "--unit", "科区"), "不按单位生成"),
        (("0805", "--unit", "奈曼旗"), "台账（ledgers/naiman.yaml）有错误"),
        (("0805", "--unit", "科区", "--lead", "司法局"), "只能选一个"),
        (("0805", "--lead", "科区"), "不是任何任务的牵头单位"),
        (("0805", "--unit", "市委依法治市办"), "没有承担任何任务"),
        (("0805", "--since", "2020-08-01"), "只用于周调度"),
        (("0805", "--unit", "科尔沁"), "找不到单位"),
    ],
)
def test_refusals(small, cli, args, message):
    result = cli("report", *args, "--root", small, "--as-of", AS_OF)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (small / "reports").exists()


# --- templates --------------------------------------------------------------------------------


def test_workspace_template_overrides_the_shipped_one(small, cli, tmp_path):
    (small / "templates").mkdir()
    (small / "templates" / "completion.md.j2").write_text(
        "# 自定义：{{ unit.label }} 完成率{{ totals.rate_pct }}\n{% for r in outstanding %}- {{ r.title }}：{{ r.reason }}\n{% endfor %}",
        encoding="utf-8",
    )
    out = tmp_path / "r.md"
    result = cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "使用工作区模板：templates/completion.md.j2" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 自定义：科区 完成率20%")
    assert r"进展：\<script\>alert(1)\</script\> \| 表格 {{ 7\*7 }}" in text  # still escaped
    # the HTML is still the shipped one
    assert cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "html", "-o", tmp_path / "r.html").exit_code == 0
    assert "逐项完成情况" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_override_may_extend_the_shipped_template(small, cli, tmp_path):
    (small / "templates").mkdir()
    (small / "templates" / "_style.css.j2").write_text('{% include "shipped/_style.css.j2" %}\nbody { color: #123456; }\n', encoding="utf-8")
    out = tmp_path / "r.html"
    assert cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "html", "-o", out).exit_code == 0
    raw = out.read_text(encoding="utf-8")
    assert "#123456" in raw and "@page" in raw


def test_broken_template_is_reported_with_file_and_line(small, cli, tmp_path):
    (small / "templates").mkdir()
    (small / "templates" / "completion.md.j2").write_text("第一行\n{{ totals.no_such_field }}\n", encoding="utf-8")
    result = cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", tmp_path / "r.md")
    assert result.exit_code == 2
    assert "completion.md.j2 第2行" in result.stderr and "no_such_field" in result.stderr
    (small / "templates" / "completion.md.j2").write_text("{% for %}\n", encoding="utf-8")
    result = cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", tmp_path / "r.md")
    assert result.exit_code == 2 and "completion.md.j2" in result.stderr and "Traceback" not in result.stderr


def test_sandbox_stops_templates_reaching_python(small, cli, tmp_path):
    (small / "templates").mkdir()
    (small / "templates" / "completion.md.j2").write_text("{{ meta.__class__.__mro__ }}", encoding="utf-8")
    result = cli("report", "0805", "--root", small, "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", tmp_path / "r.md")
    assert result.exit_code == 2 and "模板" in result.stderr


def test_every_report_has_a_shipped_template_in_every_format():
    from importlib.resources import files

    from fazhi_cli.engine.report_kinds import KINDS

    shipped = files("fazhi_cli") / "templates"
    for kind in KINDS:
        for family in ("md", "html", "docx"):
            assert (shipped / f"{kind}.{family}.j2").is_file(), (kind, family)


# --- --rev and the footer's revision ----------------------------------------------------------


def _commit(ws: Path, message: str) -> str:
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", message)
    return git(ws, "rev-parse", "--short", "HEAD").strip()


def test_rev_renders_the_workspace_as_it_was(small, cli, tmp_path):
    git(small, "init", "-q", "-b", "main")
    identify(small, "office@example.org", "依法治市办")
    first = _commit(small, "first")
    ledger = small / "ledgers" / "kerqin.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("{date: 2020-08-03, action: apply", "{date: 2020-08-03, action: close"), encoding="utf-8")
    _, now = render(cli, small, "md", "0805", "--unit", "kerqin", out=tmp_path / "dirty.md")
    assert "（含未提交修改）" in now.decode("utf-8")
    second = _commit(small, "second")
    _, head = render(cli, small, "md", "0805", "--unit", "kerqin", out=tmp_path / "head.md")
    _, old = render(cli, small, "md", "0805", "--unit", "kerqin", "--rev", first, out=tmp_path / "old.md")
    _, again = render(cli, small, "md", "0805", "--unit", "kerqin", "--rev", first, out=tmp_path / "again.md")
    assert old == again
    assert f"数据版本 {first}" in old.decode("utf-8") and f"数据版本 {second}" in head.decode("utf-8")
    assert "已销号1项，完成率（已销号）20%" in old.decode("utf-8")
    assert "已销号2项，完成率（已销号）40%" in head.decode("utf-8")
    bad = cli("report", "0805", "--root", small, "--unit", "kerqin", "--rev", "nope", "-o", tmp_path / "x.md")
    assert bad.exit_code == 2 and "找不到提交" in bad.stderr


def test_rev_outside_git_cannot_run(small, cli, tmp_path):
    result = cli("report", "0805", "--root", small, "--unit", "kerqin", "--rev", "HEAD", "-o", tmp_path / "x.md")
    assert result.exit_code == 2 and "不在 git 仓库中" in result.stderr


# --- export ------------------------------------------------------------------------------------


def test_export_xlsx_has_text_cells_only_and_the_unit_summary(small, cli, tmp_path):
    out = tmp_path / "台账.xlsx"
    result = cli("export", "--root", small, "--as-of", AS_OF, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "ledgers/naiman.yaml" in result.stderr
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["台账", "汇总", "台账无效"]
    sheet = workbook["台账"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["单位", "单位编号", "序号", "任务"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == 19 and "奈曼旗" not in {r[0] for r in rows}
    evidence = header.index("佐证材料")
    hostile = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "科区" and r[2].value == 3)
    assert hostile[evidence].value == '=HYPERLINK("http://x")' and hostile[evidence].data_type == "s"
    assert HOSTILE in hostile[header.index("工作进展")].value
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "\x01" not in xml
    summary = [[c.value for c in r] for r in workbook["汇总"].iter_rows(min_row=2)]
    assert [r[1] for r in summary] == ["开鲁县", "公安局", "科区", "司法局", "库伦旗"]
    assert workbook["台账无效"]["A2"].value == "奈曼旗"


def test_export_csv_and_json(small, cli, tmp_path):
    result = cli("export", "--root", small, "--as-of", AS_OF, "--format", "csv", "--unit", "科区")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5 and rows[2]["佐证材料"] == "'=HYPERLINK(\"http://x\")"
    assert rows[1]["状态"] == "已销号" and rows[2]["逾期天数"] == "6"
    out = tmp_path / "k.csv"
    assert cli("export", "--root", small, "--as-of", AS_OF, "--format", "csv", "-o", out).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 Chinese correctly
    result = cli("export", "--root", small, "--as-of", AS_OF, "--format", "json", "--lead", "公安局")
    records = json.loads(result.stdout)
    assert {r["task"] for r in records} == {3, 5}
    gonganju = next(r for r in records if r["unit"] == "gonganju" and r["task"] == 3)
    assert gonganju["due"] == "2020-09-30" and gonganju["progress"][0]["note"] == "执法记录仪采购中"


def test_export_default_xlsx_path(small, cli):
    result = cli("export", "--root", small, "--as-of", AS_OF)
    assert result.exit_code == 0
    assert (small / "reports" / "ledger-2020-08-06.xlsx").is_file()


# --- 主送, 落款 and the issue line ----------------------------------------------------------------


def _md(cli, root, *args) -> str:
    result = cli("report", *args, "--root", root, "--as-of", AS_OF, "-f", "md", "-o", "-")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_each_sender_signs_and_addresses_its_report(ws, cli):
    settings = ws / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "document_prefix: 通依法办\n", encoding="utf-8")
    assert cli("init", "--root", ws).exit_code == 0
    unit = _md(cli, ws, "0805", "--unit", "kerqin")
    assert "市委全面依法治市委员会办公室(市司法局)：" in unit and "科尔沁区<br>2020年8月6日" in unit and "通依法办" not in unit
    own = _md(cli, ws, "0805", "--unit", "yifaban")  # the office's own report is not sent to itself
    assert "\n市委全面依法治市委员会：" in own and "(市司法局)：" not in own
    city = _md(cli, ws, "0805")
    assert city.index("通依法办〔2020〕") < city.index("# 全市") < city.index("市委全面依法治市委员会：")
    assert "中共通辽市委全面依法治市委员会办公室<br>2020年8月6日" in city
    lead = _md(cli, ws, "0805", "--lead", "司法局")
    assert "司法局" in lead.split("<br>2020年8月6日")[0].splitlines()[-1]
    monthly = _md(cli, ws, "monthly")
    assert monthly.index("2020年第8期") < monthly.index("# 关于2020年度") and "各地、各单位：" not in monthly.split("#")[0]
    weekly = _md(cli, ws, "weekly")
    assert f"2020年第{__import__('datetime').date(2020, 8, 6).isocalendar()[1]}期" in weekly
