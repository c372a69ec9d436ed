"""Every view as of a day D shows the workspace as it stood at the end of D: no progress, record,
销号 action, extension or evidence dated after D, and no date of theirs — while what was recorded
before D is there. One test per view: `status` (table and JSON), every report kind in md, html
and docx, `export` csv, json and xlsx.

The workspace is written here: three tasks' ledgers with events on both sides of D = 2020-04-30;
everything after D carries a distinctive string or date listed in LATER.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import REPO
from test_reports import docx_text, html_text, md_text

D = "2020-04-30"

UNITS = """\
office:
  unit: yifaban
units:
  - id: yifaban
    name: 中共通辽市委全面依法治市委员会办公室
    short: 市委依法治市办
    level: city
  - id: sifaju
    name: 通辽市司法局
    short: 司法局
    level: city
  - id: kerqin
    name: 科尔沁区
    short: 科区
    level: county
groups:
  - id: qixianshiqu
    name: 旗县市区
    members: [kerqin]
"""

TASKS = """\
tasks:
  - id: 1
    title: 中心组学法
    text: 各级党委(党组)理论学习中心组每年集体学法不少于2次。
    section: 二(一)
    kind: count
    lead: [司法局]
    responsible: [旗县市区]
    targets:
      - {key: study, label: 中心组学法, measure: count, min: 2, unit: 次, per_year: true, source: 每年集体学法不少于2次}
  - id: 2
    title: 公布权力清单
    text: 市本级权力清单在3月底向社会公布,旗县级在4月底之前完成。
    section: 二(一)
    kind: deliverable
    lead: [司法局]
    responsible: [旗县市区]
    deadlines:
      - {due: 2020-03-31, level: city, source: 市本级在3月底向社会公布}
      - {due: 2020-04-30, level: county, source: 旗县级在4月底之前完成}
  - id: 3
    title: 行政执法三项制度
    text: 全面推行行政执法公示、执法全过程记录、重大执法决定法制审核制度。
    section: 二(三)
    kind: deliverable
    lead: [司法局]
    responsible: [旗县市区]
  - id: 4
    title: 负责人出庭应诉
    text: 行政机关负责人出庭应诉。
    section: 二(六)
    kind: standing
    lead: [司法局]
    responsible: [旗县市区]
"""

KERQIN = """\
unit: kerqin
tasks:
  1:
    plan: {leader: 张区长, owner: 李科长, measures: 每半年集体学法, due: 2020-11-30}
    records:
      - {target: study, date: 2020-03-10, note: 三月学法}
      - {target: study, date: 2020-07-22, note: 七月学法, evidence: [通政发〔2020〕77号]}
  2:
    plan: {leader: 张区长, owner: 李科长, measures: 梳理并公布清单, due: 2020-04-25}
    progress:
      - {date: 2020-04-10, note: 清单梳理完成, evidence: [科政发〔2020〕5号]}
    log:
      - {date: 2020-04-25, action: apply, by: 李科长, evidence: [科政发〔2020〕6号]}
      - {date: 2020-07-23, action: confirm, by: 王审核员}
  3:
    progress:
      - {date: 2020-04-15, note: 启动三项制度}
    extensions:
      - requested: 2020-07-10
        reason: 采购流程延误之后
        new_due: 2020-10-15
        decision: approved
        decided: 2020-07-12
  4:
    progress:
      - {date: 2020-08-02, note: 八月出庭应诉, evidence: [通政发〔2020〕88号]}
"""

SIFAJU = """\
unit: sifaju
tasks:
  2:
    progress:
      - {date: 2020-03-01, note: 司法局梳理清单}
    log:
      - {date: 2020-07-28, action: apply, by: 赵科长, evidence: [通司发〔2020〕99号]}
      - {date: 2020-07-29, action: reject, by: 依法治市办, note: 退回理由七月}
"""

# What only happened after D: notes, names, evidence, reasons, and their dates in both spellings.
LATER = [
    "七月学法", "通政发〔2020〕77号", "王审核员", "采购流程延误之后", "八月出庭应诉", "通政发〔2020〕88号",
    "赵科长", "通司发〔2020〕99号", "退回理由七月",
]
for day in ("07-10", "07-12", "07-22", "07-23", "07-28", "07-29", "08-02", "10-15"):
    month, date = (int(x) for x in day.split("-"))
    LATER += [f"2020-{day}", f"2020年{month}月{date}日"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("asof") / "ws"
    (root / "data").mkdir(parents=True)
    (root / "ledgers").mkdir()
    (root / "data" / "units.yaml").write_text(UNITS, encoding="utf-8")
    (root / "data" / "tasks.yaml").write_text(TASKS, encoding="utf-8")
    shutil.copy(REPO / "data" / "phases.yaml", root / "data" / "phases.yaml")
    shutil.copy(REPO / "data" / "settings.yaml", root / "data" / "settings.yaml")
    (root / "ledgers" / "kerqin.yaml").write_text(KERQIN, encoding="utf-8")
    (root / "ledgers" / "sifaju.yaml").write_text(SIFAJU, encoding="utf-8")
    return root


def assert_as_of(text: str, *present: str) -> None:
    for needle in LATER:
        assert needle not in text, f"{needle!r} is dated after {D} but shows in the view:\n{text[:3000]}"
    for needle in present:
        assert needle in text, f"{needle!r} (before {D}) missing from the view:\n{text[:3000]}"


def test_the_workspace_checks_clean(ws, cli):
    result = cli("check", "--root", ws, "--format", "json")
    assert [p for p in json.loads(result.stdout) if p["severity"] == "error"] == []


def test_later_events_show_without_as_of(ws, cli):
    """The needles are real: as of the year's end the same views show them."""
    result = cli("export", "--root", ws, "--as-of", "2020-12-31", "--format", "json")
    assert "通政发〔2020〕77号" in result.stdout and "2020-10-15" in result.stdout and "王审核员" not in result.stdout
    text = cli("status", "--root", ws, "--unit", "科区", "--as-of", "2020-12-31", "--format", "json").stdout
    assert "通政发〔2020〕88号" in text and '"due": "2020-10-15"' in text


