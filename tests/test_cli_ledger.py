"""Ledger commands end to end: init, plan, progress, record, claim, close/confirm/reject/reopen,
extend, status — happy paths and refusals (a refusal never changes a byte)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import beyond_the_plan, with_every_editor


def snapshot(ws: Path) -> dict[str, str]:
    return {
        p.relative_to(ws).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def kerqin(ws, cli):
    assert cli("init", "--root", ws, "--unit", "科区").exit_code == 0
    return ws / "ledgers" / "kerqin.yaml"


def status_rows(cli, ws, *args):
    result = cli("status", "--root", ws, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def row(cli, ws, unit, task, as_of="2020-08-06"):
    rows = status_rows(cli, ws, "--unit", unit, "--as-of", as_of)
    return next(r for r in rows if r["task"] == task)


def refused(cli, ws, *args, message):
    before = snapshot(ws)
    result = cli(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(ws) == before
    return result


# --- init -----------------------------------------------------------------------------------


def test_init_creates_every_ledger_and_is_idempotent(ws, cli):
    result = cli("init", "--root", ws)
    assert result.exit_code == 0, result.stderr
    files = sorted(p.stem for p in (ws / "ledgers").glob("*.yaml"))
    assert "kerqin" in files and "fayuan" in files and len(files) == 34
    assert cli("check", "--root", ws).exit_code == 0
    before = snapshot(ws)
    again = cli("init", "--root", ws)
    assert again.exit_code == 0 and "没有需要补充" in again.stdout
    assert snapshot(ws) == before


def test_init_adds_missing_entries_without_touching_existing_text(ws, cli):
    path = ws / "ledgers" / "kerqin.yaml"
    hand = "# 手写的台账\nunit: kerqin\ntasks:\n  # 重点\n  7:\n    progress:\n      - date: 2020-03-10\n        note: 已公布\n"
    path.write_text(hand, encoding="utf-8")
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(hand.rstrip("\n").rsplit("\n", 0)[0][:20])
    for line in hand.splitlines():
        assert line in text
    assert cli("check", "--root", ws).exit_code == 0
    rows = status_rows(cli, ws, "--unit", "kerqin", "--as-of", "2020-03-11")
    assert next(r for r in rows if r["task"] == 7)["state"] == "in_progress"


# --- plan -----------------------------------------------------------------------------------


def test_plan_records_the_work_plan_and_warns_when_later_than_the_deadline(ws, cli, kerqin):
    result = cli("plan", "7", "--root", ws, "--unit", "科尔沁区", "--leader", "张三", "--owner", "李四", "--measures", "梳理并公布: 权责清单", "--due", "2020-05-10")
    assert result.exit_code == 0, result.stderr
    assert "晚于规定时限 2020-04-30" in result.stderr
    text = kerqin.read_text(encoding="utf-8")
    assert "leader: 张三" in text and "due: 2020-05-10" in text
    assert row(cli, ws, "kerqin", 7)["planned"] == "2020-05-10"
    assert "计划完成时间 2020-05-10 是星期日，不是工作日；如需调整请改为前一个工作日 2020-05-09" in result.stderr  # 5-09: a Saturday worked (调休)
    check = beyond_the_plan(json.loads(cli("check", "--root", with_every_editor(ws), "--format", "json").stdout))
    assert [p["code"] for p in check] == ["W301", "W307"] and check[0]["line"] == check[1]["line"]  # both at plan.due


def test_plan_refusals(ws, cli, kerqin):
    refused(cli, ws, "plan", "7", "--root", ws, "--unit", "科尔沁", "--leader", "x", message="找不到单位“科尔沁”")
    refused(cli, ws, "plan", "29", "--root", ws, "--unit", "kerqin", "--leader", "x", message="不承担任务 29")
    refused(cli, ws, "plan", "99", "--root", ws, "--unit", "kerqin", "--leader", "x", message="任务 99 不存在")
    refused(cli, ws, "plan", "七", "--root", ws, "--unit", "kerqin", "--leader", "x", message="不是数字")
    refused(cli, ws, "plan", "7", "--root", ws, "--unit", "kerqin", "--due", "2020-02-30", message="无效")
    refused(cli, ws, "plan", "7", "--root", ws, "--unit", "kerqin", message="没有要填写的内容")


# --- progress and records --------------------------------------------------------------------


def test_progress_with_file_docnumber_and_url_evidence(ws, cli, kerqin):
    evidence = ws / "evidence" / "kerqin"
    evidence.mkdir(parents=True)
    (evidence / "清单.pdf").write_bytes(b"%PDF-1.4 list")
    result = cli(
        "progress", "7", "--root", ws, "--unit", "kerqin", "--note", "已在政府网站公布", "--date", "2020-04-01",
        "--evidence", str(evidence / "清单.pdf"), "--evidence", "通司发〔2020〕12号", "--evidence", "https://example.org/x",
    )
    assert result.exit_code == 0, result.stderr
    text = kerqin.read_text(encoding="utf-8")
    assert "path: evidence/kerqin/清单.pdf" in text
    assert hashlib.sha256(b"%PDF-1.4 list").hexdigest() in text
    assert "通司发〔2020〕12号" in text
    r = row(cli, ws, "kerqin", 7, "2020-04-02")
    assert r["state"] == "in_progress"
    assert r["evidence"] == ["evidence/kerqin/清单.pdf", "通司发〔2020〕12号", "https://example.org/x"]


def test_progress_refuses_missing_or_outside_evidence(ws, cli, kerqin, tmp_path):
    refused(cli, ws, "progress", "7", "--root", ws, "--unit", "kerqin", "--note", "x", "--evidence", "evidence/kerqin/nope.pdf", message="不存在")
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"x")
    refused(cli, ws, "progress", "7", "--root", ws, "--unit", "kerqin", "--note", "x", "--evidence", str(outside), message="不在工作区内")
    refused(cli, ws, "progress", "7", "--root", ws, "--unit", "kerqin", "--note", "  ", message="不能为空")


def test_records_count_towards_targets(ws, cli, kerqin):
    for day in ("2020-03-01", "2020-04-01", "2020-05-01"):
        assert cli("record", "2", "--root", ws, "--unit", "kerqin", "--target", "study", "--date", day).exit_code == 0
    r = row(cli, ws, "kerqin", 2, "2020-06-01")
    study = next(i for i in r["target"]["items"] if i["key"] == "study")
    assert study["actual"] == 3 and study["met"] is False
    assert "3/4" in r["target"]["summary"]


def test_record_refusals(ws, cli, kerqin):
    refused(cli, ws, "record", "2", "--root", ws, "--unit", "kerqin", message="多个目标")
    refused(cli, ws, "record", "2", "--root", ws, "--unit", "kerqin", "--target", "nope", message="没有目标“nope”")
    refused(cli, ws, "record", "2", "--root", ws, "--unit", "kerqin", "--target", "study", "--value", "3", message="不需要 --value")
    refused(cli, ws, "record", "18", "--root", ws, "--unit", "kerqin", message="--value")
    refused(cli, ws, "record", "2", "--root", ws, "--unit", "kerqin", "--target", "study", "--date", "2021-01-05", message="不在该年度内")
    refused(cli, ws, "record", "7", "--root", ws, "--unit", "kerqin", message="没有量化目标")


def test_measured_value(ws, cli, kerqin):
    assert cli("record", "18", "--root", ws, "--unit", "kerqin", "--value", "85.5", "--date", "2020-06-30").exit_code == 0
    r = row(cli, ws, "kerqin", 18)
    assert r["target"]["items"][0]["actual"] == 85.5 and r["target"]["met"] is True


# --- claims ---------------------------------------------------------------------------------


def test_claim_open_ended_task(ws, cli):
    assert 12 not in {t["id"] for t in json.loads(cli("tasks", "--root", ws, "--unit", "公安局", "--format", "json").stdout)}
    result = cli("claim", "12", "--root", ws, "--unit", "公安局", "--date", "2020-03-15")
    assert result.exit_code == 0, result.stderr
    assert 12 in {t["id"] for t in json.loads(cli("tasks", "--root", ws, "--unit", "公安局", "--format", "json").stdout)}
    assert cli("check", "--root", ws).exit_code == 0
    refused(cli, ws, "claim", "4", "--root", ws, "--unit", "法院", message="不能认领")
    refused(cli, ws, "claim", "12", "--root", ws, "--unit", "科区", message="无需认领")


# --- 销号 -----------------------------------------------------------------------------------


def test_close_requires_evidence(ws, cli, kerqin):
    refused(cli, ws, "close", "20", "--root", ws, "--unit", "kerqin", message="必须附佐证材料")


def test_two_step_close_confirm(ws, cli, kerqin):
    result = cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20", "--by", "王五")
    assert result.exit_code == 0, result.stderr
    assert row(cli, ws, "kerqin", 20)["state"] == "pending_review"
    refused(cli, ws, "close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", message="等待审核")
    assert cli("confirm", "20", "--root", ws, "--unit", "kerqin", "--date", "2020-07-22", "--by", "依法治市办").exit_code == 0
    r = row(cli, ws, "kerqin", 20)
    assert r["state"] == "closed" and not r["overdue"] and not r["closed_late"]
    refused(cli, ws, "confirm", "20", "--root", ws, "--unit", "kerqin", message="没有待审核")
    refused(cli, ws, "reopen", "20", "--root", ws, "--unit", "kerqin", message="必须说明理由")
    assert cli("reopen", "20", "--root", ws, "--unit", "kerqin", "--reason", "验收发现问题", "--date", "2020-08-02").exit_code == 0
    r = row(cli, ws, "kerqin", 20)
    assert r["state"] == "in_progress" and r["overdue"]


def test_reject_needs_a_reason_and_sends_back(ws, cli, kerqin):
    cli("close", "21", "--root", ws, "--unit", "kerqin", "--evidence", "通办发〔2020〕2号", "--date", "2020-07-10")
    refused(cli, ws, "reject", "21", "--root", ws, "--unit", "kerqin", message="理由")
    assert cli("reject", "21", "--root", ws, "--unit", "kerqin", "--reason", "缺少会议纪要", "--date", "2020-07-12").exit_code == 0
    assert row(cli, ws, "kerqin", 21, "2020-07-13")["state"] == "in_progress"


def test_close_after_deadline_is_closed_late_and_target_warning(ws, cli, kerqin):
    result = cli("close", "2", "--root", ws, "--unit", "kerqin", "--evidence", "科学习〔2020〕1号", "--date", "2020-07-01")
    assert result.exit_code == 0
    assert "量化目标尚未达到" in result.stderr
    late = cli("close", "22", "--root", ws, "--unit", "kerqin", "--evidence", "通评估〔2020〕3号", "--date", "2020-08-03")
    assert "逾期完成" in late.stderr
    r = row(cli, ws, "kerqin", 22)
    assert r["closed_late"] and not r["overdue"]


def test_single_step_close_setting(ws, cli, kerqin):
    settings = ws / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("review_required: true", "review_required: false"), encoding="utf-8")
    assert cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-01").exit_code == 0
    assert row(cli, ws, "kerqin", 20)["state"] == "closed"
    assert "action: close" in kerqin.read_text(encoding="utf-8")


def test_evidence_changed_or_missing_is_reported_by_check(ws, cli, kerqin):
    folder = ws / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "a.pdf").write_bytes(b"one")
    (folder / "b.pdf").write_bytes(b"two")
    assert cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "evidence/kerqin/a.pdf", "--evidence", "evidence/kerqin/b.pdf", "--date", "2020-07-20").exit_code == 0
    assert cli("check", "--root", ws).exit_code == 0
    (folder / "a.pdf").write_bytes(b"changed")
    (folder / "b.pdf").unlink()
    problems = beyond_the_plan(json.loads(cli("check", "--root", with_every_editor(ws), "--format", "json").stdout))
    assert {p["code"] for p in problems} == {"E305", "E306"}
    assert all(p["path"] == "ledgers/kerqin.yaml" and p["line"] for p in problems)


# --- extensions -------------------------------------------------------------------------------


def test_extension_request_approve_moves_deadline(ws, cli, kerqin):
    refused(cli, ws, "extend", "request", "16", "--root", ws, "--unit", "kerqin", "--new-due", "2020-09-30", "--date", "2020-08-01", "--reason", "x", message="已逾期")
    assert cli("extend", "request", "16", "--root", ws, "--unit", "kerqin", "--new-due", "2020-09-30", "--date", "2020-07-20", "--reason", "合同未签").exit_code == 0
    r = row(cli, ws, "kerqin", 16)
    assert r["overdue"] and r["extension_pending"] == "2020-09-30"
    refused(cli, ws, "extend", "request", "16", "--root", ws, "--unit", "kerqin", "--new-due", "2020-10-30", "--date", "2020-07-21", "--reason", "x", message="尚未审批")
    assert cli("extend", "approve", "16", "--root", ws, "--unit", "kerqin", "--date", "2020-07-22").exit_code == 0
    r = row(cli, ws, "kerqin", 16)
    assert r["due"] == "2020-09-30" and r["original_due"] == "2020-07-31" and not r["overdue"]


def test_extension_refuse_needs_reason(ws, cli, kerqin):
    cli("extend", "request", "16", "--root", ws, "--unit", "kerqin", "--new-due", "2020-09-30", "--date", "2020-07-20", "--reason", "合同未签")
    refused(cli, ws, "extend", "refuse", "16", "--root", ws, "--unit", "kerqin", message="理由")
    assert cli("extend", "refuse", "16", "--root", ws, "--unit", "kerqin", "--reason", "理由不充分", "--date", "2020-07-22").exit_code == 0
    assert row(cli, ws, "kerqin", 16)["due"] == "2020-07-31"


# --- status -----------------------------------------------------------------------------------


def test_status_county_on_august_6(ws, cli):
    rows = status_rows(cli, ws, "--unit", "kerqin", "--as-of", "2020-08-06")
    by_task = {r["task"]: r for r in rows}
    due_by_july = [t for t, r in by_task.items() if r["due"] <= "2020-07-31"]
    assert len(due_by_july) > 30
    assert all(by_task[t]["overdue"] and by_task[t]["days_overdue"] >= 6 for t in due_by_july)
    assert by_task[14]["overdue"] is False
    for r in rows:
        assert {"task", "unit", "state", "due", "overdue", "days_overdue", "target"} <= set(r)


def test_status_task_7_on_april_15(ws, cli):
    city = {r["task"]: r for r in status_rows(cli, ws, "--unit", "公安局", "--as-of", "2020-04-15")}
    county = {r["task"]: r for r in status_rows(cli, ws, "--unit", "开鲁县", "--as-of", "2020-04-15")}
    assert city[7]["overdue"] and city[7]["due"] == "2020-03-31"
    assert not county[7]["overdue"] and county[7]["due"] == "2020-04-30"


def test_status_lead_rollup_and_overdue_filter(ws, cli, kerqin):
    rows = status_rows(cli, ws, "--lead", "政务服务局", "--as-of", "2020-08-06")
    assert {r["task"] for r in rows} == {7, 8, 9, 11, 12, 13, 14, 15}
    assert {"kerqin", "zhengwuju"} <= {r["unit"] for r in rows}
    overdue = status_rows(cli, ws, "--overdue", "--as-of", "2020-08-06")
    assert overdue and all(r["overdue"] for r in overdue)
    refused(cli, ws, "status", "--root", ws, "--lead", "科区", message="不是任何任务的牵头单位")


def test_status_everyone_summary(ws, cli, kerqin):
    cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-01")
    cli("confirm", "20", "--root", ws, "--unit", "kerqin", "--date", "2020-07-02")
    summaries = {s["unit"]: s for s in status_rows(cli, ws, "--as-of", "2020-08-06")}
    k = summaries["kerqin"]
    assert k["total"] == 43 and k["closed"] == 1 and k["completion_rate"] == round(1 / 43, 4)
    tasks = json.loads(cli("tasks", "--root", ws, "--unit", "kerqin", "--format", "json").stdout)
    due_later = sum(1 for t in tasks if t["due"] > "2020-08-06")  # year-end counts and task 14
    assert due_later == 6
    assert k["overdue"] == k["total"] - 1 - due_later
    table = cli("status", "--root", ws, "--as-of", "2020-08-06")
    assert "科尔沁区" in table.stdout and "完成率" in table.stdout
    csv_out = cli("status", "--root", ws, "--as-of", "2020-08-06", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("unit,unit_name,total")


def test_status_csv_has_one_flat_column_per_target(ws, cli, kerqin):
    assert cli("record", "2", "--root", ws, "--unit", "kerqin", "--target", "study", "--date", "2020-03-12").exit_code == 0
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(cli("status", "--root", ws, "--unit", "kerqin", "--as-of", "2020-08-06", "--format", "csv").stdout)))
    assert "target" not in rows[0] and "{" not in "".join(v or "" for r in rows for v in r.values())
    task2 = next(r for r in rows if r["task"] == "2")
    assert task2["target:study"] == "1.0" and task2["target:lecture"] == "0.0" and task2["target_met"] == "false"
    assert "中心组学法 1/4次" in task2["target_summary"]
    assert next(r for r in rows if r["task"] == "7")["target:study"] == ""  # a task without that target


def test_status_with_a_broken_ledger_warns_and_goes_on(ws, cli):
    (ws / "ledgers" / "kerqin.yaml").write_text("unit: kerqin\ntasks: [\n", encoding="utf-8")
    result = cli("status", "--root", ws, "--as-of", "2020-08-06")
    assert result.exit_code == 0
    assert "ledgers/kerqin.yaml" in result.stderr
    assert "台账无效" in result.stdout


def test_a_date_still_to_come_is_refused(ws, cli, kerqin):
    import datetime as dt

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refused(cli, ws, "progress", "7", "--root", ws, "--unit", "kerqin", "--note", "x", "--date", tomorrow, message="晚于今天")
    refused(cli, ws, "close", "7", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", tomorrow, message="晚于今天")


def test_check_warns_about_a_hand_written_future_date(ws, cli):
    (ws / "ledgers" / "kerqin.yaml").write_text(
        "unit: kerqin\ntasks:\n  7:\n    progress:\n      - date: 2999-03-25\n        note: 公布\n", encoding="utf-8"
    )
    result = cli("check", "--root", with_every_editor(ws), "--format", "json")
    assert result.exit_code == 0  # a warning
    assert [(p["code"], p["line"]) for p in beyond_the_plan(json.loads(result.stdout))] == [("W303", 5)]
    assert cli("check", "--root", ws, "--strict").exit_code == 1
