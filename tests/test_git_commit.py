"""A commit per edit: each write command commits exactly the ledger it changed, with a Chinese
subject and Fazhi-* trailers; --no-commit and the workspace setting turn it off; outside git (or
without git) writes still work."""

from __future__ import annotations

from pathlib import Path

import pytest

from git_helpers import count_commits, dated, git, identify, new_workspace_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return new_workspace_repo(tmp_path / "ws", email="k@kerqin.gov.cn", name="张三")


def trailer(repo: Path, key: str, rev: str = "HEAD") -> str:
    return git(repo, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev).strip()


def test_write_commits_only_its_ledger_while_other_changes_are_staged(repo, cli):
    assert cli("init", "--root", repo, "--unit", "科区").exit_code == 0
    # The user's own work in progress: one file staged, one modified but not staged.
    (repo / "会议纪要.txt").write_text("第一次调度会\n", encoding="utf-8")
    git(repo, "add", "会议纪要.txt")
    phases = repo / "data" / "phases.yaml"
    phases.write_text(phases.read_text(encoding="utf-8") + "# 待讨论\n", encoding="utf-8")
    before = count_commits(repo)

    result = cli("close", "20", "--root", repo, "--unit", "科区", "--evidence", "通政发〔2020〕3号", "--date", "2020-07-20", "--by", "王五")
    assert result.exit_code == 0, result.stderr

    assert count_commits(repo) == before + 1
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["ledgers/kerqin.yaml"]
    assert git(repo, "log", "-1", "--format=%s").strip() == "销号申请: 科尔沁区 任务20 重大行政决策法定程序"
    assert trailer(repo, "Fazhi-Action") == "close"
    assert trailer(repo, "Fazhi-Unit") == "kerqin"
    assert trailer(repo, "Fazhi-Task") == "20"
    # The user's changes are exactly as they were: still staged, still unstaged.
    assert git(repo, "diff", "--cached", "--name-only").split() == ["会议纪要.txt"]
    assert git(repo, "diff", "--name-only").split() == ["data/phases.yaml"]
    assert "待讨论" not in git(repo, "show", "HEAD:data/phases.yaml")


def test_every_write_command_commits_once_with_its_action(repo, cli):
    steps = [
        ("init", ["init", "--unit", "kerqin"]),
        ("plan", ["plan", "21", "--unit", "kerqin", "--leader", "张三", "--due", "2020-06-30"]),
        ("progress", ["progress", "21", "--unit", "kerqin", "--note", "已聘请法律顾问", "--date", "2020-06-01"]),
        ("close", ["close", "21", "--unit", "kerqin", "--evidence", "通人社发〔2020〕6号", "--date", "2020-06-20"]),
        ("reject", ["reject", "21", "--unit", "kerqin", "--reason", "缺少意见书", "--date", "2020-06-21"]),
        ("close", ["close", "21", "--unit", "kerqin", "--evidence", "通司法〔2020〕4号", "--date", "2020-06-25"]),
        ("confirm", ["confirm", "21", "--unit", "kerqin", "--date", "2020-06-26"]),
        ("reopen", ["reopen", "21", "--unit", "kerqin", "--reason", "抽查发现问题", "--date", "2020-07-02"]),
    ]
    start = count_commits(repo)
    for _, args in steps:
        result = cli(*args, "--root", repo)
        assert result.exit_code == 0, (args, result.stderr)
    assert count_commits(repo) == start + len(steps)
    actions = git(repo, "log", "--reverse", f"-{len(steps)}", "--format=%(trailers:key=Fazhi-Action,valueonly)").split()
    assert actions == [a for a, _ in steps]
    subjects = git(repo, "log", "--reverse", f"-{len(steps)}", "--format=%s").splitlines()
    assert subjects[0] == "建立台账: 科尔沁区"
    assert subjects[-1].startswith("重新打开: 科尔沁区 任务21")
    for rev in range(len(steps)):
        assert git(repo, "show", "--name-only", "--format=", f"HEAD~{rev}").split() == ["ledgers/kerqin.yaml"]
    # A write that changes nothing makes no commit.
    assert cli("init", "--root", repo, "--unit", "kerqin").exit_code == 0
    assert count_commits(repo) == start + len(steps)


def test_init_of_all_units_commits_every_new_ledger_in_one_commit(repo, cli):
    assert cli("init", "--root", repo).exit_code == 0
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert len(files) == 34 and all(f.startswith("ledgers/") for f in files)
    assert trailer(repo, "Fazhi-Action") == "init"


def test_no_commit_option_and_setting(repo, cli):
    assert cli("init", "--root", repo, "--unit", "kerqin").exit_code == 0
    start = count_commits(repo)
    result = cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "梳理清单", "--no-commit")
    assert result.exit_code == 0, result.stderr
    assert count_commits(repo) == start
    assert git(repo, "status", "--porcelain").split() == ["M", "ledgers/kerqin.yaml"]
    git(repo, "checkout", "--", "ledgers/kerqin.yaml")

    settings = repo / "data" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("git_commit: true", "git_commit: false"), encoding="utf-8")
    git(repo, "commit", "-qam", "关闭自动提交", env=dated("2020-03-02"))
    start = count_commits(repo)
    assert cli("progress", "7", "--root", repo, "--unit", "kerqin", "--note", "梳理清单").exit_code == 0
    assert count_commits(repo) == start
    assert "梳理清单" in (repo / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")


def test_writes_work_outside_git(ws, cli):
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    result = cli("progress", "7", "--root", ws, "--unit", "kerqin", "--note", "梳理清单", "--date", "2020-03-02")
    assert result.exit_code == 0, result.stderr
    assert not (ws / ".git").exists()
    assert "警告" not in result.stderr


def test_without_git_writes_work_and_history_says_why_not(repo, cli):
    start = count_commits(repo)
    result = cli("init", "--root", repo, "--unit", "kerqin", env={"PATH": ""})
    assert result.exit_code == 0, result.stderr
    assert (repo / "ledgers" / "kerqin.yaml").is_file()
    assert count_commits(repo) == start
    import os
    from unittest import mock

    from fazhi_cli.store.git import git_missing_in

    assert git_missing_in(repo) is None
    with mock.patch.dict(os.environ, {"PATH": ""}):
        assert "找不到 git 命令" in git_missing_in(repo / "ledgers")
        assert git_missing_in(repo.parent) is None
    for command in ("history", "audit"):
        result = cli(command, "--root", repo, env={"PATH": ""})
        assert result.exit_code == 2
        assert "找不到 git 命令" in result.stderr and "Traceback" not in result.stderr


def test_history_and_audit_outside_git_cannot_run(ws, cli):
    for command in ("history", "audit"):
        result = cli(command, "--root", ws)
        assert result.exit_code == 2
        assert "不在 git 仓库中" in result.stderr


def test_unknown_identity_is_explained_and_the_edit_kept(repo, cli):
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "user.useConfigOnly", "true")
    env = {"GIT_CONFIG_GLOBAL": str(repo / "no-global"), "GIT_CONFIG_NOSYSTEM": "1", "EMAIL": ""}
    result = cli("init", "--root", repo, "--unit", "kerqin", env=env)
    assert result.exit_code == 1  # a commit that cannot be made is an error, the ledger kept unstaged
    assert git(repo, "diff", "--cached", "--name-only") == ""
    assert "未能提交到 git" in result.stderr and "git config user.email" in result.stderr
    assert (repo / "ledgers" / "kerqin.yaml").is_file()
    identify(repo, "k@kerqin.gov.cn", "张三")
