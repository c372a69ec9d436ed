"""`fazhi codeowners`: CODEOWNERS from data/units.yaml for GitHub/GitLab and Gitea."""

from __future__ import annotations

from git_helpers import count_commits, dated, git, new_workspace_repo, set_editors

OFFICE = "office@yfb.gov.cn"
KERQIN = "k@kerqin.gov.cn"


def test_codeowners_for_github_and_gitlab(tmp_path, cli):
    repo = new_workspace_repo(tmp_path / "ws", email=OFFICE, editors={"kerqin": [KERQIN, "k2@kerqin.gov.cn"], "office": [OFFICE]})
    start = count_commits(repo)
    result = cli("codeowners", "--root", repo, env=dated("2020-03-02"))
    assert result.exit_code == 0, result.stderr
    text = (repo / "CODEOWNERS").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[:4] == [f"* {OFFICE}", f"/data/ {OFFICE}", f"/templates/ {OFFICE}", f"/CODEOWNERS {OFFICE}"]
    assert f"/ledgers/kerqin.yaml {KERQIN} k2@kerqin.gov.cn {OFFICE}" in lines
    assert f"/ledgers/kailu.yaml {OFFICE}" in lines  # no editors of its own: the office only
    assert len([line for line in lines if line.startswith("/ledgers/")]) == 34
    assert "# 科尔沁区（kerqin）" in text and "请勿手工修改" in text
    # Committed on its own, with a trailer.
    assert count_commits(repo) == start + 1
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["CODEOWNERS"]
    assert git(repo, "log", "-1", "--format=%(trailers:key=Fazhi-Action,valueonly)").strip() == "codeowners"

    assert cli("codeowners", "--root", repo, "--check").exit_code == 0
    again = cli("codeowners", "--root", repo)
    assert again.exit_code == 0 and "没有变化" in again.stdout and count_commits(repo) == start + 1
    set_editors(repo, {"kailu": ["l@kailu.gov.cn"]})
    stale = cli("codeowners", "--root", repo, "--check")
    assert stale.exit_code == 1 and "不一致" in stale.stderr
    assert "/ledgers/kailu.yaml l@kailu.gov.cn office@yfb.gov.cn" in cli("codeowners", "--root", repo, "--stdout").stdout


def test_codeowners_for_gitea_needs_user_names(tmp_path, cli):
    repo = new_workspace_repo(tmp_path / "ws", email=OFFICE, editors={"kerqin": [KERQIN], "office": [OFFICE]})
    missing = cli("codeowners", "--root", repo, "--style", "gitea", "--no-commit")
    assert missing.exit_code == 1 and KERQIN in missing.stderr and OFFICE in missing.stderr
    assert not (repo / "CODEOWNERS").exists()
    result = cli("codeowners", "--root", repo, "--style", "gitea", "--user", f"{KERQIN}=kerqin-zhang", "--user", f"{OFFICE.upper()}=yfb", "--no-commit")
    assert result.exit_code == 0, result.stderr
    text = (repo / "CODEOWNERS").read_text(encoding="utf-8")
    assert "ledgers/kerqin\\\\.yaml @kerqin-zhang @yfb" in text.splitlines()
    assert "data/.* @yfb" in text.splitlines()
    assert git(repo, "status", "--porcelain").strip() == "?? CODEOWNERS"
    assert cli("codeowners", "--root", repo, "--user", "nonsense").exit_code == 1


def test_codeowners_outside_git(ws, cli):
    set_editors(ws, {"office": [OFFICE]})
    result = cli("codeowners", "--root", ws)
    assert result.exit_code == 0, result.stderr
    assert (ws / "CODEOWNERS").is_file()
