"""`fazhi import-plan FILE`: task tables from Word, Excel and CSV into data/tasks.yaml.

The input files are built here with python-docx, openpyxl and csv: the shipped annex (rebuilt from
the plan's source text, with its multi-line cells and vertically merged 牵头单位 cells) as .docx and
.xlsx must give back the 45 tasks of data/tasks.yaml; a county's prose layout (numbered items, each
followed by “责任单位：……”) and a county's table layout (section rows, a 完成时限 column, a merged
序号) as .docx and .xlsx give the same tasks either way; and every bad input gets a Chinese message
with its place and code, the right exit code, and leaves every file as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from ruamel.yaml import YAML

from conftest import REPO, copy_workspace, run_cli

from fazhi_cli.engine.plan_import import looks_like_group
from fazhi_cli.engine.plan_text import NameSet, find_dates, numbering, split_names, split_responsibility
from fazhi_cli.models.plan import Level, TasksFile, UnitsFile
from fazhi_cli.store.loader import load_model
from fazhi_cli.store.planwrite import tasks_text

SOURCE_NAME = "shared/source/tongliao-2020-fazhi-plan.txt"
HEADER = ["序  号", "重点工作任务", "牵头单位", "责任单位"]


# --- the shipped annex, from the plan's source text -------------------------------------------
def _source_path() -> Path:
    env = os.environ.get("FAZHI_SOURCE")
    return Path(env) if env else REPO.parent / SOURCE_NAME


@pytest.fixture(scope="module")
def annex() -> list[tuple[int, str, list[str], list[str]]]:
    """The annex's rows as printed: number, task text, and the lines of the lead and responsible
    cells (a line ending in “、” goes on in the next line of the same cell)."""
    path = _source_path()
    if not path.is_file():
        pytest.fail(f"source text of the plan not found at {path}; put it there or set FAZHI_SOURCE")
    lines = path.read_text(encoding="utf-8").split("\n")
    start = max(i for i, line in enumerate(lines) if line.strip() == "责任单位")
    rows: list[list] = []
    for raw in lines[start + 1:]:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("政策解读"):
            break
        if line == str(len(rows) + 1):
            rows.append([len(rows) + 1, None, []])
        elif rows[-1][1] is None:
            rows[-1][1] = line
        elif rows[-1][2] and rows[-1][2][-1][-1].endswith("、"):
            rows[-1][2][-1].append(line)
        else:
            rows[-1][2].append([line])
    assert len(rows) == 45 and all(len(r[2]) == 2 for r in rows)
    return [(n, text, cells[0], cells[1]) for n, text, cells in rows]


def _runs(values: list[str]) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal values longer than one."""
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if i - start > 1:
                out.append((start, i - 1))
            start = i
    return out


def annex_docx(path: Path, rows) -> Path:
    """The annex as Word has it: a title row merged across the table above the header, cells of
    several paragraphs (one cell with line breaks instead), the 牵头单位 of consecutive rows that
    share it merged vertically."""
    document = docx.Document()
    document.add_paragraph("附件")
    table = document.add_table(rows=len(rows) + 2, cols=4)
    table.cell(0, 0).merge(table.cell(0, 3)).text = "通辽市2020年度法治政府建设重点工作任务分解表"
    for cell, text in zip(table.rows[1].cells, HEADER):
        cell.text = text
    leads = ["、".join(r[2]) for r in rows]
    merged = _runs(leads)
    covered = {i for a, b in merged for i in range(a + 1, b + 1)}
    for index, (number, text, lead, responsible) in enumerate(rows):
        cells = table.rows[index + 2].cells
        cells[0].text, cells[1].text = str(number), text
        if index not in covered:
            cells[2].text = lead[0]
            for line in lead[1:]:
                cells[2].add_paragraph(line)
        if number == 13:  # lines by line breaks in one paragraph
            run = cells[3].paragraphs[0].add_run(responsible[0])
            for line in responsible[1:]:
                run.add_break()
                run.add_text(line)
        else:
            cells[3].text = responsible[0]
            for line in responsible[1:]:
                cells[3].add_paragraph(line)
    for first, last in merged:
        table.cell(first + 2, 2).merge(table.cell(last + 2, 2))
    document.save(path)
    return path


