"""engine.report_kinds, engine.report_context and render.report_fields: naming submissions, the bulletin's ranking and traffic lights (thresholds from
data/settings.yaml), weekly changes, and the context on the shipped 45-task plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import REPO
from test_reports_workspace import make_workspace

from fazhi_cli.engine.report_context import build_report
from fazhi_cli.engine.report_kinds import find_report
from fazhi_cli.render.report_fields import report_context
from fazhi_cli.render.text import clean_text, cn_date, pct
from fazhi_cli.book.load import open_book

D = dt.date
AS_OF = D(2020, 8, 6)


def context(ws: Path, report: str = "monthly", as_of: dt.date = AS_OF, **kw):
    session = open_book(ws)
    assert session.plan is not None, session.plan_problems
    spec, why = find_report(session.plan, report)
    assert spec is not None, why
    return report_context(session.plan, build_report(session.as_of(as_of), spec, present=set(session.ledger_files), **kw))


@pytest.fixture
def small(tmp_path) -> Path:
    ws = make_workspace(tmp_path / "ws")
    (ws / "ledgers" / "naiman.yaml").unlink()  # naiman: no ledger, like kulun
    return ws


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0805", "0805"), ("8/5", "0805"), ("8月5日", "0805"), ("completion", "0805"), ("任务完成情况报告", "0805"),
        ("0320", "0320"), ("work-plan", "0320"), ("3.20", "0320"), ("self-check", "0430"), ("1208", "1208"),
        ("summary", "1208"), ("weekly", "weekly"), ("周调度", "weekly"), ("monthly", "monthly"),
        ("bulletin", "monthly"), ("月通报", "monthly"), (" Completion ", "0805"),
    ],
)
def test_find_report(text, expected):
    plan = open_book(REPO, with_ledgers=False).plan
    spec, why = find_report(plan, text)
    assert spec is not None and spec.id == expected, why


def test_find_report_explains_refusals():
    plan = open_book(REPO, with_ledgers=False).plan
    assert "没有报告模板" in find_report(plan, "0305")[1]
    assert "0805（任务完成情况报告）" in find_report(plan, "年报")[1]


def test_ranking_rate_then_overdue_then_units_yaml_order(small):
    ctx = context(small)
    order = [(u.label, u.rate_pct, u.overdue) for u in ctx.units]
    assert order == [
        ("开鲁县", "75%", 0),
        ("公安局", "66.7%", 0),
        ("科区", "20%", 2),
        ("司法局", "0%", 2),  # 0% like 库伦旗 and 奈曼旗, but fewer overdue
        ("库伦旗", "0%", 3),
        ("奈曼旗", "0%", 3),  # tie with 库伦旗: order of data/units.yaml
    ]
    assert [u.rank for u in ctx.units] == [1, 2, 3, 4, 5, 6]
    # swap 库伦旗 and 奈曼旗 in data/units.yaml: the tie now goes the other way
    units = small / "data" / "units.yaml"
    kulun = "  - id: kulun\n    name: 库伦旗\n    level: county\n"
    naiman = "  - id: naiman\n    name: 奈曼旗\n    level: county\n"
    text = units.read_text(encoding="utf-8")
    assert kulun + naiman in text
    units.write_text(text.replace(kulun + naiman, naiman + kulun), encoding="utf-8")
    assert [u.label for u in context(small).units][-2:] == ["奈曼旗", "库伦旗"]


def test_default_lights(small):
    ctx = context(small)
    assert {u.label: (u.light_label, u.light_reason) for u in ctx.units} == {
        # task 1 is a yearly count: (3 + 219/366) / 4 = 90% expected by 8-06 against 75% closed
        "开鲁县": ("黄", "落后序时进度15个百分点"),
        "公安局": ("绿", "按序时推进"),
        "科区": ("红", "逾期2项"),
        "司法局": ("红", "逾期2项"),
        "库伦旗": ("红", "逾期3项"),
        "奈曼旗": ("红", "逾期3项"),
    }
    assert ctx.lights == {"red": 4, "yellow": 1, "green": 1}
    assert [u.label for u in ctx.on_schedule] == ["公安局"]
    assert "红灯：逾期事项达到1项" in ctx.light_rule.text


def _settings(ws: Path, **values) -> None:
    path = ws / "data" / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        head, _, rest = text.partition(f"  {key}: ")
        text = head + f"  {key}: {value}\n" + rest.split("\n", 1)[1]
    path.write_text(text, encoding="utf-8")


def test_thresholds_come_from_the_workspace(small):
    _settings(small, red_overdue=3)
    lights = {u.label: (u.light_label, u.light_reason) for u in context(small).units}
    # 序时进度 counts yearly task 1 for 219/366: 科区 (4 + 0.598) / 5 = 92.0% against 20%;
    # 司法局 (2 + 0.598) / 3 = 86.6% against 0%
    assert lights["科区"] == ("黄", "落后序时进度72个百分点")
    assert lights["司法局"] == ("黄", "落后序时进度86.6个百分点")
    assert lights["库伦旗"][0] == "红"
    _settings(small, red_overdue=3, yellow_behind=0.9)
    lights = {u.label: u.light_label for u in context(small).units}
    assert lights["科区"] == "绿" and lights["库伦旗"] == "红" and lights["司法局"] == "绿"
    assert "完成率低于序时进度超过90%" in context(small).light_rule.text
    _settings(small, red_overdue=3, yellow_behind=0.8)
    lights = {u.label: u.light_label for u in context(small).units}
    assert lights["科区"] == "绿" and lights["司法局"] == "黄"


def test_due_soon_makes_yellow_unless_switched_off(small):
    before = D(2020, 7, 28)  # items due 7/31 are due within 7 days
    lights = {u.label: (u.light_label, u.light_reason) for u in context(small, as_of=before).units}
    assert lights["开鲁县"] == ("黄", "临期1项")
    _settings(small, yellow_due_soon="false")
    lights = {u.label: u.light_label for u in context(small, as_of=before).units}
    assert lights["开鲁县"] == "绿"


def test_weekly_changes_from_the_ledgers_dates(small):
    ctx = context(small, "weekly", since=D(2020, 7, 30))
    assert [(e.date, e.unit_label, e.task_id, e.kind, e.by, e.state_after) for e in ctx.events] == [
        ("2020-07-31", "开鲁县", 3, "apply", "钱队长", "待审核销号"),
        ("2020-08-01", "开鲁县", 3, "confirm", "依法治市办", "已销号"),
        ("2020-08-03", "科区", 4, "apply", "李科长", "待审核销号"),
    ]
    assert ctx.events[0].evidence == ["开政发〔2020〕3号"] and ctx.event_items == 2
    # a week holding 公安局's extension request (7-20) and its approval (7-22): two events
    week = context(small, "weekly", as_of=D(2020, 7, 25), since=D(2020, 7, 18))
    assert [(e.date, e.unit_label, e.action, e.new_due_cn) for e in week.events] == [
        ("2020-07-20", "公安局", "申请延期", "2020年9月30日"),
        ("2020-07-22", "公安局", "批准延期", "2020年9月30日"),
    ]
    assert {(r.unit_label, r.task_id) for r in ctx.new_overdue} == {
        ("科区", 3), ("科区", 5), ("司法局", 4), ("库伦旗", 3), ("库伦旗", 4), ("奈曼旗", 3), ("奈曼旗", 4)
    }
    assert context(small, "weekly", as_of=D(2020, 5, 1)).meta.since == "2020-04-24"


def test_unit_context_categories_and_reasons(small):
    ctx = context(small, "0805", scope="unit", unit_id="kerqin")
    assert [r.task_id for r in ctx.done] == [2]
    assert [r.task_id for r in ctx.in_progress] == [1, 3]
    assert [r.task_id for r in ctx.not_started] == [5]
    assert [r.task_id for r in ctx.ongoing] == [1, 3, 5]
    assert [r.task_id for r in ctx.open] == [1, 3, 5]
    assert [r.task_id for r in ctx.standing] == [4]
    assert [r.task_id for r in ctx.outstanding] == [3, 5]
    assert [r.task_id for r in ctx.leadership] == [1, 2]
    three = ctx.outstanding[0]
    assert three.reason.startswith("进展：<script>") and "\x01" not in three.reason
    assert three.next_date_cn == "2020年7月31日" and three.next_date_source == "方案时限"
    assert ctx.outstanding[1].reason_missing
    gonganju = context(small, "0805", scope="unit", unit_id="gonganju")
    extended = next(r for r in gonganju.rows if r.task_id == 3)
    assert extended.reason == "申请延期：执法记录仪采购流程未完成" and extended.next_date_cn == "2020年9月30日"
    assert not extended.overdue and extended.extended


def test_helpers():
    assert cn_date(D(2020, 8, 5)) == "2020年8月5日" and cn_date(None) == ""
    assert pct(0.625) == "62.5%" and pct(2 / 3) == "66.7%" and pct(1) == "100%" and pct(0) == "0%"
    assert clean_text("a\x00b\x1fc\td\r\ne\x85f\ud800") == "abc\td\nef"


def test_shipped_plan_office_context(tmp_path):
    """The real plan (45 tasks, 34 units) with no ledgers: every unit reported, all not started."""
    ctx = context(REPO, "0805")
    assert ctx.totals.units == 34 and ctx.totals.not_started == ctx.totals.total
    assert ctx.units[0].label == "市委依法治市办"  # carries one task, not yet due: 0 overdue
    assert len(ctx.tasks) == 45
    assert len(ctx.missing_ledgers) == 34
