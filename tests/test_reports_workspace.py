"""A small workspace for the report tests: 6 units, 5 tasks, ledgers in several states.

As of 2020-08-06 (numbers the report tests assert):

| unit     | tasks     | closed | pending | in progress | not started | overdue | rate  | light |
|----------|-----------|--------|---------|-------------|-------------|---------|-------|-------|
| kailu    | 1 2 3 4   | 3      | 0       | 1           | 0           | 0       | 75%   | 绿    |
| gonganju | 2 3 5     | 2      | 0       | 1 (extended)| 0           | 0       | 66.7% | 绿    |
| kerqin   | 1 2 3 4 5 | 1      | 1       | 2           | 1           | 2 (3,5) | 20%   | 红    |
| sifaju   | 1 2 4     | 0      | 0       | 0           | 3           | 2 (2,4) | 0%    | 红    |
| kulun    | 1 2 3 4   | 0      | 0       | 0           | 4           | 3       | 0%    | 红    |
| naiman   | ledger does not validate (unknown key) → 台账无效, left out                        |

sifaju and kulun have no ledger file. kerqin's task 3 note is hostile (<script>, |, {{ }}, a
leading =, a control character).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO

UNITS = """\
office:
  unit: yifaban
units:
  - id: yifaban
    name: 中共通辽市委全面依法治市委员会办公室
    short: 市委依法治市办
    aliases: [依法治市办, 市委全面依法治市委员会办公室(市司法局)]
    level: city
  - id: sifaju
    name: 通辽市司法局
    short: 司法局
    level: city
  - id: gonganju
    name: 通辽市公安局
    short: 公安局
    level: city
  - id: kerqin
    name: 科尔沁区
    short: 科区
    level: county
  - id: kailu
    name: 开鲁县
    level: county
  - id: kulun
    name: 库伦旗
    level: county
  - id: naiman
    name: 奈曼旗
    level: county
groups:
  - id: qixianshiqu
    name: 旗县市区
    members: [kerqin, kailu, kulun, naiman]
"""

TASKS = """\
tasks:
  - id: 1
    title: 专题听取汇报
    text: 各地、各单位领导班子每年要专题听取本地区、本单位法治政府建设情况汇报1次。
    section: 二(一)
    kind: count
    lead: [司法局]
    responsible: [旗县市区]
    targets:
      - key: hearing
        label: 专题听取汇报
        measure: count
        min: 1
        unit: 次
        per_year: true
        source: 每年要专题听取汇报1次
  - id: 2
    title: 公布权力清单
    text: 市本级权力清单在3月底向社会公布,旗县级在4月底之前完成。
    section: 二(一)
    kind: deliverable
    lead: [司法局]
    responsible: [公安局, 旗县市区]
    deadlines:
      - due: 2020-03-31
        level: city
        source: 市本级在3月底向社会公布
      - due: 2020-04-30
        level: county
        source: 旗县级在4月底之前完成
  - id: 3
    title: 行政执法三项制度
    text: 全面推行行政执法公示、执法全过程记录、重大执法决定法制审核制度。
    section: 二(三)
    kind: deliverable
    lead: [公安局]
    responsible: [旗县市区]
  - id: 4
    title: 负责人出庭应诉
    text: 行政机关负责人出庭应诉。
    section: 二(六)
    kind: standing
    lead: [司法局]
    responsible: [旗县市区]
  - id: 5
    title: 双随机一公开
    text: 双随机一公开案件达到80%。
    section: 二(三)
    kind: measured
    lead: [公安局]
    responsible: [科区]
    targets:
      - key: rate
        label: 双随机案件占比
        measure: percent
        min: 80
        unit: "%"
        source: 要达到案件总数的80%