def test_status_table(ws, cli):
    result = cli("status", "--root", ws, "--unit", "科区", "--as-of", D)
    assert result.exit_code == 0, result.stderr
    # task 2 was applied on 4-25 and confirmed only on 7-23; task 3's deadline is still the plan's
    assert_as_of(result.stdout, "待审核销号", "2020-07-31", "中心组学法 1/2次")
    assert "已销号" not in result.stdout


def test_status_json(ws, cli):
    result = cli("status", "--root", ws, "--unit", "科区", "--as-of", D, "--format", "json")
    rows = {r["task"]: r for r in json.loads(result.stdout)}
    assert_as_of(result.stdout, "科政发〔2020〕5号", "科政发〔2020〕6号")
    assert rows[2]["state"] == "pending_review" and rows[3]["due"] == "2020-07-31" and not rows[3]["extended"]
    assert rows[4]["state"] == "not_started"


def test_status_summary_json(ws, cli):
    result = cli("status", "--root", ws, "--as-of", D, "--format", "json")
    sifaju = next(r for r in json.loads(result.stdout) if r["unit"] == "sifaju")
    assert sifaju["in_progress"] == 1 and sifaju["pending_review"] == 0  # the apply of 7-28 not yet made
    assert_as_of(result.stdout)


REPORTS = [
    ("0320", ("--unit", "科区"), ("张区长", "每半年集体学法")),
    ("0430", ("--unit", "科区"), ("科政发〔2020〕5号", "科政发〔2020〕6号", "启动三项制度")),
    ("0805", ("--unit", "科区"), ("科政发〔2020〕5号", "2020年4月25日")),
    ("1208", ("--unit", "科区"), ("清单梳理完成", "三月学法")),
    ("monthly", (), ("科区", "司法局")),
    ("weekly", (), ("2020年4月25日", "申请销号（李科长）")),
]


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
@pytest.mark.parametrize("kind, args, present", REPORTS, ids=[r[0] for r in REPORTS])
def test_report(ws, cli, tmp_path, kind, args, present, fmt):
    out = tmp_path / f"r.{fmt}"
    result = cli("report", kind, *args, "--root", ws, "--as-of", D, "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    if fmt == "docx":
        text = docx_text(data)
    elif fmt == "html":
        text = html_text(data.decode("utf-8"))
    else:
        text = md_text(data.decode("utf-8"))
    assert_as_of(text, "截至2020年4月30日", *present)


@pytest.mark.parametrize("kind, args, present", REPORTS, ids=[r[0] for r in REPORTS])
def test_report_json(ws, cli, tmp_path, kind, args, present):
    out = tmp_path / "r.json"
    assert cli("report", kind, *args, "--root", ws, "--as-of", D, "--format", "json", "-o", out).exit_code == 0
    raw = out.read_text(encoding="utf-8")
    json.loads(raw)
    assert_as_of(raw, "2020-04-30")


def test_export_csv(ws, cli):
    result = cli("export", "--root", ws, "--as-of", D, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert_as_of(result.stdout, "科政发〔2020〕5号", "清单梳理完成", "司法局梳理清单", "待审核销号")


def test_export_json(ws, cli):
    result = cli("export", "--root", ws, "--as-of", D, "--format", "json")
    records = json.loads(result.stdout)
    assert_as_of(result.stdout, "科政发〔2020〕5号", "清单梳理完成", "司法局梳理清单")
    three = next(r for r in records if r["unit"] == "kerqin" and r["task"] == 3)
    assert three["due"] == "2020-07-31" and three["extension_pending"] is None and three["reason"] == "进展：启动三项制度"


def test_export_xlsx(ws, cli, tmp_path):
    out = tmp_path / "t.xlsx"
    assert cli("export", "--root", ws, "--as-of", D, "-o", out).exit_code == 0
    workbook = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    cells = "\n".join(str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value is not None)
    assert_as_of(cells, "科政发〔2020〕5号", "清单梳理完成", "司法局梳理清单")
    assert workbook.properties.title is None or "2020-04-30" in workbook.properties.title
