"""One rule set for every path into a ledger: each rule is refused on the command path (exit 1,
a stable code, not a byte changed) and reported on the hand-edit path (`fazhi check`: code and line).

Rules: the 销号 state machine and its dates (E307, E312–E316), evidence (R205/E317, E305), values
(R207/E318, E103), one file per unit and one entry per task (E302, E309–E311, R105), dates in the
plan year (R206/E319, W304 after it).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


def snapshot(ws: Path) -> dict[str, str]:
    return {
        p.relative_to(ws).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def refused(cli, ws, *args, code: str, text: str | None = None):
    """The command is refused with `code` (and `text`), and nothing in the workspace changed."""
    before = snapshot(ws)
    result = cli(*args, "--root", ws)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f" {code} " in result.stderr, result.stderr
    if text:
        assert text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(ws) == before
    return result


def ok(cli, ws, *args):
    result = cli(*args, "--root", ws)
    assert result.exit_code == 0, result.stderr
    return result


def hand_written(ws: Path, text: str, unit: str = "kerqin", suffix: str = ".yaml") -> Path:
    path = ws / "ledgers" / f"{unit}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def check_codes(cli, ws) -> list[tuple[str, str, int | None]]:
    result = cli("check", "--root", ws, "--format", "json")
    problems = json.loads(result.stdout)
    return [(p["code"], p["path"], p["line"]) for p in problems]


def has(cli, ws, code: str, line: int, path: str = "ledgers/kerqin.yaml"):
    found = check_codes(cli, ws)
    assert (code, path, line) in found, found


# --- the 销号 state machine ---------------------------------------------------------------------


def test_apply_needs_evidence_command(ws, cli):
    refused(cli, ws, "close", "20", "--unit", "kerqin", "--date", "2020-07-20", code="R204")


def test_apply_without_evidence_then_confirm_by_hand(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks:\n  20:\n    log:\n      - {date: 2020-07-20, action: apply}\n      - {date: 2020-07-21, action: confirm}\n")
    has(cli, ws, "E312", 5)


def test_confirm_and_reject_follow_an_apply(ws, cli):
    refused(cli, ws, "confirm", "20", "--unit", "kerqin", "--date", "2020-07-20", code="R202")
    refused(cli, ws, "reject", "20", "--unit", "kerqin", "--reason", "缺材料", "--date", "2020-07-20", code="R202")
    hand_written(ws, "unit: kerqin\ntasks:\n  20:\n    log:\n      - {date: 2020-07-21, action: confirm}\n")
    has(cli, ws, "E307", 5)


def test_close_only_where_review_is_off(ws, cli):
    ok(cli, ws, "close", "20", "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20")
    assert "action: apply" in (ws / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")
    hand_written(ws, "unit: kerqin\ntasks:\n  20:\n    log:\n      - {date: 2020-07-20, action: close, evidence: [通政发〔2020〕3号]}\n")
    has(cli, ws, "E313", 5)


def test_reopen_follows_a_close(ws, cli):
    ok(cli, ws, "close", "20", "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20")
    refused(cli, ws, "reopen", "20", "--unit", "kerqin", "--reason", "复查", "--date", "2020-07-21", code="R202")
    hand_written(
        ws,
        "unit: kerqin\ntasks:\n  20:\n    log:\n      - {date: 2020-07-20, action: apply, evidence: [通政发〔2020〕3号]}\n"
        "      - {date: 2020-07-21, action: reopen, note: 复查}\n",
    )
    has(cli, ws, "E307", 6)


def test_dates_never_go_backwards_in_the_log(ws, cli):
    ok(cli, ws, "close", "20", "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20")
    refused(cli, ws, "confirm", "20", "--unit", "kerqin", "--date", "2020-07-10", code="E314")
    hand_written(
        ws,
        "unit: kerqin\ntasks:\n  20:\n    log:\n      - {date: 2020-07-20, action: apply, evidence: [通政发〔2020〕3号]}\n"
        "      - {date: 2020-07-10, action: confirm}\n",
    )
    has(cli, ws, "E314", 6)


def test_extension_requested_before_the_deadline(ws, cli):
    refused(cli, ws, "extend", "request", "16", "--unit", "kerqin", "--new-due", "2020-09-30", "--reason", "合同未签", "--date", "2020-08-01", code="R208")
    hand_written(ws, "unit: kerqin\ntasks:\n  16:\n    extensions:\n      - {requested: 2020-08-01, reason: 合同未签, new_due: 2020-09-30}\n")
    has(cli, ws, "E316", 5)


def test_extension_decided_after_its_request(ws, cli):
    ok(cli, ws, "extend", "request", "16", "--unit", "kerqin", "--new-due", "2020-09-30", "--reason", "合同未签", "--date", "2020-07-10")
    refused(cli, ws, "extend", "approve", "16", "--unit", "kerqin", "--date", "2020-07-05", code="R208")
    hand_written(
        ws,
        "unit: kerqin\ntasks:\n  16:\n    extensions:\n      - requested: 2020-07-10\n        reason: 合同未签\n        new_due: 2020-09-30\n"
        "        decision: approved\n        decided: 2020-07-05\n",
    )
    has(cli, ws, "E315", 9)


def test_a_decision_needs_a_request(ws, cli):
    refused(cli, ws, "extend", "approve", "16", "--unit", "kerqin", "--date", "2020-07-05", code="R202")
    hand_written(
        ws,
        "unit: kerqin\ntasks:\n  16:\n    extensions:\n      - requested: 2020-07-10\n        reason: 合同未签\n        new_due: 2020-09-30\n"
        "        decided: 2020-07-12\n",
    )
    has(cli, ws, "E315", 5)


# --- dates in the plan's year ----------------------------------------------------------------


@pytest.mark.parametrize(("day", "text"), [("2019-12-31", "早于方案年度"), ("0001-01-01", "超出可用范围"), ("9999-12-31", "超出可用范围")])
def test_dates_before_the_plan_year_or_out_of_range_are_refused(ws, cli, day, text):
    refused(cli, ws, "progress", "20", "--unit", "kerqin", "--note", "部署", "--date", day, code="R206", text=text)


def test_reopen_dated_before_the_plan_year_is_refused(ws, cli):
    ok(cli, ws, "close", "20", "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20")
    ok(cli, ws, "confirm", "20", "--unit", "kerqin", "--date", "2020-07-21")
    refused(cli, ws, "reopen", "20", "--unit", "kerqin", "--reason", "复查", "--date", "2019-01-01", code="R206")


def test_hand_written_date_before_the_plan_year_is_an_error(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks:\n  20:\n    progress:\n      - {date: 2019-12-31, note: 部署}\n")
    has(cli, ws, "E319", 5)
    assert cli("check", "--root", ws).exit_code == 1


def test_hand_written_date_after_the_plan_year_is_a_warning(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks:\n  20:\n    progress:\n      - {date: 2021-01-04, note: 补充材料}\n")
    has(cli, ws, "W304", 5)
    assert cli("check", "--root", ws).exit_code == 0
    assert cli("check", "--root", ws, "--strict").exit_code == 1


# --- evidence ------------------------------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["无", "-", "见附件", "权责清单", "www", "http://"])
def test_placeholder_evidence_is_refused(ws, cli, placeholder):
    result = refused(cli, ws, "close", "16", "--unit", "kerqin", "--evidence", placeholder, "--date", "2020-07-20", code="R205")
    assert "文号" in result.stderr and "网址" in result.stderr  # says what is accepted


@pytest.mark.parametrize("placeholder", ["无", "见附件", "权责清单"])
def test_placeholder_evidence_by_hand(ws, cli, placeholder):
    hand_written(ws, f"unit: kerqin\ntasks:\n  16:\n    progress:\n      - date: 2020-07-01\n        note: 部署\n        evidence: [{placeholder}]\n")
    has(cli, ws, "E317", 7)


@pytest.mark.parametrize("text", ["通司发〔2020〕12号", "通政办发[2020]3号", "https://www.tongliao.gov.cn/a", "www.tongliao.gov.cn/a"])
def test_document_numbers_and_urls_are_evidence(ws, cli, text):
    ok(cli, ws, "close", "16", "--unit", "kerqin", "--evidence", text, "--date", "2020-07-20")
    assert [c for c in check_codes(cli, ws) if c[0].startswith("E")] == []


def test_document_number_pattern_comes_from_settings(ws, cli):
    settings = ws / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "document_number: '^[A-Z]{2}-\\d+$'\n", encoding="utf-8")
    ok(cli, ws, "close", "16", "--unit", "kerqin", "--evidence", "TL-2020", "--date", "2020-07-20")
    refused(cli, ws, "progress", "20", "--unit", "kerqin", "--note", "x", "--evidence", "通司发〔2020〕12号", "--date", "2020-07-20", code="R205")


def test_hand_written_path_is_checked_as_a_path(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks:\n  16:\n    progress:\n      - date: 2020-07-01\n        note: 部署\n        evidence:\n          - evidence/kerqin/规划.pdf\n")
    has(cli, ws, "E305", 8)
    (ws / "evidence" / "kerqin").mkdir(parents=True)
    (ws / "evidence" / "kerqin" / "规划.pdf").write_bytes(b"%PDF")
    codes = check_codes(cli, ws)
    assert ("E305", "ledgers/kerqin.yaml", 8) not in codes and ("W302", "ledgers/kerqin.yaml", 8) in codes


@pytest.mark.parametrize("path", ["README.md", "data/tasks.yaml", "ledgers/kailu.yaml", "evidence/kailu/a.pdf"])
def test_only_the_units_own_evidence_folder(ws, cli, path):
    (ws / "README.md").write_text("说明\n", encoding="utf-8")
    (ws / "evidence" / "kailu").mkdir(parents=True)
    (ws / "evidence" / "kailu" / "a.pdf").write_bytes(b"%PDF")
    hand_written(ws, "unit: kailu\ntasks: {}\n", unit="kailu")
    refused(cli, ws, "close", "16", "--unit", "kerqin", "--evidence", path, "--date", "2020-07-20", code="R205", text="evidence/kerqin/")
    hand_written(ws, f"unit: kerqin\ntasks:\n  16:\n    progress:\n      - date: 2020-07-01\n        note: 部署\n        evidence: [{{path: {path}}}]\n")
    has(cli, ws, "E317", 7)


def test_shared_evidence_folder_from_settings(ws, cli):
    settings = ws / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "shared_evidence: [evidence/shared]\n", encoding="utf-8")
    (ws / "evidence" / "shared").mkdir(parents=True)
    (ws / "evidence" / "shared" / "通知.pdf").write_bytes(b"%PDF")
    ok(cli, ws, "close", "16", "--unit", "kerqin", "--evidence", "evidence/shared/通知.pdf", "--date", "2020-07-20")
    assert [c for c in check_codes(cli, ws) if c[0].startswith("E")] == []


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["150", "-5", "nan", "inf", "1e308", "-0.1", "abc"])
def test_bad_rates_are_refused(ws, cli, value):
    refused(cli, ws, "record", "18", "--unit", "市场监管局", "--value", value, "--date", "2020-06-30", code="R207")


def test_bad_time_limit_is_refused(ws, cli):
    refused(cli, ws, "record", "10", "--unit", "市场监管局", "--value", "1e308", "--date", "2020-06-30", code="R207")
    refused(cli, ws, "record", "10", "--unit", "市场监管局", "--value", "4%", "--date", "2020-06-30", code="R207")
    ok(cli, ws, "record", "10", "--unit", "市场监管局", "--value", "4", "--date", "2020-06-30")


def test_percent_sign_is_read(ws, cli):
    ok(cli, ws, "record", "18", "--unit", "市场监管局", "--value", "86.5%", "--date", "2020-06-30")
    rows = json.loads(cli("status", "--root", ws, "--unit", "市场监管局", "--as-of", "2020-07-01", "--format", "json").stdout)
    (row,) = [r for r in rows if r["task"] == 18]
    assert row["target"]["items"][0]["actual"] == 86.5 and row["target"]["met"]


def test_bad_values_by_hand(ws, cli):
    hand_written(
        ws,
        "unit: shichangju\ntasks:\n  18:\n    records:\n      - {target: random-inspection, date: 2020-06-30, value: 150}\n"
        "      - {target: random-inspection, date: 2020-07-01, value: -5}\n",
        unit="shichangju",
    )
    has(cli, ws, "E318", 5, "ledgers/shichangju.yaml")
    has(cli, ws, "E318", 6, "ledgers/shichangju.yaml")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_by_hand_makes_the_ledger_invalid_and_json_stays_strict(ws, cli, value):
    hand_written(ws, f"unit: shichangju\ntasks:\n  18:\n    records:\n      - {{target: random-inspection, date: 2020-06-30, value: {value}}}\n", unit="shichangju")
    has(cli, ws, "E103", 5, "ledgers/shichangju.yaml")
    result = cli("status", "--root", ws, "--unit", "市场监管局", "--as-of", "2020-07-01", "--format", "json")
    json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert "nan" not in cli("status", "--root", ws, "--as-of", "2020-07-01").stdout.lower()


# --- one file per unit, one entry per task -------------------------------------------------


def test_yml_beside_yaml(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks: {}\n")
    hand_written(ws, "unit: kerqin\ntasks: {}\n", suffix=".yml")
    codes = check_codes(cli, ws)
    assert ("E309", "ledgers/kerqin.yaml", 1) in codes and ("E309", "ledgers/kerqin.yml", 1) in codes
    refused(cli, ws, "progress", "20", "--unit", "kerqin", "--note", "部署", "--date", "2020-07-01", code="R105")
    refused(cli, ws, "init", "--unit", "kerqin", code="E309")


def test_unit_differs_from_file_name(ws, cli):
    hand_written(ws, "unit: kailu\ntasks: {}\n")
    has(cli, ws, "E302", 1)
    refused(cli, ws, "progress", "20", "--unit", "kerqin", "--note", "部署", "--date", "2020-07-01", code="R105")


@pytest.mark.parametrize("other", ['"7"', '"07"', '"7 "'])
def test_two_keys_for_one_task(ws, cli, other):
    hand_written(ws, f"unit: kerqin\ntasks:\n  7:\n    progress:\n      - {{date: 2020-03-01, note: 部署}}\n  {other}:\n    claimed: 2020-03-02\n")
    has(cli, ws, "E310", 6)
    refused(cli, ws, "confirm", "7", "--unit", "kerqin", "--date", "2020-07-01", code="R105")


def test_null_task_entry(ws, cli):
    hand_written(ws, "unit: kerqin\ntasks:\n  7: ~\n")
    has(cli, ws, "E311", 3)
    refused(cli, ws, "progress", "7", "--unit", "kerqin", "--note", "部署", "--date", "2020-03-01", code="R105")
