"""`fazhi audit`: one test per finding (A001–A006), exit codes, and a server-side hook that
refuses a push."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from git_helpers import KERQIN, OFFICE, ZHENGFUBAN, audit_repo, commit_all, dated, git, identify, new_workspace_repo


@pytest.fixture
def repo(tmp_path: Path, cli) -> Path:
    return audit_repo(tmp_path / "ws", cli)


def findings(cli, repo, *args) -> list[dict]:
    result = cli("audit", "--root", repo, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    rows = json.loads(result.stdout)
    assert result.exit_code == (1 if rows else 0)
    return rows


def codes(rows) -> list[str]:
    return [r["code"] for r in rows]


def ledger(repo: Path) -> Path:
    return repo / "ledgers" / "kerqin.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_clean_history_passes(repo, cli):
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-07-21")).exit_code == 0
    result = cli("audit", "--root", repo)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "审计通过" in result.stdout


def test_a001_backfilled_close_out_by_hand_edit(repo, cli):
    edit(ledger(repo), "  20: {}\n", "  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n        evidence: [通政发〔2020〕10号]\n")
    sha = commit_all(repo, "补录销号", "2020-08-01")
    rows = findings(cli, repo)
    assert codes(rows) == ["A001"]
    row = rows[0]
    assert row["commit"] == sha and row["unit"] == "kerqin" and row["task"] == 20 and row["email"] == KERQIN
    assert "申请销号记为 2020-07-01，2020-08-01 才提交（晚 31 天，超过 7 天）" in row["message"]
    # Within the workspace's threshold it is not flagged; the threshold can be set per run.
    assert findings(cli, repo, "--backfill-days", "40") == []
    table = cli("audit", "--root", repo)
    assert table.exit_code == 1 and "A001" in table.stdout and "共 1 个问题" in table.stdout


def test_a001_close_out_committed_with_a_past_date(repo, cli):
    # `git commit --date` (the author date) says 2020-07-20; the commit really entered on 2020-08-20.
    result = cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-08-20", author_day="2020-07-20"))
    assert result.exit_code == 0, result.stderr
    rows = findings(cli, repo)
    assert codes(rows) == ["A001"]
    assert "晚 31 天" in rows[0]["message"] and "作者日期被设为 2020-07-20" in rows[0]["message"]
    assert rows[0]["author_date"].startswith("2020-07-20") and rows[0]["date"].startswith("2020-08-20")


def test_a002_dates_in_the_future(repo, cli):
    edit(ledger(repo), "  7: {}\n", "  7:\n    progress:\n      - date: 2020-09-01\n        note: 预先写好的进展\n")
    commit_all(repo, "进展", "2020-08-01")
    rows = findings(cli, repo)
    assert codes(rows) == ["A002"]
    assert "日期 2020-09-01 晚于提交日期 2020-08-01" in rows[0]["message"] and rows[0]["task"] == 7


def test_a003_edit_after_close_and_reopen_is_the_proper_way(repo, cli):
    assert cli("progress", "21", "--root", repo, "--unit", "kerqin", "--note", "聘请法律顾问", "--date", "2020-06-01", env=dated("2020-06-01")).exit_code == 0
    assert cli("close", "21", "--root", repo, "--unit", "kerqin", "--evidence", "通人社发〔2020〕6号", "--date", "2020-06-20", env=dated("2020-06-20")).exit_code == 0
    identify(repo, OFFICE, "依法治市办")
    assert cli("confirm", "21", "--root", repo, "--unit", "kerqin", "--date", "2020-06-22", env=dated("2020-06-22")).exit_code == 0
    identify(repo, KERQIN, "张三")
    assert findings(cli, repo) == []
    edit(ledger(repo), "note: 聘请法律顾问", "note: 聘请了两名法律顾问")
    edited = commit_all(repo, "改说明", "2020-06-25")
    rows = findings(cli, repo)
    # The closed entry was changed (A003) by rewriting a progress note (A004: the log is append-only).
    assert codes(rows) == ["A004", "A003"] and {r["commit"] for r in rows} == {edited} and rows[1]["task"] == 21
    assert "已于 2020-06-22 销号，未经重新打开即被修改" in rows[1]["message"] and "聘请了两名法律顾问" in rows[1]["message"]
    # Reopening first (by a reviewer), then adding to the entry, is not flagged.
    identify(repo, OFFICE, "依法治市办")
    assert cli("reopen", "21", "--root", repo, "--unit", "kerqin", "--reason", "补充材料", "--date", "2020-06-26", env=dated("2020-06-26")).exit_code == 0
    identify(repo, KERQIN, "张三")
    assert cli("progress", "21", "--root", repo, "--unit", "kerqin", "--note", "补充意见书", "--date", "2020-06-27", env=dated("2020-06-27")).exit_code == 0
    assert codes(findings(cli, repo)) == ["A004", "A003"]


def test_a004_entries_and_records_that_vanish(repo, cli):
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-07-20")).exit_code == 0
    identify(repo, OFFICE, "依法治市办")
    assert cli("reject", "20", "--root", repo, "--unit", "kerqin", "--reason", "材料不全", "--date", "2020-07-21", env=dated("2020-07-21")).exit_code == 0
    identify(repo, KERQIN, "张三")
    # The clerk deletes the rejection from the log, and the whole entry of task 21.
    text = ledger(repo).read_text(encoding="utf-8")
    start = text.index("      - date: 2020-07-21")
    end = text.index("  # 任务21")
    text = text[:start] + text[end:]
    text = text.replace("  21: {}\n", "")
    ledger(repo).write_text(text, encoding="utf-8")
    sha = commit_all(repo, "整理", "2020-07-22")
    rows = findings(cli, repo)
    assert sorted((r["code"], r["task"]) for r in rows) == [("A004", 20), ("A004", 21)]
    assert all(r["commit"] == sha for r in rows)
    assert any("删除销号记录：2020-07-21 退回" in r["message"] for r in rows)
    # A deleted ledger vanishes too.
    git(repo, "rm", "-q", "ledgers/kerqin.yaml")
    commit_all(repo, "删除台账", "2020-07-23")
    rows = findings(cli, repo, "--since", "2020-07-23")
    assert codes(rows) == ["A004"] and rows[0]["task"] is None and "台账被删除" in rows[0]["message"]


def test_a005_authors_not_listed_for_the_unit(repo, cli):
    # The commands refuse these (R214/R215); hand edits committed by the same people are found.
    identify(repo, "stranger@example.com", "王某")
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "代填", "--date", "2020-03-10").exit_code == 1
    edit(ledger(repo), "  7: {}\n", "  7:\n    progress:\n      - date: 2020-03-10\n        note: 代填\n")
    stranger = commit_all(repo, "代填", "2020-03-10")
    # The lead unit (政府办 leads task 20) may confirm a close-out; it may not write progress.
    identify(repo, KERQIN, "张三")
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-07-20")).exit_code == 0
    identify(repo, ZHENGFUBAN, "政府办")
    assert cli("confirm", "20", "--root", repo, "--unit", "kerqin", "--date", "2020-07-21", env=dated("2020-07-21")).exit_code == 0
    edit(ledger(repo), "  21: {}\n", "  21:\n    progress:\n      - date: 2020-07-21\n        note: 代填\n")
    lead = commit_all(repo, "代填", "2020-07-21")
    # The office reviews every ledger but does not keep a unit's ledger for it (e-mail case does not matter).
    identify(repo, OFFICE.upper(), "依法治市办")
    edit(ledger(repo), "  22: {}\n", "  22:\n    progress:\n      - date: 2020-07-22\n        note: 督办\n")
    office = commit_all(repo, "督办", "2020-07-22")
    rows = findings(cli, repo)
    assert [(r["code"], r["email"], r["task"], r["commit"]) for r in rows] == [
        ("A005", "stranger@example.com", 7, stranger),
        ("A005", ZHENGFUBAN, 21, lead),
        ("A005", OFFICE.upper(), 22, office),
    ]
    assert "stranger@example.com 不是科尔沁区的编辑人员，不能填报其台账；科尔沁区的编辑人员：k@kerqin.gov.cn" in rows[0]["message"]


def test_a005_a_unit_confirming_its_own_close_out(repo, cli):
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20", env=dated("2020-07-20")).exit_code == 0
    refused = cli("confirm", "20", "--root", repo, "--unit", "kerqin", "--date", "2020-07-21")
    assert refused.exit_code == 1 and "R215" in refused.stderr and OFFICE in refused.stderr and ZHENGFUBAN in refused.stderr
    text = ledger(repo).read_text(encoding="utf-8")
    ledger(repo).write_text(text.replace("          - 通政发〔2020〕9号\n", "          - 通政发〔2020〕9号\n      - date: 2020-07-21\n        action: confirm\n", 1), encoding="utf-8")
    sha = commit_all(repo, "确认", "2020-07-21")
    rows = findings(cli, repo)
    assert [(r["code"], r["task"], r["commit"]) for r in rows] == [("A005", 20, sha)]
    assert "是科尔沁区的编辑人员，不能审核本单位的销号或延期" in rows[0]["message"]


def test_a005_uses_the_editors_listed_before_the_commit(repo, cli):
    # Someone adds themself to the unit's editors and edits the ledger in the same commit.
    identify(repo, "stranger@example.com", "王某")
    edit(repo / "data" / "units.yaml", f"editors: [{KERQIN}]", f"editors: [{KERQIN}, stranger@example.com]")
    edit(ledger(repo), "  7: {}\n", "  7:\n    claimed: 2020-03-10\n")
    commit_all(repo, "加人并修改", "2020-03-10")
    assert sorted(codes(findings(cli, repo))) == ["A005", "A006"]
    # From the next commit on, the new editor is listed.
    edit(ledger(repo), "claimed: 2020-03-10", "claimed: 2020-03-11")
    commit_all(repo, "改日期", "2020-03-11")
    assert sorted(codes(findings(cli, repo))) == ["A005", "A006"]


def test_a006_plan_data_changed_by_someone_outside_the_office(repo, cli):
    edit(repo / "data" / "settings.yaml", "backfill_days: 7", "backfill_days: 60")
    sha = commit_all(repo, "放宽补录期限", "2020-04-01")
    rows = findings(cli, repo)
    assert [(r["code"], r["commit"], r["path"]) for r in rows] == [("A006", sha, "data/settings.yaml")]
    assert findings(cli, repo, "--unit", "kerqin") == []


def test_without_editors_authors_are_not_checked(tmp_path, cli):
    repo = new_workspace_repo(tmp_path / "ws", email="anyone@example.com")
    assert cli("init", "--root", repo, "--unit", "kerqin", env=dated("2020-03-02")).exit_code == 0
    result = cli("audit", "--root", repo)
    assert result.exit_code == 0 and "没有登记任何编辑人员" in result.stderr


def test_range_limits_the_audit_to_new_commits(repo, cli):
    edit(ledger(repo), "  20: {}\n", "  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n        evidence: [通政发〔2020〕10号]\n")
    old = commit_all(repo, "补录销号", "2020-08-01")
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "按时", "--date", "2020-08-02", env=dated("2020-08-02")).exit_code == 0
    assert codes(findings(cli, repo)) == ["A001"]
    assert findings(cli, repo, "--range", f"{old}..HEAD") == []
    assert codes(findings(cli, repo, "--range", f"{old}~1..HEAD")) == ["A001"]
    assert findings(cli, repo, "--since", "2020-08-02") == []


HOOK = """#!/bin/sh
# pre-receive: refuse pushes whose new commits fazhi audit flags
status=0
while read old new ref; do
  case "$new" in 0000000000000000000000000000000000000000) continue;; esac
  case "$old" in 0000000000000000000000000000000000000000) range="$new";; *) range="$old..$new";; esac
  "{python}" -m fazhi_cli audit --range "$range" || status=1
