"""Working days (工作日): the official 2020 calendar (holidays and 调休), the counting convention,
`status --workdays`, reports, targets in working days, `check`'s warning for a deadline on a day off,
and the Monday–Friday fallback outside the calendar's years, said once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from conftest import beyond_the_plan, with_every_editor
from fazhi_cli.engine import workdays
from fazhi_cli.engine.workdays import day_off_reason, is_working_day, known, previous_working_day, working_days_between

D = dt.date


# --- the calendar ---------------------------------------------------------------------------------


def test_2020_holidays_and_swapped_working_days():
    assert known(2020)
    assert is_working_day(D(2020, 1, 19))  # a Sunday worked for 春节 (调休)
    assert is_working_day(D(2020, 10, 10))  # a Saturday worked for 国庆
    assert is_working_day(D(2020, 9, 27)) and is_working_day(D(2020, 4, 26)) and is_working_day(D(2020, 5, 9))
    assert not any(is_working_day(D(2020, 10, d)) for d in range(1, 9))  # 国庆、中秋 10-01…08
    assert not is_working_day(D(2020, 1, 31))  # 春节 extended (2020-01-31 … 02-02)
    assert not is_working_day(D(2020, 10, 31))  # an ordinary Saturday
    assert is_working_day(D(2020, 10, 30))
    assert workdays.holiday_name(D(2020, 10, 5)) == "国庆节"
    assert workdays.in_lieu_name(D(2020, 10, 10)) == "国庆节"
    assert day_off_reason(D(2020, 10, 31)) == "星期六"
    assert day_off_reason(D(2020, 10, 5)) == "国庆节假期"
    assert day_off_reason(D(2020, 10, 4)) == "星期日，国庆节假期"
    assert previous_working_day(D(2020, 10, 31)) == D(2020, 10, 30)
    assert previous_working_day(D(2020, 10, 8)) == D(2020, 9, 30)


def test_working_days_between_counts_the_days_after_a_up_to_b():
    assert working_days_between(D(2020, 7, 31), D(2020, 7, 31)) == 0
    assert working_days_between(D(2020, 7, 30), D(2020, 7, 31)) == 1
    assert working_days_between(D(2020, 7, 31), D(2020, 8, 3)) == 1  # Friday → Monday
    assert working_days_between(D(2020, 8, 6), D(2020, 7, 31)) == -4  # negative: b before a
    # across 国庆: 09-30 → 10-09 is one working day (10-09); the 调休 Saturday 10-10 counts
    assert working_days_between(D(2020, 9, 30), D(2020, 10, 9)) == 1
    assert working_days_between(D(2020, 9, 30), D(2020, 10, 10)) == 2
    assert working_days_between(D(2020, 9, 25), D(2020, 10, 12)) == 7  # 9-27 (a Sunday, 调休), 9-28, 29, 30, 10-09, 10-10, 10-12
    # the year: 2020 has 249 working days (262 weekdays, less 19 holiday weekdays, plus 6 调休 weekend days)
    assert working_days_between(D(2019, 12, 31), D(2020, 12, 31)) == 249
    # one definition across years: the sum of its parts
    assert working_days_between(D(2019, 12, 30), D(2021, 1, 4)) == (
        working_days_between(D(2019, 12, 30), D(2019, 12, 31)) + 249 + working_days_between(D(2020, 12, 31), D(2021, 1, 4))
    )


def test_outside_the_known_years_monday_to_friday():
    assert not known(2099)
    assert is_working_day(D(2099, 10, 1))  # a Thursday; no holiday is known for 2099
    assert not is_working_day(D(2099, 10, 3))  # a Saturday
    assert working_days_between(D(2099, 9, 30), D(2099, 10, 9)) == 7
    notice = workdays.fallback_notice([2020, 2099, 2099])
    assert notice is not None and "2099年" in notice and "周一至周五" in notice and "2020" not in notice.split("；")[1]
    assert workdays.fallback_notice([2020]) is None


# --- status and reports ---------------------------------------------------------------------------


def status_json(cli, ws, *args: str) -> dict[int, dict]:
    result = cli("status", "--root", ws, "--unit", "kerqin", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {r["task"]: r for r in json.loads(result.stdout)}


def test_status_shows_working_days_left_or_overdue(ws, cli):
    assert cli("close", "5", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20").exit_code == 0
    # task 8 due 07-31, extended to 10-09: on 09-30 nine calendar days but one working day are left
    assert cli("extend", "request", "8", "--root", ws, "--unit", "kerqin", "--new-due", "2020-10-09", "--reason", "待上级批复", "--date", "2020-07-10").exit_code == 0
    assert cli("extend", "approve", "8", "--root", ws, "--unit", "kerqin", "--date", "2020-07-12").exit_code == 0
    rows = status_json(cli, ws, "--as-of", "2020-09-30", "--workdays")
    assert rows[20]["overdue"] and rows[20]["days_overdue"] == 61 and rows[20]["workdays_left"] == -44  # August 21, September 23 (9-27 调休)
    assert rows[14]["workdays_left"] == 61  # 10-09 … 12-31
    assert rows[8]["due"] == "2020-10-09" and rows[8]["workdays_left"] == 1
    assert rows[5]["state"] == "pending_review" and rows[5]["workdays_left"] is None  # applied: nothing left to count
    assert "workdays_left" not in status_json(cli, ws, "--as-of", "2020-09-30")[20]  # only when asked

    csv_text = cli("status", "--root", ws, "--unit", "kerqin", "--as-of", "2020-09-30", "--workdays", "--format", "csv").stdout
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert next(r for r in table if r["task"] == "20")["workdays_left"] == "-44"

    shown = cli("status", "--root", ws, "--unit", "科区", "--as-of", "2020-09-30", "--workdays")
    assert shown.exit_code == 0 and shown.stderr == ""  # 2020 is in the calendar: no notice
    header, *lines = [l for l in shown.stdout.splitlines() if l.strip()][1:]
    assert header.split()[:8] == ["序号", "任务", "角色", "状态", "完成时限", "计划完成", "提示", "工作日"]
    line = next(l for l in lines if l.startswith("20 "))
    assert "逾期61天" in line and "逾期44个工作日" in line
    assert "剩余1个工作日" in next(l for l in lines if l.startswith("8 "))
    summary = cli("status", "--root", ws, "--workdays")
    assert summary.exit_code == 1 and "--unit" in summary.stderr


def test_reports_say_working_days_when_asked(ws, cli):
    args = ("report", "0805", "--root", ws, "--unit", "科区", "--as-of", "2020-08-06", "--format", "md", "-o", "-")
    with_days = cli(*args, "--workdays")
    assert with_days.exit_code == 0, with_days.stderr
    assert "逾期6天（4个工作日）" in with_days.stdout and "逾期98天（67个工作日）" in with_days.stdout  # tasks due 07-31 and 04-30
    plain = cli(*args)
    assert "逾期6天" in plain.stdout and "工作日）" not in plain.stdout.replace("个工作日）", "")
    data = json.loads(cli("report", "0805", "--root", ws, "--unit", "科区", "--as-of", "2020-08-06", "--format", "json", "-o", "-", "--workdays").stdout)
    row = next(r for r in data["rows"] if r["task_id"] == 20)
    assert (row["workdays_left"], row["workdays_text"], row["flag"]) == (-4, "逾期4个工作日", "逾期6天（4个工作日）")


# --- targets in working days ------------------------------------------------------------------


def test_a_time_limit_is_counted_in_working_days_from_its_dates(ws, cli):
    recorded = cli("record", "10", "--root", ws, "--unit", "kerqin", "--received", "2020-09-30", "--date", "2020-10-09")
    assert recorded.exit_code == 0, recorded.stderr
    assert "1 个工作日（2020-09-30 受理，2020-10-09 办结）" in recorded.stdout  # nine calendar days across 国庆
    ledger = (ws / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")
    assert "received: 2020-09-30" in ledger and "value:" not in ledger  # the dates are the record; the count is derived
    (target,) = status_json(cli, ws, "--as-of", "2020-10-10")[10]["target"]["items"]
    assert (target["measure"], target["actual"], target["met"], target["unit"]) == ("workdays", 1.0, True, "个工作日")
    # a later case: 09-25 → 10-12 is 7 working days (9-27 and 10-10 worked in lieu), over the limit of 5
    assert cli("record", "10", "--root", ws, "--unit", "kerqin", "--received", "2020-09-25", "--date", "2020-10-12").exit_code == 0
    (target,) = status_json(cli, ws, "--as-of", "2020-10-12")[10]["target"]["items"]
    assert (target["actual"], target["met"]) == (7.0, False)
    # refused: settled before received; a value that disagrees with the dates; dates on a rate target
    for extra, code in (
        (("--received", "2020-10-12", "--date", "2020-10-09"), "R206"),
        (("--received", "2020-09-30", "--date", "2020-10-09", "--value", "9"), "R207"),
    ):
        result = cli("record", "10", "--root", ws, "--unit", "kerqin", *extra)
        assert result.exit_code == 1 and code in result.stderr, result.stderr
    result = cli("record", "18", "--root", ws, "--unit", "kerqin", "--received", "2020-09-30", "--date", "2020-10-09")
    assert result.exit_code == 1 and "R207" in result.stderr


def test_check_finds_a_hand_written_time_limit_that_disagrees_with_its_dates(ws, cli):
    (ws / "ledgers" / "kerqin.yaml").write_text(
        "unit: kerqin\ntasks:\n  10:\n    records:\n      - target: time-limit\n        date: 2020-10-09\n        received: 2020-09-30\n"
        "        value: 9\n  18:\n    records:\n      - target: random-inspection\n        date: 2020-10-09\n        received: 2020-09-30\n        value: 85\n",
        encoding="utf-8",
    )
    problems = beyond_the_plan(json.loads(cli("check", "--root", with_every_editor(ws), "--format", "json").stdout))
    assert [(p["code"], p["line"]) for p in problems] == [("E320", 8), ("E320", 13)]
    assert "1 个工作日不符" in problems[0]["message"]


# --- check: a deadline on a day off ---------------------------------------------------------------


def line_of(path, text: str) -> int:
    return path.read_text(encoding="utf-8").split("\n").index(text) + 1


def test_check_warns_of_a_deadline_on_a_day_off(ws, cli):
    tasks = ws / "data" / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8").replace("      - due: 2020-12-31\n", "      - due: 2020-10-05\n", 1), encoding="utf-8")
    (ws / "ledgers" / "kerqin.yaml").write_text("unit: kerqin\ntasks:\n  20:\n    plan:\n      due: 2020-10-31\n", encoding="utf-8")
    planned = cli("plan", "2", "--root", ws, "--unit", "kerqin", "--due", "2020-10-03")
    assert planned.exit_code == 0 and "计划完成时间 2020-10-03 是星期六，国庆节假期，不是工作日；如需调整请改为前一个工作日 2020-09-30" in planned.stderr
    result = cli("check", "--root", with_every_editor(ws), "--format", "json")
    assert result.exit_code == 0  # warnings
    found = [(p["path"], p["line"], p["message"]) for p in json.loads(result.stdout) if p["code"] == "W307"]
    ledger = ws / "ledgers" / "kerqin.yaml"
    assert found == [
        ("data/phases.yaml", line_of(ws / "data" / "phases.yaml", "    end: 2020-10-31"),
         "阶段“组织验收”的结束日期 2020-10-31 是星期六，不是工作日；如需调整请改为前一个工作日 2020-10-30"),
        ("data/tasks.yaml", line_of(tasks, "      - due: 2020-10-05"),
         "任务 14 的完成时限 2020-10-05 是国庆节假期，不是工作日；如需调整请改为前一个工作日 2020-09-30"),
        ("ledgers/kerqin.yaml", line_of(ledger, "      due: 2020-10-03"),
         "计划完成时间 2020-10-03 是星期六，国庆节假期，不是工作日；如需调整请改为前一个工作日 2020-09-30"),
        ("ledgers/kerqin.yaml", line_of(ledger, "      due: 2020-10-31"),
         "计划完成时间 2020-10-31 是星期六，不是工作日；如需调整请改为前一个工作日 2020-10-30"),
    ]
    assert cli("check", "--root", ws, "--strict").exit_code == 1


# --- outside the calendar's years: Monday–Friday, said once ------------------------------------


def plan_of_year(ws, year: int):
    for name in ("tasks", "phases"):
        path = ws / "data" / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("2020-", f"{year}-").replace("year: 2020", f"year: {year}"), encoding="utf-8")
    return ws


def monday_to_friday(a: dt.date, b: dt.date) -> int:
    return sum((a + dt.timedelta(days=i)).weekday() < 5 for i in range(1, (b - a).days + 1))


def test_outside_the_calendar_monday_to_friday_said_once(ws, cli):
    plan_of_year(with_every_editor(ws), 2099)
    problems = json.loads(cli("check", "--root", ws, "--format", "json").stdout)
    notices = [p for p in problems if p["code"] == "W308"]
    assert len(notices) == 1 and notices[0]["path"] == "data/phases.yaml" and notices[0]["line"] == line_of(ws / "data" / "phases.yaml", "year: 2099")
    assert "2099年按周一至周五计算工作日" in notices[0]["message"]
    # 2099-10-31 is a Saturday too: judged Monday–Friday, still a day off
    assert [p["message"].split("，")[0] for p in problems if p["code"] == "W307"] == ["阶段“组织验收”的结束日期 2099-10-31 是星期六"]

    result = cli("status", "--root", ws, "--unit", "kerqin", "--as-of", "2099-09-30", "--workdays", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.count("周一至周五") == 1 and result.stderr.count("\n") == 1  # one line, not one a row
    rows = {r["task"]: r for r in json.loads(result.stdout)}
    assert rows[14]["workdays_left"] == monday_to_friday(dt.date(2099, 9, 30), dt.date(2099, 12, 31))
    assert rows[20]["workdays_left"] == -monday_to_friday(dt.date(2099, 7, 31), dt.date(2099, 9, 30))
    table = cli("status", "--root", ws, "--unit", "kerqin", "--as-of", "2099-09-30", "--workdays")
    assert table.stderr.count("周一至周五") == 1
    assert "周一至周五" not in cli("status", "--root", ws, "--unit", "kerqin", "--as-of", "2099-09-30").stderr  # not asked: not said
    report = cli("report", "0805", "--root", ws, "--unit", "kerqin", "--as-of", "2099-09-30", "--format", "md", "-o", "-", "--workdays")
    assert report.exit_code == 0 and report.stderr.count("周一至周五") == 1
