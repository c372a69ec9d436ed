"""engine.facts and engine.weekly on small books written here: what closed, applied-or-closed,
overdue, closed late and due soon mean; categories that partition the rows; 序时进度, including a
unit that carries only a yearly count task; totals, ranking and lights; every event of a week;
and the registry of report kinds."""

from __future__ import annotations

import re
import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import REPO

from fazhi_cli.book.load import open_book
from fazhi_cli.engine import facts
from fazhi_cli.engine.facts import Category, Light
from fazhi_cli.engine.report_kinds import find_report
from fazhi_cli.engine.state import State
from fazhi_cli.engine.status import status_rows, summarize
from fazhi_cli.engine.weekly import EventKind, week_events

D = dt.date

UNITS = """\
office:
  unit: yifaban
units:
  - {id: yifaban, name: 中共通辽市委全面依法治市委员会办公室, short: 市委依法治市办, level: city}
  - {id: kerqin, name: 科尔沁区, short: 科区, level: county}
  - {id: kailu, name: 开鲁县, level: county}
groups: []
"""

TASKS = """\
tasks:
  - id: 1
    title: 中心组学法
    text: 每年集体学法不少于2次。
    section: 二(一)
    kind: count
    lead: [开鲁县]
    responsible: [科区]
    targets:
      - {key: study, label: 中心组学法, measure: count, min: 2, unit: 次, per_year: true, source: 每年集体学法不少于2次}
  - id: 2
    title: 公布权力清单
    text: 旗县级在4月底之前完成。
    section: 二(一)
    kind: deliverable
    lead: [科区]
    deadlines:
      - {due: 2020-04-30, level: county, source: 旗县级在4月底之前完成}
  - id: 3
    title: 行政执法三项制度
    text: 全面推行三项制度。
    section: 二(三)
    kind: deliverable
    lead: [科区]
  - id: 4
    title: 负责人出庭应诉
    text: 行政机关负责人出庭应诉。
    section: 二(六)
    kind: standing
    lead: [科区]
"""

KERQIN = """\
unit: kerqin
tasks:
  1:
    records:
      - {target: study, date: 2020-03-10}
  2:
    progress:
      - {date: 2020-04-10, note: 梳理清单}
    log:
      - {date: 2020-05-06, action: apply, evidence: [科政发〔2020〕6号]}
      - {date: 2020-05-08, action: confirm}
  3:
    progress:
      - {date: 2020-07-01, note: 启动}
    log:
      - {date: 2020-07-23, action: apply, by: 李科长, evidence: [科政发〔2020〕7号]}
      - {date: 2020-07-28, action: reject, by: 依法治市办, note: 材料不全}
    extensions:
      - {requested: 2020-07-24, reason: 材料补充中, new_due: 2020-08-31, decision: approved, decided: 2020-07-27}
  4:
    log:
      - {date: 2020-07-20, action: apply, evidence: [科法〔2020〕3号]}
"""


@pytest.fixture
def book(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "data").mkdir(parents=True)
    (root / "ledgers").mkdir()
    (root / "data" / "units.yaml").write_text(UNITS, encoding="utf-8")
    (root / "data" / "tasks.yaml").write_text(TASKS, encoding="utf-8")
    shutil.copy(REPO / "data" / "phases.yaml", root / "data" / "phases.yaml")
    shutil.copy(REPO / "data" / "settings.yaml", root / "data" / "settings.yaml")
    (root / "ledgers" / "kerqin.yaml").write_text(KERQIN, encoding="utf-8")
    loaded = open_book(root)
    assert loaded.plan is not None and not [p for p in loaded.problems if p.is_error], loaded.problems
    return loaded


def rows(book, day, **kw):
    return {(r.unit_id, r.task.id): r for r in status_rows(book.as_of(day), **kw)}


def test_closed_and_applied_or_closed():
    assert facts.is_closed(State.CLOSED) and not facts.is_closed(State.PENDING_REVIEW)
    assert facts.is_applied_or_closed(State.PENDING_REVIEW) and facts.is_applied_or_closed(State.CLOSED)
    assert not facts.is_applied_or_closed(State.IN_PROGRESS)