def annex_xlsx(path: Path, rows) -> Path:
    """The annex as a workbook: title merged over A1:D1, header in row 2, multi-line cells
    (Alt+Enter), shared 牵头单位 merged down, 序号 as numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "分解表"
    sheet.append(["通辽市2020年度法治政府建设重点工作任务分解表"])
    sheet.merge_cells("A1:D1")
    sheet.append(["序号", "重点工作任务", "牵头单位", "责任单位"])
    leads = ["、".join(r[2]) for r in rows]
    merged = _runs(leads)
    covered = {i for a, b in merged for i in range(a + 1, b + 1)}
    for index, (number, text, lead, responsible) in enumerate(rows):
        sheet.append([number, text, None if index in covered else "\n".join(lead), "\n".join(responsible)])
    for first, last in merged:
        sheet.merge_cells(start_row=first + 3, start_column=3, end_row=last + 3, end_column=3)
    book.save(path)
    return path


def shipped_tasks():
    return load_model(REPO / "data" / "tasks.yaml", "data/tasks.yaml", TasksFile).model.tasks


def tasks_in(path: Path):
    loaded = load_model(path, str(path), TasksFile)
    assert loaded.model is not None, loaded.problems
    return loaded.model.tasks


def semantic(tasks):
    return [(t.id, t.text, t.lead, t.responsible, [(d.due, d.level, d.source) for d in t.deadlines]) for t in tasks]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_shipped_annex_as_docx_gives_the_45_tasks_back(tmp_path, annex):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "data" / "tasks.yaml").unlink()
    source = annex_docx(tmp_path / "任务分解表.docx", annex)
    result = run_cli("import-plan", source, "--root", ws)
    assert result.exit_code == 0, result.stderr
    assert "导入 45 项任务，写入 data/tasks.yaml" in result.stdout
    imported = tasks_in(ws / "data" / "tasks.yaml")
    assert semantic(imported) == semantic(shipped_tasks())
    assert [t.id for t in imported if t.deadlines] == [7, 14]
    assert all(len(t.title) <= 16 for t in imported)
    assert run_cli("check", "--root", ws).exit_code == 0


def test_the_shipped_annex_as_xlsx_replaces_tasks_yaml_only_with_force_and_keeps_what_was_written_by_hand(tmp_path, annex):
    ws = copy_workspace(tmp_path / "ws")
    source = annex_xlsx(tmp_path / "任务分解表.xlsx", annex)
    before = snapshot(ws)
    refused = run_cli("import-plan", source, "--root", ws)
    assert refused.exit_code == 1
    assert "data/tasks.yaml: 错误 I301 文件已存在，没有覆盖它" in refused.stderr and "--force" in refused.stderr
    assert snapshot(ws) == before
    result = run_cli("import-plan", source, "--root", ws, "--force")
    assert result.exit_code == 0, result.stderr
    assert "替换了原文件" in result.stdout and "保留原有简称和类别等的任务：45 项" in result.stdout
    assert tasks_in(ws / "data" / "tasks.yaml") == shipped_tasks()  # titles, sections, kinds, targets, notes kept
    assert run_cli("check", "--root", ws).exit_code == 0


def test_tasks_yaml_is_written_in_the_shipped_files_style():
    text = (REPO / "data" / "tasks.yaml").read_text(encoding="utf-8")
    header = [line[2:] if line.startswith("# ") else "" for line in text.split("\n\n")[0].split("\n")]
    without_comments = re.sub(r"  # .*$", "", text, flags=re.M)  # inline comments are not data
    assert tasks_text(shipped_tasks(), header) == without_comments


# --- a county's workspace, prose and table layouts ---------------------------------------------
COUNTY_UNITS = """\
office:
  unit: sifaju
  editors: []