"""

HOSTILE = '<script>alert(1)</script> | 表格 {{ 7*7 }} {% raw %} # 标题'

KERQIN = """\
unit: kerqin
tasks:
  1:
    plan: {leader: 张区长, owner: 李科长, measures: 每半年专题听取一次, due: 2020-12-31}
    records:
      - {target: hearing, date: 2020-05-10, note: 区政府常务会议专题听取}
  2:
    plan: {leader: 张区长, owner: 李科长, measures: 梳理并公布权力清单, due: 2020-04-20}
    progress:
      - date: 2020-04-01
        note: 完成清单梳理
        evidence: [科政发〔2020〕5号]
    log:
      - {date: 2020-04-20, action: apply, by: 李科长, evidence: ["https://www.kerqin.gov.cn/qlqd"]}
      - {date: 2020-04-25, action: confirm, by: 依法治市办}
  3:
    plan: {owner: 王股长}
    progress:
      - date: 2020-06-01
        note: "HOSTILE\\u0001"
        evidence: ["=HYPERLINK(\\"http://x\\")"]
  4:
    progress:
      - {date: 2020-07-01, note: 区长出庭应诉2次}
    log:
      - {date: 2020-08-03, action: apply, by: 李科长, evidence: [科法〔2020〕3号]}
""".replace("HOSTILE", HOSTILE.replace('"', '\\"'))

KAILU = """\
unit: kailu
tasks:
  1:
    plan: {leader: 刘县长, owner: 赵主任, measures: 常务会议专题听取, due: 2020-12-31}
    progress:
      - {date: 2020-06-15, note: 已列入常务会议议程}
  2:
    plan: {leader: 刘县长, owner: 赵主任, measures: 公布清单, due: 2020-04-28}
    log:
      - {date: 2020-04-28, action: apply, evidence: [开政发〔2020〕9号]}
      - {date: 2020-04-29, action: confirm}
  3:
    plan: {leader: 刘县长, owner: 钱队长, measures: 三项制度全覆盖, due: 2020-07-31}
    progress:
      - {date: 2020-07-01, note: 执法公示平台上线}
    log:
      - {date: 2020-07-31, action: apply, by: 钱队长, evidence: [开政发〔2020〕3号]}
      - {date: 2020-08-01, action: confirm, by: 依法治市办}
  4:
    plan: {leader: 刘县长, owner: 孙科长, measures: 负责人出庭应诉率100%, due: 2020-07-31}
    log:
      - {date: 2020-06-30, action: apply, evidence: [开法〔2020〕4号]}
      - {date: 2020-07-02, action: confirm}
"""

GONGANJU = """\
unit: gonganju
tasks:
  2:
    log:
      - {date: 2020-05-10, action: apply, evidence: [通公发〔2020〕2号]}
      - {date: 2020-05-12, action: confirm}
  3:
    progress:
      - {date: 2020-07-10, note: 执法记录仪采购中}
    extensions:
      - requested: 2020-07-20
        reason: 执法记录仪采购流程未完成
        new_due: 2020-09-30
        decision: approved
        decided: 2020-07-22
  5:
    records:
      - {target: rate, date: 2020-06-30, value: 85}
    log:
      - {date: 2020-07-15, action: apply, evidence: [通公发〔2020〕5号]}
      - {date: 2020-07-16, action: confirm}
"""

NAIMAN = """\
unit: naiman
tasks:
  2:
    progres:
      - {date: 2020-04-01, note: 拼错了字段}
"""


def make_workspace(root: Path) -> Path:
    """Write the small workspace under `root` and return it."""
    (root / "data").mkdir(parents=True)
    (root / "ledgers").mkdir()
    (root / "data" / "units.yaml").write_text(UNITS, encoding="utf-8")
    (root / "data" / "tasks.yaml").write_text(TASKS, encoding="utf-8")
    shutil.copy(REPO / "data" / "phases.yaml", root / "data" / "phases.yaml")
    shutil.copy(REPO / "data" / "settings.yaml", root / "data" / "settings.yaml")
    for name, text in (("kerqin", KERQIN), ("kailu", KAILU), ("gonganju", GONGANJU), ("naiman", NAIMAN)):
        (root / "ledgers" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def test_small_workspace_is_valid_except_naiman(tmp_path, cli):
    ws = make_workspace(tmp_path / "ws")
    import json

    result = cli("check", "--root", ws, "--format", "json")
    problems = json.loads(result.stdout)
    errors = [p for p in problems if p["severity"] == "error"]
    assert {p["path"] for p in errors} == {"ledgers/naiman.yaml", "ledgers/kerqin.yaml"}
    # kerqin's one error is the formula-looking evidence, which check refuses as evidence while
    # reports and exports still show it, as text
    assert [(p["code"], p["line"]) for p in errors if p["path"] == "ledgers/kerqin.yaml"] == [("E317", 21)]