def test_overdue_closed_late_and_due_soon(book):
    due = D(2020, 4, 30)
    assert not facts.is_overdue(State.IN_PROGRESS, due, due)  # the due day itself is in time
    assert facts.is_overdue(State.IN_PROGRESS, due, D(2020, 5, 1))
    assert not facts.is_overdue(State.PENDING_REVIEW, due, D(2020, 5, 1))
    assert facts.is_due_soon(State.NOT_STARTED, due, D(2020, 4, 23), 7) and not facts.is_due_soon(State.NOT_STARTED, due, D(2020, 4, 22), 7)
    assert not facts.is_due_soon(State.PENDING_REVIEW, due, D(2020, 4, 25), 7)
    two = rows(book, D(2020, 5, 5))[("kerqin", 2)]
    assert two.overdue and two.days_overdue == 5 and not two.closed_late
    two = rows(book, D(2020, 5, 8))[("kerqin", 2)]
    assert two.state is State.CLOSED and not two.overdue and two.closed_late and two.done_date == D(2020, 5, 6)


def test_categories_partition_the_rows(book):
    mine = list(rows(book, D(2020, 7, 21), units=["kerqin"]).values())
    assert {r.task.id: facts.category(r.task, r.state) for r in mine} == {
        1: Category.IN_PROGRESS, 2: Category.DONE, 3: Category.IN_PROGRESS, 4: Category.STANDING,
    }
    t = facts.totals(mine, D(2020, 7, 21), 2020)
    assert sum(t.categories.values()) == t.total == 4
    # the standing task is applied (待审核) and counts as applied-or-closed, not under 已完成
    assert t.applied_or_closed == 2 and t.categories[Category.DONE] == 1 and t.done_closed == 1 and t.done_pending == 0
    assert t.closed == 1 and t.pending_review == 1 and t.open == 2 and t.rate == 0.25 and t.applied_rate == 0.5


def test_expected_share_rule():
    plan = open_book(REPO, with_ledgers=False).plan
    count, deliverable = plan.tasks[1], plan.tasks[7]
    assert count.kind.value == "count" and deliverable.kind.value == "deliverable"
    year_end = D(2020, 12, 31)
    # a yearly count: the share of 1 January … its deadline elapsed (2020 has 366 days)
    assert facts.expected_share(count, year_end, D(2020, 7, 1), 2020) == pytest.approx(183 / 366)
    assert facts.expected_share(count, year_end, D(2020, 1, 1), 2020) == pytest.approx(1 / 366)
    assert facts.expected_share(count, year_end, year_end, 2020) == 1.0
    assert facts.expected_share(count, year_end, D(2019, 12, 31), 2020) == 0.0
    # an extended count deadline stretches the period
    assert facts.expected_share(count, D(2021, 1, 31), D(2020, 12, 31), 2020) == pytest.approx(366 / 397)
    # anything else: 0 until its deadline has passed, then 1
    assert facts.expected_share(deliverable, D(2020, 4, 30), D(2020, 4, 30), 2020) == 0.0
    assert facts.expected_share(deliverable, D(2020, 4, 30), D(2020, 5, 1), 2020) == 1.0


def test_expected_progress_of_a_unit_carrying_only_a_count_task(book):
    day = D(2020, 7, 1)
    kailu = [r for r in status_rows(book.as_of(day)) if r.unit_id == "kailu"]
    assert [r.task.id for r in kailu] == [1]  # 开鲁县 leads task 1 and carries nothing else
    summary = {s.unit_id: s for s in summarize(book.plan, status_rows(book.as_of(day)), day)}
    assert summary["kailu"].expected == pytest.approx(183 / 366)
    assert summary["kailu"].rate == 0.0
    # 科区 on 7-01: task 1 183/366, task 2 past its deadline (1), tasks 3 and 4 not yet due (0)
    assert summary["kerqin"].expected == pytest.approx((183 / 366 + 1) / 4)
    light = facts.traffic_light(book.plan.settings, summary["kailu"].totals)
    assert light.light is Light.YELLOW and light.behind == pytest.approx(183 / 366)


def test_totals_rank_and_lights(book):
    day = D(2020, 8, 6)
    all_rows = status_rows(book.as_of(day))
    units = facts.standings(list(book.plan.units), book.plan.settings, all_rows, day, 2020, {"kerqin"})
    assert [(u.unit_id, u.rank) for u in units] == [("kerqin", 1), ("kailu", 2)]
    kerqin, kailu = units
    # 科区 on 8-06: 1 closed of 4; task 3's deadline was moved to 8-31 by the extension approved on
    # 7-27, so nothing is overdue → not red, but behind 序时进度 → yellow
    assert kerqin.totals.closed == 1 and kerqin.totals.overdue == 0 and kerqin.totals.rate == 0.25
    assert kerqin.light.light is Light.YELLOW and kerqin.has_ledger and not kailu.has_ledger
    assert facts.light_counts(units) == {Light.RED: 0, Light.YELLOW: 2, Light.GREEN: 0}
    # the rank ties on rate and overdue fall back to the order of data/units.yaml
    tie = facts.rank(["a", "b"], {"b": kailu.totals, "a": kailu.totals})
    assert tie == ["a", "b"]