units:
  - id: zhengfuban
    name: 某县人民政府办公室
    short: 县政府办公室
    aliases: [县政府办]
    level: city
    editors: []
  - id: sifaju
    name: 某县司法局
    short: 县司法局
    aliases: []
    level: city
    editors: []
  - id: shichangju
    name: 某县市场监督管理局
    short: 县市场监督管理局
    aliases: [县市场监管局]
    level: city
    editors: []
  - id: gonganju
    name: 某县公安局
    short: 县公安局
    aliases: []
    level: city
    editors: []
  - id: dongzhen
    name: 东镇人民政府
    short: 东镇
    aliases: []
    level: county
    editors: []

groups:
  - id: xiangzhen
    name: 乡镇人民政府
    aliases: [各乡镇人民政府, 各乡镇]
    members: [dongzhen]
    open: false
  - id: xiangguan
    name: 各相关部门
    aliases: []
    members: []
    open: true
"""


@pytest.fixture
def county(tmp_path) -> Path:
    ws = tmp_path / "county"
    (ws / "data").mkdir(parents=True)
    for name in ("phases.yaml", "settings.yaml"):
        shutil.copy(REPO / "data" / name, ws / "data" / name)
    (ws / "data" / "units.yaml").write_text(COUNTY_UNITS, encoding="utf-8")
    return ws


PROSE = [
    "某县2020年法治政府建设工作要点",
    "为深入推进依法行政，现提出如下工作要点。",
    "一、加强党对法治政府建设的领导",
    "1. 县政府常务会议每年专题研究法治政府建设工作不少于2次，3月底前制定年度工作计划。",
    "责任单位：县政府办公室、县司法局、各有关部门，乡镇人民政府按职责分工分别负责。",
    "二、严格规范公正文明执法",
    "（一）全面推行行政执法三项制度",
    "2. 全面推行行政执法公示制度，",
    "6月30日前完成执法信息公示平台建设。",
    "责任单位：县司法局牵头，县市场监管局、县公安局配合。",
    "3. 2020年底前实现政务服务事项“一网通办”。（责任单位：县政务服务中心、各乡镇人民政府）",
]
PROSE_TASKS = [
    (1, "县政府常务会议每年专题研究法治政府建设工作不少于2次，3月底前制定年度工作计划。", ["县政府办公室"], ["县司法局", "各有关部门", "乡镇人民政府"],
     [(dt.date(2020, 3, 31), None, "3月底前制定年度工作计划")]),
    (2, "全面推行行政执法公示制度，6月30日前完成执法信息公示平台建设。", ["县司法局"], ["县市场监管局", "县公安局"],
     [(dt.date(2020, 6, 30), None, "6月30日前完成执法信息公示平台建设")]),
    (3, "2020年底前实现政务服务事项“一网通办”。", ["县政务服务中心"], ["各乡镇人民政府"],
     [(dt.date(2020, 12, 31), None, "2020年底前实现政务服务事项“一网通办”")]),
]


def prose_docx(path: Path, lines=PROSE) -> Path:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(path)
    return path


def prose_xlsx(path: Path, lines=PROSE) -> Path:
    book = openpyxl.Workbook()
    for line in lines:
        book.active.append([line])
    book.save(path)
    return path


def test_prose_layout_lists_unknown_names_proposes_entries_and_imports_with_add_units(tmp_path, county):
    source = prose_docx(tmp_path / "工作要点.docx")
    result = run_cli("import-plan", source, "--root", county)
    assert result.exit_code == 1
    assert not (county / "data" / "tasks.yaml").exists()
    assert f"{source}:5: 错误 I201 第5段“责任单位：县政府办公室、县司法…”（任务 1）的责任单位“各有关部门”在 data/units.yaml 中找不到；是否是：各相关部门（分组 xiangguan）？" in result.stderr
    assert "第11段“3. 2020年底前实现政务服…”（任务 3）的牵头单位“县政务服务中心”在 data/units.yaml 中找不到" in result.stderr
    assert "建议条目已写入 data/units.proposed.yaml" in result.stderr and "--add-units" in result.stderr
    proposed = (county / "data" / "units.proposed.yaml").read_text(encoding="utf-8")
    assert "# “各有关部门”出现在：任务 1（第5段" in proposed
    entries = UnitsFile.model_validate({"office": {"unit": "x"}, **YAML(typ="safe").load(proposed)})
    assert [(u.id, u.name, u.level) for u in entries.units] == [("new-unit-1", "县政务服务中心", Level.CITY)]
    assert [(g.id, g.name, g.open) for g in entries.groups] == [("new-group-1", "各有关部门", True)]

    result = run_cli("import-plan", source, "--root", county, "--add-units")
    assert result.exit_code == 0, result.stderr
    assert "新加入 data/units.yaml 的单位：县政务服务中心（new-unit-1）" in result.stdout
    assert not (county / "data" / "units.proposed.yaml").exists()
    tasks = tasks_in(county / "data" / "tasks.yaml")
    assert semantic(tasks) == PROSE_TASKS
    assert [t.section for t in tasks] == ["一", "二(一)", "二(一)"]
    assert run_cli("check", "--root", county).exit_code == 0

    from_xlsx = tmp_path / "from-xlsx.yaml"
    assert run_cli("import-plan", prose_xlsx(tmp_path / "工作要点.xlsx"), "--root", county, "-o", from_xlsx).exit_code == 0
    assert tasks_in(from_xlsx) == tasks


COUNTY_TABLE = [
    ["某县2020年度法治政府建设重点任务分解表", "", "", "", ""],
    ["序号", "工作任务", "牵头单位", "责任单位", "完成时限"],
    ["一、加强组织领导", "", "", "", ""],
    ["1", "制定年度法治政府建设工作计划，\n报县委审定。", "县政府办", "县司法局", "3月底前"],
    ["2", "开展行政执法案卷评查。", "县司法局", "县市场监管局、\n县公安局", "2020-09-30"],
    ["", "对评查发现的问题建立整改台账。", "", "东镇", ""],  # under a merged 序号: more of task 2
    ["二、推进严格规范执法", "", "", "", ""],
    ["3", "落实行政执法三项制度。", "县司法局", "各相关部门、各乡镇", "长期坚持"],
]


def county_table_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("附件")
    table = document.add_table(rows=len(COUNTY_TABLE), cols=5)
    for r, row in enumerate(COUNTY_TABLE):
        for c, text in enumerate(row):
            if text:
                lines = text.split("\n")
                cell = table.cell(r, c)
                cell.text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
    for r in (0, 2, 6):
        table.cell(r, 0).merge(table.cell(r, 4))
    table.cell(3 + 1, 0).merge(table.cell(3 + 2, 0))  # 序号 2 over two rows
    table.cell(3 + 1, 4).merge(table.cell(3 + 2, 4))
    document.save(path)
    return path


def county_table_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in COUNTY_TABLE:
        values = [int(v) if v.isdigit() else (v or None) for v in row]
        sheet.append(values)
    sheet["E5"] = dt.datetime(2020, 9, 30)  # a date cell, as Excel stores it
    for r in (1, 3, 7):
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
    sheet.merge_cells("A5:A6")
    sheet.merge_cells("E5:E6")
    book.save(path)
    return path


@pytest.mark.parametrize("build", [county_table_docx, county_table_xlsx], ids=["docx", "xlsx"])
def test_county_table_layout_headings_deadline_column_and_a_merged_number(tmp_path, county, build):
    source = build(tmp_path / f"分解表.{build.__name__.rsplit('_', 1)[1]}")
    result = run_cli("import-plan", source, "--root", county)
    assert result.exit_code == 0, result.stderr
    tasks = tasks_in(county / "data" / "tasks.yaml")
    assert [(t.id, t.text, t.lead, t.responsible, t.section) for t in tasks] == [
        (1, "制定年度法治政府建设工作计划，报县委审定。", ["县政府办"], ["县司法局"], "一"),
        (2, "开展行政执法案卷评查。对评查发现的问题建立整改台账。", ["县司法局"], ["县市场监管局", "县公安局", "东镇"], "一"),
        (3, "落实行政执法三项制度。", ["县司法局"], ["各相关部门", "各乡镇"], "二"),
    ]
    assert [[(d.due, d.source) for d in t.deadlines] for t in tasks] == [
        [(dt.date(2020, 3, 31), "3月底前")], [(dt.date(2020, 9, 30), "2020-09-30")], [],
    ]
    assert [t.kind.value for t in tasks] == ["deliverable", "deliverable", "standing"]
    assert run_cli("check", "--root", county).exit_code == 0


# --- the pure parts ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tongliao_names() -> NameSet:
    from fazhi_cli.book.directory import build_directory
    from fazhi_cli.engine.plan_import import name_set

    units = load_model(REPO / "data" / "units.yaml", "data/units.yaml", UnitsFile).model
    return name_set(build_directory(units))


@pytest.mark.parametrize(
    "cell, names",
    [
        ("发改委、市人社局等有职业资格、资质许可和认定事项的各相关部门、\n旗县市区", ["发改委", "市人社局", "有职业资格、资质许可和认定事项的各相关部门", "旗县市区"]),
        ("市直、中区直单位、\n旗县市区", ["市直、中区直单位", "旗县市区"]),
        ("市委办、政府办、\n市直单位、旗县市区", ["市委办", "政府办", "市直单位", "旗县市区"]),
        ("\u00a0\n司法局", ["司法局"]),
        ("市场监督管理局、\n应急管理局、\n生态环境局", ["市场监督管理局", "应急管理局", "生态环境局"]),
        ("政府办公室", ["政府办公室"]),  # “政府办” is known, but this is another (unknown) name: never cut short
        ("司法局和公安局", ["司法局", "公安局"]),
        ("县发改委、县财政局等有关部门", ["县发改委", "县财政局", "有关部门"]),
        ("无", []),
    ],
)
def test_unit_cells_split_at_known_names_first(tongliao_names, cell, names):
    assert [n.name for n in split_names(cell, tongliao_names)] == names


def test_responsibility_lines_say_who_leads():
    nobody = NameSet()
    plain = split_responsibility("县政府办公室、县司法局、各有关部门，乡镇人民政府按职责分工分别负责", nobody)
    assert [n.name for n in plain.others] == ["县政府办公室", "县司法局", "各有关部门", "乡镇人民政府"] and not plain.lead
    said = split_responsibility("县司法局牵头，县市场监管局、县公安局配合", nobody)
    assert [n.name for n in said.lead] == ["县司法局"] and [n.name for n in said.others] == ["县市场监管局", "县公安局"]
    labelled = split_responsibility("（牵头单位：县司法局；责任单位：县法院、县检察院）", nobody)
    assert [n.name for n in labelled.lead] == ["县司法局"] and [n.name for n in labelled.others] == ["县法院", "县检察院"]
    assert looks_like_group("各有关部门") and looks_like_group("乡镇人民政府") and not looks_like_group("县政务服务中心")


def test_deadlines_in_the_text_with_the_clause_they_stand_in():
    seven = find_dates("市本级行政权力事项清单和公共服务事项清单在3月底向社会公布,旗县级在4月底之前完成。", 2020)
    assert [(d.due, d.level, d.clause) for d in seven] == [
        (dt.date(2020, 3, 31), Level.CITY, "市本级行政权力事项清单和公共服务事项清单在3月底向社会公布"),
        (dt.date(2020, 4, 30), Level.COUNTY, "旗县级在4月底之前完成"),
    ]
    assert [(d.phrase, d.due) for d in find_dates("a,2020年底前,b", 2020)] == [("2020年底前", dt.date(2020, 12, 31))]
    assert [(d.phrase, d.due) for d in find_dates("6月30日前完成", 2020)] == [("6月30日前", dt.date(2020, 6, 30))]
    assert find_dates("将于202041日正式实施", 2020) == []  # task 17: a date the text gives, not a deadline
    assert find_dates("3月底起施行，4月1日召开", 2020) == []
    assert find_dates("2月30日前完成", 2020)[0].problem == "“2月30日前”不是有效的日期"
    assert find_dates("每年年底前报送", 2020)[0].due == dt.date(2020, 12, 31)
    assert [(n.level, n.value) for n in map(numbering, ["一、总则", "（二）任务", "3. 内容", "（4）小项"])] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert numbering("1.5倍以上") is None


# --- bad inputs ----------------------------------------------------------------------------------
def _table_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


GOOD_ROWS = [["序号", "重点工作任务", "牵头单位", "责任单位"], ["1", "制定工作计划。", "司法局", "市直单位、\n旗县市区"], ["2", "开展专项检查。", "司法局", "旗县市区"]]


def _write(kind: str, path: Path) -> Path:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "no-header":
        book = openpyxl.Workbook()
        for row in GOOD_ROWS[1:]:
            book.active.append(row)
        book.save(path)
    elif kind == "no-tasks":
        prose_docx(path, ["关于印发工作要点的通知", "各单位：现将有关事项通知如下。"])
    elif kind in ("not-a-zip", "doc-renamed"):
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 if kind == "doc-renamed" else "这不是表格".encode("utf-8"))
    elif kind == "xlsx-as-docx":
        book = openpyxl.Workbook()
        book.active.append(["序号"])
        book.save(path)
    elif kind == "duplicate":
        path.write_text(_table_csv(GOOD_ROWS + [["2", "开展第二次检查。", "司法局", "旗县市区"]]), encoding="utf-8")
    elif kind == "no-unit":
        path.write_text(_table_csv(GOOD_ROWS + [["3", "开展第三次检查。", "", ""]]), encoding="utf-8")
    elif kind == "group-leads":
        path.write_text(_table_csv(GOOD_ROWS + [["3", "开展第三次检查。", "旗县市区", "司法局"]]), encoding="utf-8")
    elif kind == "next-year":
        path.write_text(_table_csv(GOOD_ROWS + [["3", "2021年6月底前完成评估。", "司法局", "旗县市区"]]), encoding="utf-8")
    elif kind == "bad-number":
        path.write_text(_table_csv(GOOD_ROWS + [["3.1", "开展第三次检查。", "司法局", "旗县市区"]]), encoding="utf-8")
    elif kind == "no-number":
        path.write_text(_table_csv(GOOD_ROWS + [["", "补充说明的文字。", "", ""]]), encoding="utf-8")
    elif kind == "forgot-line":
        prose_docx(path, ["1. 制定工作计划。", "责任单位：司法局", "2. 开展专项检查。", "3. 开展案卷评查。", "责任单位：司法局、旗县市区"])
    elif kind == "not-gbk":
        path.write_bytes("序号,任务\n".encode("gb18030") + b"\x81\x20" * 10)
    elif kind == "unknown-type":
        path.write_text("1. 任务\n责任单位：司法局\n", encoding="utf-8")
    return path


BAD = [
    # kind, file name, exit code, code, expected words, line
    ("empty", "空.csv", 1, "I101", "文件是空的", None),
    ("empty", "空.docx", 1, "I101", "文件是空的", None),
    ("no-header", "无表头.xlsx", 1, "I103", "工作表“Sheet”中找不到表头", None),
    ("no-tasks", "通知.docx", 1, "I102", "没有找到任务", None),
    ("not-a-zip", "坏.xlsx", 2, "I003", "不是有效的Excel 工作簿（.xlsx）", None),
    ("doc-renamed", "旧格式.docx", 2, "I003", "旧版 Office 格式", None),
    ("xlsx-as-docx", "表格.docx", 2, "I003", "无法打开 Word 文档", None),
    ("duplicate", "重复.csv", 1, "I104", "第4行的序号 2 重复（第3行已有序号 2）", 4),
    ("no-unit", "无单位.csv", 1, "I107", "第4行（任务 3）没有填写牵头单位和责任单位", 4),
    ("group-leads", "分组牵头.csv", 1, "I108", "第4行（任务 3）的牵头单位“旗县市区”是分组", 4),
    ("next-year", "明年.csv", 1, "I109", "的时限“2021年6月底前”不在方案年度 2020 年内", 4),
    ("bad-number", "序号.csv", 1, "I105", "第4行的序号“3.1”不是数字", 4),
    ("no-number", "无序号.csv", 1, "I105", "第4行没有序号", 4),  # text alone in a row is no heading
    ("forgot-line", "漏行.docx", 1, "I107", "第3段“2. 开展专项检查。”后面没有“责任单位：……”一行", 3),
    ("not-gbk", "乱码.csv", 2, "I004", "既不是 UTF-8 编码也不是 GBK 编码", 1),
    ("unknown-type", "要点.txt", 2, "I002", "不支持 .txt 文件", None),
    ("missing", "不存在.docx", 2, "I001", "文件不存在", None),
]


@pytest.mark.parametrize("kind, name, code, problem, words, line", BAD, ids=[f"{b[0]}-{b[1]}" for b in BAD])
def test_bad_inputs_are_named_in_chinese_with_their_place_and_change_nothing(tmp_path, kind, name, code, problem, words, line):
    ws = copy_workspace(tmp_path / "ws")
    source = _write(kind, tmp_path / name) if kind != "missing" else tmp_path / name
    before = snapshot(ws)
    result = run_cli("import-plan", source, "--root", ws, "--force")
    assert result.exit_code == code, result.stderr
    located = f"{source}:{line}: 错误 {problem} " if line else f"{source}: 错误 {problem} "
    assert located in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(ws) == before


def test_a_gbk_csv_from_excel_is_read_and_said_so(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    source = tmp_path / "分解表.csv"
    source.write_bytes(_table_csv(GOOD_ROWS).encode("gb18030"))
    result = run_cli("import-plan", source, "--root", ws, "--force")
    assert result.exit_code == 0, result.stderr
    assert "是 GBK 编码" in result.stderr and "已按 GBK 读取" in result.stderr
    assert [(t.id, t.text, t.lead, t.responsible) for t in tasks_in(ws / "data" / "tasks.yaml")] == [
        (1, "制定工作计划。", ["司法局"], ["市直单位", "旗县市区"]), (2, "开展专项检查。", ["司法局"], ["旗县市区"]),
    ]


def test_outputs_never_land_on_records_or_over_a_file_silently(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    source = tmp_path / "分解表.csv"
    source.write_text(_table_csv(GOOD_ROWS), encoding="utf-8")
    before = snapshot(ws)
    into_ledgers = run_cli("import-plan", source, "--root", ws, "-o", ws / "ledgers" / "x.yaml", "--force")
    assert into_ledgers.exit_code == 1 and "错误 I302 不能把任务清单写到 ledgers/x.yaml" in into_ledgers.stderr
    not_yaml = run_cli("import-plan", source, "--root", ws, "-o", tmp_path / "x.txt")
    assert not_yaml.exit_code == 1 and "错误 I302 输出文件应以 .yaml 结尾" in not_yaml.stderr
    (tmp_path / "old.yaml").write_text("旧内容\n", encoding="utf-8")
    over = run_cli("import-plan", source, "--root", ws, "-o", tmp_path / "old.yaml")
    assert over.exit_code == 1 and "I301" in over.stderr
    assert (tmp_path / "old.yaml").read_text(encoding="utf-8") == "旧内容\n"
    assert snapshot(ws) == before
    no_workspace = run_cli("import-plan", source, "--root", tmp_path)
    assert no_workspace.exit_code == 2 and "缺少 data/units.yaml" in no_workspace.stderr


def test_an_import_that_would_break_a_ledger_is_refused(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    (ws / "ledgers" / "kerqin.yaml").write_text(
        "unit: kerqin\ntasks:\n  7:\n    progress:\n      - date: 2020-03-20\n        note: 已公布清单\n", encoding="utf-8"
    )
    assert run_cli("check", "--root", ws).exit_code == 0
    source = tmp_path / "分解表.csv"
    source.write_text(_table_csv(GOOD_ROWS), encoding="utf-8")  # tasks 1 and 2 only: task 7 would be gone
    before = snapshot(ws)
    result = run_cli("import-plan", source, "--root", ws, "--force")
    assert result.exit_code == 1
    assert "ledgers/kerqin.yaml:3:3: 错误 I303 导入后 `fazhi check` 会报错，没有写入任何文件：E303" in result.stderr, result.stderr
    assert snapshot(ws) == before


def test_prose_sub_items_under_one_line_of_units_are_one_task():
    from fazhi_cli.engine.plan_import import Document, Paragraph, read_tasks

    lines = ["一、学法用法", "1. 落实领导干部学法制度：", "（1）中心组学法不少于4次；", "（2）举办2期法治专题讲座。", "责任单位：县委宣传部、县司法局",
             "2. 开展法律知识考试。", "（1）全员考试；", "责任单位：县司法局", "（2）任职前考试。", "责任单位：县委组织部"]
    doc = Document("要点.docx", "docx", [], [Paragraph(i, line) for i, line in enumerate(lines, 1)])
    reading = read_tasks(doc, NameSet(), 2020)
    assert not reading.problems
    assert [(d.number, d.text, d.lead, d.responsible, d.section) for d in reading.drafts] == [
        (1, "落实领导干部学法制度：（1）中心组学法不少于4次；（2）举办2期法治专题讲座。", ["县委宣传部"], ["县司法局"], "一"),
        (2, "全员考试；", ["县司法局"], [], "一2."),
        (3, "任职前考试。", ["县委组织部"], [], "一2."),
    ]
    assert reading.notices == ["原文各部分分别从 1 编号，已按出现顺序重新编号为 1–3"]


def test_a_short_task_row_is_never_taken_for_a_header():
    from fazhi_cli.engine.plan_import import Cell, Document, Row, Table, read_tasks

    rows = [["序号", "工作任务", "牵头单位", "责任单位"], ["1", "开展普法工作", "司法局牵头", "各单位配合"], ["2", "做好统计", "统计局", "各单位"],
            ["序号", "工作任务", "牵头单位", "责任单位"], ["3", "开展考核", "组织部", "各单位"]]
    table = Table("表格1", tuple(Row(i, tuple(Cell(c) for c in r)) for i, r in enumerate(rows, 1)))
    reading = read_tasks(Document("表.docx", "docx", [table]), NameSet(), 2020)
    assert [(d.number, d.text, d.lead) for d in reading.drafts] == [(1, "开展普法工作", ["司法局"]), (2, "做好统计", ["统计局"]), (3, "开展考核", ["组织部"])]


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
def test_every_value_written_reads_back_as_itself(flow):
    from fazhi_cli.store.planwrite import yaml_scalar
    from fazhi_cli.store.yamlread import parse_yaml

    values = ["市场监管局", "“证照分离”“多证合一”", "a: b", "x #y", "- 列表", "? 问", "文?", "%", "@x", "`x`", "true", "No", "null", "~",
              "0x1f", "1e3", "2020-02-30", "12:30", "---", "A, B", "[1]", "{a}", "末尾:", "制表\t符", "换\n行", "\u00a0前后\u3000", "\u2028", "\\", '"引"', "'单'"]
    for value in values:
        text = f"k: [{yaml_scalar(value, flow=True)}, x]\n" if flow else f"k: {yaml_scalar(value)}\n"
        parsed, problems = parse_yaml(text, "t.yaml")
        assert not problems, (value, text, problems)
        assert (parsed.data["k"][0] if flow else parsed.data["k"]) == value, text
