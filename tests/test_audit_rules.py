"""`fazhi audit` A007: hand edits that break the 销号 rules (engine/rules.py) are found in the commit
that made them, under the rule's own code; a history made with the commands has none."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fazhi_cli.book.load import open_book
from fazhi_cli.engine.audit import rule_findings
from fazhi_cli.engine.history import CommitInfo, FileChange
from fazhi_cli.models.ledger import Ledger
from git_helpers import KERQIN, OFFICE, ZHENGFUBAN, audit_repo, commit_all, dated, git, identify


@pytest.fixture
def repo(tmp_path: Path, cli) -> Path:
    return audit_repo(tmp_path / "ws", cli)


def audit_rows(cli, repo, *args) -> list[dict]:
    result = cli("audit", "--root", repo, "--format", "json", *args)
    rows = json.loads(result.stdout)
    assert result.exit_code == (1 if rows else 0), result.stderr
    return rows


def a007(rows) -> list[tuple]:
    return [(r["rule"], r["unit"], r["task"], r["commit"]) for r in rows if r["code"] == "A007"]


def hand_edit(repo: Path, task: int, block: str) -> None:
    """Replace the task's empty entry (`  20: {}`) in kerqin's ledger with `block` (indented YAML)."""
    path = repo / "ledgers" / "kerqin.yaml"
    text = path.read_text(encoding="utf-8")
    old = f"  {task}: {{}}\n"
    assert old in text
    path.write_text(text.replace(old, f"  {task}:\n{block}", 1), encoding="utf-8")


def test_apply_without_evidence_then_confirm(repo, cli):
    hand_edit(
        repo,
        20,
        "    log:\n"
        "      - date: 2020-07-01\n        action: apply\n"
        "      - date: 2020-07-02\n        action: confirm\n",
    )
    sha = commit_all(repo, "销号", "2020-07-03")
    rows = audit_rows(cli, repo)
    # The unit confirmed its own close-out, too: that is A005 (engine/roles.py), beside the rule.
    assert [r["code"] for r in rows] == ["A005", "A007"] and a007(rows) == [("E312", "kerqin", 20, sha)]
    assert "不能审核本单位的销号" in rows[0]["message"]
    row = rows[1]
    assert row["code"] == "A007" and row["title"] == "违反销号规则" and row["path"] == "ledgers/kerqin.yaml"
    assert row["message"].startswith("E312 2020-07-01 的“申请销号”没有佐证材料")
    assert "科尔沁区 任务20，tasks.20.log[0]" in row["message"]
    # The same rule, the same code, as `fazhi check` says of the work tree.
    check = cli("check", "--root", repo)
    assert "E312" in check.stdout + check.stderr


def test_close_alone_where_review_is_required(repo, cli):
    hand_edit(repo, 20, "    log:\n      - date: 2020-07-01\n        action: close\n        evidence: [通政发〔2020〕9号]\n")
    sha = commit_all(repo, "直接销号", "2020-07-02")
    rows = audit_rows(cli, repo)
    assert [r["code"] for r in rows] == ["A007"] and a007(rows) == [("E313", "kerqin", 20, sha)]
    assert "未经审核" in rows[0]["message"] and "tasks.20.log[0].action" in rows[0]["message"]


def test_confirm_dated_before_its_apply(repo, cli):
    assert cli("close", "21", "--root", repo, "--unit", "kerqin", "--evidence", "通人社发〔2020〕6号", "--date", "2020-06-20", env=dated("2020-06-20")).exit_code == 0
    path = repo / "ledgers" / "kerqin.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  # 任务22", "      - date: 2020-06-15\n        action: confirm\n  # 任务22", 1), encoding="utf-8")
    identify(repo, OFFICE, "依法治市办")  # a reviewer's hand edit: only the rule is broken
    sha = commit_all(repo, "确认", "2020-06-21")
    rows = audit_rows(cli, repo)
    assert [r["code"] for r in rows] == ["A007"] and a007(rows) == [("E314", "kerqin", 21, sha)]
    assert "2020-06-15 的“确认销号”早于前一条销号记录（2020-06-20）" in rows[0]["message"]


def test_extension_approved_before_it_was_requested(repo, cli):
    hand_edit(
        repo,
        16,
        "    extensions:\n"
        "      - requested: 2020-07-10\n        reason: 合同未签\n        new_due: 2020-09-30\n"
        "        decision: approved\n        decided: 2020-07-05\n        decided_by: 依法治市办\n",
    )
    sha = commit_all(repo, "延期", "2020-07-11")
    rows = audit_rows(cli, repo)
    assert [r["code"] for r in rows] == ["A007"] and a007(rows) == [("E315", "kerqin", 16, sha)]
    assert "审批日期 2020-07-05 早于申请日期 2020-07-10" in rows[0]["message"]


def test_reopen_dated_in_the_year_before_the_plan(repo, cli):
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-07-20")).exit_code == 0
    identify(repo, OFFICE, "依法治市办")
    assert cli("confirm", "20", "--root", repo, "--unit", "kerqin", "--date", "2020-07-21", env=dated("2020-07-21")).exit_code == 0
    assert audit_rows(cli, repo) == []
    path = repo / "ledgers" / "kerqin.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  # 任务21", "      - date: 2019-01-01\n        action: reopen\n        note: 补充材料\n  # 任务21", 1), encoding="utf-8")
    sha = commit_all(repo, "重新打开", "2020-07-25")
    rows = audit_rows(cli, repo)
    # Out of order in the log, and before the plan's year (which no command would have written);
    # and, like every dated item, a reopening recorded long after its date is a backfill (A001).
    assert [r["code"] for r in rows] == ["A001", "A007", "A007"]
    assert "重新打开记为 2019-01-01，2020-07-25 才提交" in rows[0]["message"]
    assert sorted(a007(rows)) == [("E314", "kerqin", 20, sha), ("E319", "kerqin", 20, sha)]
    assert any("日期 2019-01-01 早于方案年度（2020年）" in r["message"] for r in rows)


def test_violations_already_on_record_are_not_reported_again(repo, cli):
    hand_edit(repo, 20, "    log:\n      - date: 2020-07-01\n        action: apply\n")
    first = commit_all(repo, "销号", "2020-07-02")
    # A later hand edit adds to the same entry (the commands refuse to write to a ledger with
    # errors); the missing evidence is the first commit's finding only.
    path = repo / "ledgers" / "kerqin.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    log:\n", "    progress:\n      - date: 2020-07-03\n        note: 补充说明\n    log:\n", 1), encoding="utf-8")
    commit_all(repo, "补充", "2020-07-03")
    rows = audit_rows(cli, repo)
    assert a007(rows) == [("E312", "kerqin", 20, first)]
    assert audit_rows(cli, repo, "--since", "2020-07-03") == []


def test_judged_by_the_plan_as_committed_then(repo, cli):
    settings = repo / "data" / "settings.yaml"
    identify(repo, OFFICE, "依法治市办")
    settings.write_text(settings.read_text(encoding="utf-8").replace("review_required: true", "review_required: false"), encoding="utf-8")
    commit_all(repo, "取消审核", "2020-07-01")
    identify(repo, KERQIN, "张三")
    hand_edit(repo, 20, "    log:\n      - date: 2020-07-02\n        action: close\n        evidence: [通政发〔2020〕9号]\n")
    commit_all(repo, "直接销号", "2020-07-02")
    # Review is required again from now on: the close was allowed when it was committed.
    identify(repo, OFFICE, "依法治市办")
    settings.write_text(settings.read_text(encoding="utf-8").replace("review_required: false", "review_required: true"), encoding="utf-8")
    commit_all(repo, "恢复审核", "2020-07-03")
    assert audit_rows(cli, repo) == []
    identify(repo, KERQIN, "张三")
    hand_edit(repo, 21, "    log:\n      - date: 2020-07-04\n        action: close\n        evidence: [通政发〔2020〕9号]\n")
    sha = commit_all(repo, "直接销号", "2020-07-04")
    assert a007(audit_rows(cli, repo)) == [("E313", "kerqin", 21, sha)]


def test_a_history_made_with_the_commands_breaks_no_rule(repo, cli):
    def run(*args, day, who=(KERQIN, "张三")):
        identify(repo, *who)
        result = cli(*args, "--root", repo, "--unit", "kerqin", env=dated(day))
        assert result.exit_code == 0, result.stdout + result.stderr

    office = (OFFICE, "依法治市办")
    # (In date order: a commit dated before its parent would be A008.)
    run("record", "2", "--target", "study", "--date", "2020-03-12", "--evidence", "通司发〔2020〕12号", day="2020-03-12")
    run("progress", "20", "--note", "开始", "--date", "2020-06-01", day="2020-06-01")
    run("close", "20", "--evidence", "通政发〔2020〕9号", "--date", "2020-06-20", day="2020-06-20")
    run("reject", "20", "--reason", "材料不全", "--date", "2020-06-21", day="2020-06-21", who=office)
    run("close", "20", "--evidence", "通政发〔2020〕12号", "--date", "2020-06-25", day="2020-06-25")
    run("confirm", "20", "--date", "2020-06-26", day="2020-06-26", who=(ZHENGFUBAN, "政府办"))
    run("reopen", "20", "--reason", "补充材料", "--date", "2020-06-28", day="2020-06-28", who=office)
    run("extend", "request", "16", "--new-due", "2020-09-30", "--reason", "合同未签", "--date", "2020-07-10", day="2020-07-10")
    run("extend", "approve", "16", "--date", "2020-07-12", day="2020-07-12", who=office)
    run("progress", "2", "--note", "次年补记", "--date", "2021-01-05", day="2021-01-05")
    rows = audit_rows(cli, repo)
    assert [r for r in rows if r["code"] == "A007"] == [] and rows == []
    result = cli("audit", "--root", repo)
    assert result.exit_code == 0 and "审计通过" in result.stdout


def test_in_a_workspace_in_a_sub_folder_of_the_repository(tmp_path, cli):
    from conftest import copy_workspace

    top = tmp_path / "city"
    ws = copy_workspace(top / "fazhi")
    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_text("unit: kerqin\ntasks:\n  20: {}\n", encoding="utf-8")
    git(top, "init", "-q", "-b", "main")
    identify(top, KERQIN, "张三")
    commit_all(top, "初始", "2020-03-01")
    ledger.write_text("unit: kerqin\ntasks:\n  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n", encoding="utf-8")
    sha = commit_all(top, "销号", "2020-07-02")
    assert a007(audit_rows(cli, ws)) == [("E312", "kerqin", 20, sha)]


def test_in_the_central_bare_repository(repo, cli, tmp_path):
    hand_edit(repo, 20, "    log:\n      - date: 2020-07-01\n        action: apply\n")
    sha = commit_all(repo, "销号", "2020-07-02")
    central = tmp_path / "central.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(central))
    assert a007(audit_rows(cli, central)) == [("E312", "kerqin", 20, sha)]


# --- the engine function, on ledgers in memory (no git) ----------------------------------------

COMMIT = CommitInfo(
    sha="0" * 39 + "1",
    parents=(),
    author_name="张三",
    author_email=KERQIN,
    author_date=dt.datetime(2020, 7, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    committer_name="张三",
    committer_email=KERQIN,
    committed=dt.datetime(2020, 7, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    subject="手工修改",
)


def kerqin(log: list[dict]) -> Ledger:
    return Ledger.model_validate({"unit": "kerqin", "tasks": {20: {"log": log}}})


def change(before: Ledger | None, after: Ledger | None, bases: list | None = None) -> FileChange:
    return FileChange("ledgers/kerqin.yaml", "kerqin", before, after, "valid", "valid", None, [], bases or [])


APPLY_BARE = {"date": "2020-07-01", "action": "apply"}
APPLY = {"date": "2020-07-01", "action": "apply", "evidence": ["通政发〔2020〕9号"]}


def test_rule_findings_are_the_violations_the_new_version_adds(ws):
    plan = open_book(ws, with_ledgers=False).plan
    # A confirm dated before its apply: new in this version.
    found = rule_findings(COMMIT, change(kerqin([APPLY]), kerqin([APPLY, {"date": "2020-06-30", "action": "confirm"}])), plan)
    assert [(f.code, f.rule, f.unit, f.task, f.commit.sha) for f in found] == [("A007", "E314", "kerqin", 20, COMMIT.sha)]
    assert found[0].message.startswith("E314 2020-06-30 的“确认销号”早于前一条销号记录（2020-07-01）")
    # A new ledger: everything in it is new.
    assert [f.rule for f in rule_findings(COMMIT, change(None, kerqin([APPLY_BARE])), plan)] == ["E312"]
    # The bad apply moves down the log (an apply and a rejection before it): not new.
    moved = kerqin([{**APPLY, "date": "2020-06-20"}, {"date": "2020-06-25", "action": "reject"}, APPLY_BARE])
    assert rule_findings(COMMIT, change(kerqin([APPLY_BARE]), moved), plan) == []
    # A second identical bad apply is new, though the first was already there.
    twice = kerqin([APPLY_BARE, {"date": "2020-07-02", "action": "reject"}, {**APPLY_BARE, "date": "2020-07-02"}])
    assert [f.rule for f in rule_findings(COMMIT, change(kerqin([APPLY_BARE]), twice), plan)] == ["E312"]
    # A merge: what either parent already had is not the merge's own.
    merged = change(kerqin([]), kerqin([APPLY_BARE]), bases=[kerqin([]), kerqin([APPLY_BARE])])
    assert rule_findings(COMMIT, merged, plan) == []
    # No plan, or a deleted ledger: nothing to judge.
    assert rule_findings(COMMIT, change(None, kerqin([APPLY_BARE])), None) == []
    assert rule_findings(COMMIT, change(kerqin([APPLY_BARE]), None), plan) == []


def test_a_write_that_creates_the_units_ledger_is_what_it_says(tmp_path, cli):
    """No `fazhi init` first: the unit's first write creates its ledger in the same commit, and
    that commit is the write it says it is (no A009 for the new file)."""
    from git_helpers import EDITORS, new_workspace_repo

    repo = new_workspace_repo(tmp_path / "ws", email=OFFICE, editors=EDITORS)
    identify(repo, KERQIN, "张三")
    assert not (repo / "ledgers" / "kerqin.yaml").exists()
    result = cli("progress", "20", "--note", "开始", "--date", "2020-03-02", "--root", repo, "--unit", "kerqin", env=dated("2020-03-02"))
    assert result.exit_code == 0, result.stderr
    assert audit_rows(cli, repo) == []
