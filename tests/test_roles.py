"""Roles (engine/roles.py) on the command path: who may fill in, apply, confirm, reject, reopen and
decide extensions; each refusal has its code, names who may, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_helpers import KERQIN, OFFICE, ZHENGFUBAN, git, identify, new_workspace_repo
from conftest import beyond_the_plan

KAILU = "kl@kailu.gov.cn"
TASK = 20  # led by 政府办 (zhengfuban); carried by 科尔沁区 and 开鲁县


@pytest.fixture
def repo(tmp_path: Path, cli) -> Path:
    ws = new_workspace_repo(tmp_path / "ws", email=OFFICE, editors={"kerqin": [KERQIN], "kailu": [KAILU], "zhengfuban": [ZHENGFUBAN], "office": [OFFICE]})
    assert cli("init", "--root", ws).exit_code == 0
    return ws


def as_(repo: Path, email: str) -> None:
    identify(repo, email, email.split("@")[0])


def ledger_text(repo: Path, unit: str = "kerqin") -> str:
    return (repo / "ledgers" / f"{unit}.yaml").read_text(encoding="utf-8")


def refused(cli, repo: Path, code: str, *args: str) -> str:
    before = {p.name: p.read_bytes() for p in (repo / "ledgers").glob("*.yaml")}
    head = git(repo, "rev-parse", "HEAD")
    result = cli(*args, "--root", repo)
    assert result.exit_code == 1, result.stderr
    assert f"错误 {code} " in result.stderr, result.stderr
    assert {p.name: p.read_bytes() for p in (repo / "ledgers").glob("*.yaml")} == before
    assert git(repo, "rev-parse", "HEAD") == head
    return result.stderr


def apply(cli, repo: Path, unit: str = "kerqin") -> None:
    as_(repo, KERQIN if unit == "kerqin" else KAILU)
    assert cli("close", str(TASK), "-u", unit, "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", "--root", repo).exit_code == 0


def test_a_unit_fills_in_its_own_ledger_and_records_its_identity(repo, cli):
    as_(repo, KERQIN)
    result = cli("close", str(TASK), "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", "--by", "王五", "--root", repo)
    assert result.exit_code == 0, result.stderr
    text = ledger_text(repo)
    assert f"by: {KERQIN}" in text and "name: 王五" in text


def test_r214_another_units_ledger(repo, cli):
    as_(repo, KAILU)
    message = refused(cli, repo, "R214", "progress", str(TASK), "-u", "kerqin", "--note", "代填", "--date", "2020-07-01")
    assert f"{KAILU} 不是科尔沁区的编辑人员" in message and KERQIN in message


def test_r214_the_office_does_not_fill_in_for_a_unit(repo, cli):
    as_(repo, OFFICE)
    refused(cli, repo, "R214", "close", str(TASK), "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20")


@pytest.mark.parametrize("command", [("confirm",), ("reject", "--reason", "材料不全")], ids=["confirm", "reject"])
def test_r215_a_unit_never_reviews_itself(repo, cli, command):
    apply(cli, repo)
    message = refused(cli, repo, "R215", *command, str(TASK), "-u", "kerqin", "--date", "2020-07-21")
    assert "不能审核本单位" in message and OFFICE in message and ZHENGFUBAN in message


def test_r216_a_unit_that_does_not_lead_the_task(repo, cli):
    apply(cli, repo)
    as_(repo, KAILU)
    message = refused(cli, repo, "R216", "confirm", str(TASK), "-u", "kerqin", "--date", "2020-07-21")
    assert f"{KAILU} 不是任务 {TASK} 的审核人" in message


def test_the_lead_unit_and_the_office_review(repo, cli):
    apply(cli, repo)
    as_(repo, ZHENGFUBAN)
    assert cli("reject", str(TASK), "-u", "kerqin", "--reason", "材料不全", "--date", "2020-07-21", "--root", repo).exit_code == 0
    as_(repo, KERQIN)
    assert cli("close", str(TASK), "-u", "kerqin", "--evidence", "通政发〔2020〕10号", "--date", "2020-07-22", "--root", repo).exit_code == 0
    as_(repo, OFFICE)
    assert cli("confirm", str(TASK), "-u", "kerqin", "--date", "2020-07-23", "--root", repo).exit_code == 0
    text = ledger_text(repo)
    assert f"action: reject\n        by: {ZHENGFUBAN}" in text and f"action: confirm\n        by: {OFFICE}" in text
    assert cli("audit", "--root", repo, "--format", "json", "--backfill-days", "100000").stdout.strip() == "[]"


def test_review_by_office_leaves_the_lead_unit_out(repo, cli):
    settings = repo / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("review_required: true", "review_required: true\nreview_by: office"), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "只由依法治市办审核")
    apply(cli, repo)
    as_(repo, ZHENGFUBAN)
    message = refused(cli, repo, "R216", "confirm", str(TASK), "-u", "kerqin", "--date", "2020-07-21")
    assert ZHENGFUBAN not in message.split("应由")[1]
    as_(repo, OFFICE)
    assert cli("confirm", str(TASK), "-u", "kerqin", "--date", "2020-07-21", "--root", repo).exit_code == 0


def test_extension_requested_by_the_unit_decided_by_a_reviewer(repo, cli):
    as_(repo, KERQIN)
    assert cli("extend", "request", str(TASK), "-u", "kerqin", "--new-due", "2020-09-30", "--reason", "合同未签", "--date", "2020-07-01", "--root", repo).exit_code == 0
    refused(cli, repo, "R215", "extend", "approve", str(TASK), "-u", "kerqin", "--date", "2020-07-02")
    as_(repo, KAILU)
    refused(cli, repo, "R216", "extend", "approve", str(TASK), "-u", "kerqin", "--date", "2020-07-02")
    as_(repo, OFFICE)
    assert cli("extend", "approve", str(TASK), "-u", "kerqin", "--date", "2020-07-02", "--by", "张三", "--root", repo).exit_code == 0
    text = ledger_text(repo)
    assert f"decided_by: {OFFICE}" in text and "decided_name: 张三" in text


def test_r213_no_identity_when_roles_are_configured(repo, cli):
    git(repo, "config", "--unset", "user.email")
    message = refused(cli, repo, "R213", "progress", str(TASK), "-u", "kerqin", "--note", "进展", "--date", "2020-07-01")
    assert "git config user.email" in message


def test_fazhi_user_is_the_identity_a_server_gives(repo, cli):
    as_(repo, KAILU)
    result = cli("progress", str(TASK), "-u", "kerqin", "--note", "进展", "--date", "2020-07-01", "--root", repo, env={"FAZHI_USER": KERQIN})
    assert result.exit_code == 0, result.stderr


def test_init_sets_up_only_what_the_identity_may(tmp_path, cli):
    ws = new_workspace_repo(tmp_path / "ws", email=KERQIN, editors={"kerqin": [KERQIN], "office": [OFFICE]})
    refusal = cli("init", "--root", ws)
    assert refusal.exit_code == 1 and "R214" in refusal.stderr and not list((ws / "ledgers").glob("*.yaml"))
    assert cli("init", "--unit", "kerqin", "--root", ws).exit_code == 0
    assert [p.name for p in (ws / "ledgers").glob("*.yaml")] == ["kerqin.yaml"]


def test_without_roles_anyone_may_and_check_says_so_once(tmp_path, cli):
    ws = new_workspace_repo(tmp_path / "ws", email="anyone@example.com")
    assert cli("init", "--unit", "kerqin", "--root", ws).exit_code == 0
    assert cli("close", str(TASK), "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", "--root", ws).exit_code == 0
    assert cli("confirm", str(TASK), "-u", "kerqin", "--date", "2020-07-21", "--root", ws).exit_code == 0
    problems = json.loads(cli("check", "--root", ws, "--format", "json").stdout)
    assert [p["code"] for p in beyond_the_plan(problems)] == ["W305"]


def test_w306_a_unit_left_without_editors(repo, cli):
    problems = json.loads(cli("check", "--root", repo, "--format", "json").stdout)
    w306 = [p for p in problems if p["code"] == "W306"]
    assert len(w306) == 1 and "未登记编辑人员" in w306[0]["message"] and w306[0]["path"] == "data/units.yaml"


def test_who_names_the_editors_and_reviewers(repo, cli):
    as_(repo, ZHENGFUBAN)
    result = cli("who", str(TASK), "--unit", "科区", "--root", repo)
    assert result.exit_code == 0
    assert f"科尔沁区的编辑人员（填报、申请销号、申请延期）：{KERQIN}" in result.stdout
    assert "审核人" in result.stdout and OFFICE in result.stdout and ZHENGFUBAN in result.stdout
    assert f"您（{ZHENGFUBAN}）对科尔沁区任务 {TASK} 可以：审核" in result.stdout
    data = json.loads(cli("who", str(TASK), "--unit", "kerqin", "--format", "json", "--root", repo).stdout)
    assert data["reviewers"] == sorted([OFFICE, ZHENGFUBAN]) and data["you_may_review"] and not data["you_may_edit"]
    units = json.loads(cli("units", "--unit", "kerqin", "--format", "json", "--root", repo).stdout)
    assert units[0]["editors"] == [KERQIN]
