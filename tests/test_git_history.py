"""`fazhi history`: semantic changes computed by comparing parsed ledgers before and after each
commit — CLI edits and hand edits alike, broken versions included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fazhi_cli.engine.history import diff_ledgers
from fazhi_cli.models.ledger import Ledger
from git_helpers import commit_all, dated, git, identify, new_workspace_repo


def ledger(tasks: dict) -> Ledger:
    return Ledger.model_validate({"unit": "kerqin", "tasks": tasks})


def kinds(changes) -> list[str]:
    return [c.kind for c in changes]


# --- the semantic diff (pure) ------------------------------------------------------------------


def test_diff_close_out_changes_state_and_adds_evidence():
    before = ledger({20: {"progress": [{"date": "2020-07-01", "note": "开始"}]}})
    after = ledger(
        {20: {"progress": [{"date": "2020-07-01", "note": "开始"}], "log": [{"date": "2020-07-20", "action": "apply", "by": "王五", "evidence": ["通政发〔2020〕3号"]}]}}
    )
    changes = diff_ledgers(before, after)
    assert kinds(changes) == ["state", "log_added", "evidence_added"]
    assert changes[0].message == "状态 推进中 → 待审核销号"
    assert changes[1].message == "新增销号记录：2020-07-20 申请销号（王五）（佐证 1 项）"
    assert changes[2].message == "新增佐证材料：通政发〔2020〕3号"
    assert all(c.task == 20 for c in changes)


def test_diff_items_added_edited_removed():
    before = ledger(
        {
            7: {
                "progress": [{"date": "2020-03-01", "note": "甲"}, {"date": "2020-04-01", "note": "乙"}, {"date": "2020-05-01", "note": "丙"}],
                "plan": {"leader": "张三"},
            },
            8: {"claimed": "2020-03-15"},
        }
    )
    after = ledger(
        {
            7: {
                "progress": [{"date": "2020-03-01", "note": "甲"}, {"date": "2020-04-02", "note": "乙"}, {"date": "2020-06-01", "note": "丁"}, {"date": "2020-06-02", "note": "戊"}],
                "plan": {"leader": "李四", "due": "2020-06-30"},
            },
            9: {},
        }
    )
    changes = diff_ledgers(before, after)
    assert kinds(changes) == ["plan", "progress_edited", "progress_edited", "progress_added", "entry_removed", "entry_added"]
    assert changes[0].message == "修改工作方案：分管领导 张三 → 李四；计划完成时间 2020-06-30"
    assert "日期 2020-04-01 → 2020-04-02" in changes[1].message
    assert changes[4].task == 8 and "被删除" in changes[4].message


def test_diff_extension_decision_and_removed_log():
    before = ledger(
        {
            16: {
                "extensions": [{"requested": "2020-07-20", "reason": "合同未签", "new_due": "2020-09-30"}],
                "log": [{"date": "2020-07-01", "action": "apply", "evidence": ["通政发〔2020〕9号"]}, {"date": "2020-07-02", "action": "reject", "note": "缺材料"}],
            }
        }
    )
    after = ledger(
        {
            16: {
                "extensions": [{"requested": "2020-07-20", "reason": "合同未签", "new_due": "2020-09-30", "decision": "approved", "decided": "2020-07-22", "decided_by": "依法治市办"}],
                "log": [{"date": "2020-07-01", "action": "apply", "evidence": ["通政发〔2020〕9号"]}],
            }
        }
    )
    changes = diff_ledgers(before, after)
    assert kinds(changes) == ["state", "log_removed", "extensions_edited"]
    assert changes[0].message == "状态 推进中 → 待审核销号"
    assert changes[2].message == "延期申请（2020-07-20，至 2020-09-30）审批：同意（依法治市办）"


def test_diff_new_and_deleted_ledger():
    new = ledger({1: {}, 2: {"progress": [{"date": "2020-03-01", "note": "学法"}]}})
    added = diff_ledgers(None, new)
    assert kinds(added) == ["ledger_added", "state", "progress_added"]
    assert added[0].message == "建立台账（2 项任务）"
    removed = diff_ledgers(new, None)
    assert kinds(removed) == ["ledger_removed"] and "其中 1 项有记录" in removed[0].message
    assert diff_ledgers(new, new) == []


# --- from git ---------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, cli) -> Path:
    path = new_workspace_repo(tmp_path / "ws", email="k@kerqin.gov.cn", name="张三")
    assert cli("init", "--root", path, "--unit", "kerqin", env=dated("2020-03-02")).exit_code == 0
    assert cli("init", "--root", path, "--unit", "kailu", env=dated("2020-03-02")).exit_code == 0
    return path


def history(cli, repo, *args) -> list[dict]:
    result = cli("history", "--root", repo, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_history_of_cli_and_hand_edits(repo, cli):
    kerqin = repo / "ledgers" / "kerqin.yaml"
    assert cli("progress", "20", "--root", repo, "--unit", "kerqin", "--note", "开始", "--date", "2020-07-01", env=dated("2020-07-01")).exit_code == 0
    assert cli("close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20", env=dated("2020-07-20")).exit_code == 0
    # A clerk edits the file by hand in a text editor and commits it with plain git.
    edit(kerqin, "  21: {}\n", "  21:\n    progress:\n      - date: 2020-07-25\n        note: 手工补记的进展\n        evidence: [通人社发〔2020〕6号]\n")
    git(repo, "config", "user.name", "李四")
    hand = commit_all(repo, "补记进展", "2020-07-25")

    rows = history(cli, repo)
    assert {r["unit"] for r in rows} == {"kerqin", "kailu"}
    close = [r for r in rows if r["action"] == "close"]
    assert [r["kind"] for r in close] == ["state", "log_added", "evidence_added"]
    assert close[0]["change"] == "状态 推进中 → 待审核销号" and close[0]["task"] == 20 and close[0]["unit_name"] == "科尔沁区"
    assert close[0]["date"].startswith("2020-07-20") and close[0]["author"] == "张三"
    manual = [r for r in rows if r["commit"] == hand]
    assert [r["kind"] for r in manual] == ["state", "progress_added", "evidence_added"]
    assert all(r["manual"] and r["action"] is None and r["action_label"] == "手工编辑" and r["author"] == "李四" for r in manual)
    assert manual[1]["after"] == {"date": "2020-07-25", "note": "手工补记的进展", "evidence": ["通人社发〔2020〕6号"]}

    table = cli("history", "--root", repo)
    assert table.exit_code == 0
    for text in ("日期", "作者", "单位", "任务", "操作", "变化", "销号申请", "手工编辑", "状态 推进中 → 待审核销号", "任务20 重大行政决策法定程序"):
        assert text in table.stdout, text

    # Filters: unit, task, since.
    assert {r["unit"] for r in history(cli, repo, "--unit", "开鲁县")} == {"kailu"}
    assert {r["task"] for r in history(cli, repo, "--unit", "科区", "--task", "21")} == {21}
    assert {r["commit"] for r in history(cli, repo, "--since", "2020-07-21")} == {hand}
    csv_out = cli("history", "--root", repo, "--format", "csv", "--task", "20").stdout
    assert csv_out.splitlines()[0].startswith("commit,date,author_date,author,email")
    assert cli("history", "--root", repo, "--unit", "nowhere").exit_code == 1


def test_a_commit_that_breaks_a_ledger_is_an_event_and_the_repair_compares_with_the_last_valid(repo, cli):
    kerqin = repo / "ledgers" / "kerqin.yaml"
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "梳理清单", "--date", "2020-03-10", env=dated("2020-03-10")).exit_code == 0
    good = kerqin.read_text(encoding="utf-8")
    kerqin.write_text(good.replace("  7:\n", "  7:\n\tbroken: [\n", 1), encoding="utf-8")
    broken = commit_all(repo, "手工修改（有错）", "2020-03-11")
    kerqin.write_text(good.replace("note: 梳理清单", "note: 梳理清单\n      - date: 2020-03-12\n        note: 公布清单"), encoding="utf-8")
    fixed = commit_all(repo, "改正", "2020-03-12")

    rows = history(cli, repo, "--unit", "kerqin")
    bad = [r for r in rows if r["commit"] == broken]
    assert len(bad) == 1 and bad[0]["kind"] == "ledger_invalid" and bad[0]["change"].startswith("台账无效：ledgers/kerqin.yaml:")
    repaired = [r for r in rows if r["commit"] == fixed]
    # Compared with the last valid version: only the new progress note, not the whole ledger again.
    assert [r["kind"] for r in repaired] == ["ledger_repaired", "progress_added"]
    assert "公布清单" in repaired[1]["change"]


def test_merges_do_not_repeat_the_changes_they_bring_in(repo, cli):
    git(repo, "checkout", "-q", "-b", "kailu")
    assert cli("progress", "7", "--root", repo, "--unit", "kailu", "--note", "开鲁梳理", "--date", "2020-03-10", env=dated("2020-03-10")).exit_code == 0
    git(repo, "checkout", "-q", "main")
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "科区梳理", "--date", "2020-03-11", env=dated("2020-03-11")).exit_code == 0
    git(repo, "merge", "-q", "--no-edit", "kailu", env=dated("2020-03-12"))
    rows = history(cli, repo, "--since", "2020-03-10")
    assert sorted((r["unit"], r["kind"]) for r in rows) == [("kailu", "progress_added"), ("kailu", "state"), ("kerqin", "progress_added"), ("kerqin", "state")]
    assert all(not r["merge"] for r in rows)


def test_history_of_a_workspace_in_a_sub_folder_of_a_repository(tmp_path, cli):
    from conftest import copy_workspace

    top = tmp_path / "city"
    ws = copy_workspace(top / "fazhi")
    (ws / "ledgers" / "kerqin.yaml").write_text("unit: kerqin\ntasks:\n  7: {}\n", encoding="utf-8")
    git(top, "init", "-q", "-b", "main")
    identify(top, "k@kerqin.gov.cn", "张三")
    commit_all(top, "初始", "2020-03-01")
    (ws / "ledgers" / "kerqin.yaml").write_text("unit: kerqin\ntasks:\n  7:\n    claimed: 2020-03-02\n", encoding="utf-8")
    commit_all(top, "认领", "2020-03-02")
    rows = history(cli, ws)
    assert [(r["path"], r["kind"]) for r in rows][-1] == ("ledgers/kerqin.yaml", "claimed")
    assert rows[0]["kind"] == "ledger_added"


def test_empty_history(tmp_path, cli):
    repo = new_workspace_repo(tmp_path / "ws")
    result = cli("history", "--root", repo)
    assert result.exit_code == 0 and "没有找到" in result.stdout
    assert cli("history", "--root", repo, "--range", "--all").exit_code == 2
    assert "找不到提交" in cli("history", "--root", repo, "--range", "nope..HEAD").stderr