def test_week_lists_every_event_not_the_net_change(book):
    """科区 task 3: applied on 7-23 and sent back on 7-28 — in progress before and after, and yet
    both events, and the extension asked for and approved in between, are the week's."""
    day = D(2020, 7, 29)
    mine = status_rows(book.as_of(day), units=["kerqin"])
    events = week_events(mine, list(book.plan.units), D(2020, 7, 22), day)
    assert [(e.day, e.task_id, e.kind, e.state_after) for e in events] == [
        (D(2020, 7, 23), 3, EventKind.APPLY, State.PENDING_REVIEW),
        (D(2020, 7, 24), 3, EventKind.EXTENSION_REQUEST, State.PENDING_REVIEW),
        (D(2020, 7, 27), 3, EventKind.EXTENSION_APPROVED, State.PENDING_REVIEW),
        (D(2020, 7, 28), 3, EventKind.REJECT, State.IN_PROGRESS),
    ]
    assert events[3].note == "材料不全" and events[0].evidence == ("科政发〔2020〕7号",)
    # the week's ends are exclusive at `since` and inclusive at `as_of`
    assert week_events(mine, list(book.plan.units), D(2020, 7, 23), D(2020, 7, 27))[0].kind is EventKind.EXTENSION_REQUEST
    assert [e.kind for e in week_events(status_rows(book.as_of(D(2020, 7, 20))), list(book.plan.units), D(2020, 7, 13), D(2020, 7, 20))] == [EventKind.APPLY]


def test_weekly_report_lists_the_apply_and_its_reject(book, cli, tmp_path):
    out = tmp_path / "w.md"
    result = cli("report", "weekly", "--root", book.ws.root, "--since", "2020-07-22", "--as-of", "2020-07-29", "-f", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "本周台账记录销号和延期办理4件，涉及1项事项" in text
    assert "| 2020年7月23日 | 科区 | 3 | 行政执法三项制度 | 申请销号（李科长） | 待审核销号 |" in text
    assert "| 2020年7月28日 | 科区 | 3 | 行政执法三项制度 | 退回（依法治市办） | 推进中 | 材料不全 |" in text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("工作方案", "0320"), ("自查报告", "0430"), ("完成情况报告", "0805"), ("年度总结", "1208"),
        ("月通报", "monthly"), ("周调度", "weekly"), ("０８０５", "0805"), ("８/５", "0805"), ("８月５日", "0805"),
        ("ｗｅｅｋｌｙ", "weekly"),
    ],
)
def test_report_kinds_by_the_names_the_help_promises(text, expected):
    plan = open_book(REPO, with_ledgers=False).plan
    spec, why = find_report(plan, text)
    assert spec is not None and spec.id == expected, why


@pytest.mark.parametrize("name", ["工作方案", "完成情况报告", "年度总结", "月通报", "周调度", "０８０５"])
def test_report_command_accepts_the_names(book, cli, tmp_path, name):
    out = tmp_path / "r.md"
    result = cli("report", name, "--root", book.ws.root, "--as-of", "2020-08-06", "-f", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^# ", out.read_text(encoding="utf-8"), re.M)  # a Markdown document with its title (after the 期号 line of a bulletin)


def test_the_week_names_who_did_it_by_name_when_one_was_given(tmp_path, cli):
    """`--by 王五` beside the account (wang@…): the 周调度 names 王五; without a name, the account."""
    import json

    from conftest import copy_workspace

    ws = copy_workspace(tmp_path / "ws")
    env = {"FAZHI_USER": "wang@kerqin.gov.cn"}
    assert cli("close", "7", "--unit", "kerqin", "--evidence", "通司发〔2020〕12号", "--date", "2020-04-20", "--by", "王五", "--root", ws, env=env).exit_code == 0
    assert cli("reject", "7", "--unit", "kerqin", "--reason", "缺少清单文本", "--date", "2020-04-21", "--root", ws, env=env).exit_code == 0
    data = json.loads(cli("report", "weekly", "--as-of", "2020-04-22", "--format", "json", "-o", "-", "--root", ws).stdout)
    assert [(e["action"], e["by"]) for e in data["events"]] == [("申请销号", "王五"), ("退回", "wang@kerqin.gov.cn")]