done
exit $status
"""


def test_server_side_hook_refuses_a_backfilled_close_out(repo, cli, tmp_path):
    central = tmp_path / "central.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(central))
    git(repo, "remote", "add", "origin", str(central))
    git(repo, "push", "-q", "origin", "main")
    hook = central / "hooks" / "pre-receive"
    hook.write_text(HOOK.replace("{python}", sys.executable), encoding="utf-8")
    hook.chmod(0o755)

    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "按时", "--date", "2020-08-02", env=dated("2020-08-02")).exit_code == 0
    git(repo, "push", "-q", "origin", "main")

    edit(ledger(repo), "  20: {}\n", "  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n        evidence: [通政发〔2020〕10号]\n")
    commit_all(repo, "补录销号", "2020-08-03")
    push = subprocess.run(["git", "push", "origin", "main"], cwd=repo, capture_output=True, text=True, encoding="utf-8")
    assert push.returncode != 0
    assert "A001" in push.stderr and "pre-receive hook declined" in push.stderr
    assert git(central, "rev-parse", "main").strip() != git(repo, "rev-parse", "HEAD").strip()
    # The bare repository can be audited and read directly too.
    result = cli("history", "--root", central, "--format", "json")
    assert result.exit_code == 0 and {r["action"] for r in json.loads(result.stdout)} == {"init", "progress"}


def test_shallow_clone_skips_the_commits_it_cannot_compare(repo, cli, tmp_path):
    edit(ledger(repo), "  20: {}\n", "  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n        evidence: [通政发〔2020〕10号]\n")
    commit_all(repo, "补录销号", "2020-08-01")
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "按时", "--date", "2020-08-02", env=dated("2020-08-02")).exit_code == 0
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow))
    result = cli("audit", "--root", shallow)
    assert result.exit_code == 0 and "浅克隆" in result.stderr and "fetch --unshallow" in result.stderr
    git(shallow, "fetch", "-q", "--unshallow")
    assert codes(findings(cli, shallow)) == ["A001"]
