"""`fazhi check`, `fazhi tasks`, `fazhi units` on the shipped plan and on small broken workspaces."""

from __future__ import annotations

import json

import pytest

from conftest import beyond_the_plan, phase_end_on_a_working_day, with_every_editor

# Expected from the source annex and the group memberships documented in data/units.yaml:
# kerqin is in 旗县市区 (every task but 25, 29, 40) and in 各相关行政执法单位 (task 25).
KERQIN_TASKS = set(range(1, 46)) - {29, 40}
# 公安局: named in 28; 市直单位 1–6, 34; 市直、中区直单位 32, 33; 政府部门 7, 10, 30; 各行政执法单位 17, 18, 24, 35.
GONGANJU_TASKS = {1, 2, 3, 4, 5, 6, 7, 10, 17, 18, 24, 28, 30, 32, 33, 34, 35}


def tasks_json(cli, ws, unit):
    result = cli("tasks", "--root", ws, "--unit", unit, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_check_passes_on_shipped_workspace(cli, ws):
    result = cli("check", "--root", ws)
    assert result.exit_code == 0, result.stdout + result.stderr
    # The shipped plan names no editors (a city fills them in): check says so, once; and its 组织验收
    # phase ends on a Saturday, the plan's own date (W307).
    assert "0 个错误，2 个警告" in result.stdout and "W305" in result.stdout
    assert "data/phases.yaml:40:10: 警告 W307 阶段“组织验收”的结束日期 2020-10-31 是星期六" in result.stdout
    configured = cli("check", "--root", with_every_editor(ws)).stdout
    assert "0 个错误，1 个警告" in configured and "W307" in configured
    assert "没有发现问题" in cli("check", "--root", phase_end_on_a_working_day(ws)).stdout


def test_check_json_is_an_empty_list_when_clean(cli, ws):
    phase_end_on_a_working_day(with_every_editor(ws))
    result = cli("check", "--root", ws, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", ["kerqin", "科尔沁区", "科区"])
def test_tasks_for_a_county_by_id_name_or_alias(cli, ws, name):
    rows = tasks_json(cli, ws, name)
    assert {r["id"] for r in rows} == KERQIN_TASKS
    assert all("kerqin" in r["lead"] + r["responsible"] for r in rows)


def test_tasks_for_a_city_department(cli, ws):
    rows = tasks_json(cli, ws, "公安局")
    assert {r["id"] for r in rows} == GONGANJU_TASKS


@pytest.mark.parametrize("name, expected", [("法院", {30}), ("人大办", {37, 40})])
def test_tasks_for_a_lead_only_unit(cli, ws, name, expected):
    rows = tasks_json(cli, ws, name)
    assert {r["id"] for r in rows} == expected
    assert all(r["role"] == "lead" for r in rows)


def test_tasks_json_fields_and_deadlines(cli, ws):
    result = cli("tasks", "--root", ws, "--format", "json")
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert sorted(rows) == list(range(1, 46))
    assert rows[19]["lead"] == ["shichangju", "yingjiju", "shengtaiju"]
    assert rows[30]["lead"] == ["sifaju", "fayuan"]
    assert rows[14]["due"] == "2020-12-31"
    assert rows[20]["due"] == "2020-07-31"
    assert rows[2]["due"] == "2020-12-31"  # yearly count target: counted over the calendar year
    for row in rows.values():
        assert set(row) >= {"id", "title", "text", "lead", "responsible", "due"}
        assert isinstance(row["id"], int)


def test_task_7_deadline_depends_on_level(cli, ws):
    city = {r["id"]: r for r in tasks_json(cli, ws, "公安局")}
    county = {r["id"]: r for r in tasks_json(cli, ws, "开鲁县")}
    assert city[7]["due"] == "2020-03-31"
    assert county[7]["due"] == "2020-04-30"


def test_units_json(cli, ws):
    result = cli("units", "--root", ws, "--format", "json")
    units = {u["id"]: u for u in json.loads(result.stdout)}
    assert "科区" in units["kerqin"]["aliases"]
    assert "qixianshiqu" in units["kerqin"]["groups"]
    assert units["shichangju"]["name"] == "通辽市市场监督管理局"
    assert "市场监管局" in units["shichangju"]["aliases"]
    assert units["fayuan"]["groups"] == []
    assert units["rendaban"]["leads"] == [37, 40]


def test_csv_output_has_header_and_all_rows(cli, ws):
    result = cli("tasks", "--root", ws, "--format", "csv")
    lines = result.stdout.strip().split("\n")
    assert lines[0].startswith("id,title")
    assert len([l for l in lines[1:] if l[:1].isdigit()]) == 45


def test_unknown_unit_suggests_close_names(cli, ws):
    result = cli("tasks", "--root", ws, "--unit", "科尔沁")
    assert result.exit_code == 1
    assert "找不到单位“科尔沁”" in result.stderr
    assert "科尔沁区（kerqin）" in result.stderr


def test_group_is_not_a_unit(cli, ws):
    result = cli("tasks", "--root", ws, "--unit", "旗县市区")
    assert result.exit_code == 1
    assert "分组" in result.stderr


def test_no_workspace_exits_2(cli, tmp_path):
    result = cli("check", "--root", tmp_path)
    assert result.exit_code == 2
    assert "不是 fazhi 工作区" in result.stderr


def test_workspace_found_from_a_subdirectory(cli, ws, monkeypatch):
    (ws / "ledgers" / "sub").mkdir()
    monkeypatch.chdir(ws / "ledgers" / "sub")
    monkeypatch.delenv("FAZHI_ROOT", raising=False)
    assert cli("check").exit_code == 0


def test_workspace_from_environment(cli, ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("check", env={"FAZHI_ROOT": str(ws)}).exit_code == 0


def test_broken_plan_stops_other_commands_with_exit_2(cli, ws):
    path = ws / "data" / "units.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("short: 司法局", "short: 公安局"), encoding="utf-8")
    result = cli("tasks", "--root", ws)
    assert result.exit_code == 2
    assert "data/units.yaml" in result.stderr
    check = cli("check", "--root", ws, "--format", "json")
    assert check.exit_code == 1
    codes = {p["code"] for p in json.loads(check.stdout)}
    assert "E202" in codes


def test_check_reports_a_template_that_does_not_exist(cli, ws):
    path = ws / "data" / "phases.yaml"
    text = path.read_text(encoding="utf-8")
    assert "template: completion" in text
    path.write_text(text.replace("template: completion", "template: completon"), encoding="utf-8")
    problems = beyond_the_plan(json.loads(cli("check", "--root", with_every_editor(ws), "--format", "json").stdout))
    assert [(p["code"], p["path"]) for p in problems] == [("E209", "data/phases.yaml")]
    line = text.split("\n").index(next(l for l in text.split("\n") if "template: completion" in l)) + 1
    assert problems[0]["line"] == line
