"""Evidence files cited by a write command are committed together with the ledger, so the central
repository's `fazhi check` finds them; a workspace in a sub-folder of a repository commits too."""

from __future__ import annotations

from git_helpers import git, new_workspace_repo


def test_cited_evidence_file_is_committed_with_the_ledger(tmp_path, cli):
    ws = new_workspace_repo(tmp_path / "ws")
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    folder = ws / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "纪要.pdf").write_bytes(b"%PDF minutes")
    (ws / "notes.txt").write_text("not mine\n", encoding="utf-8")
    result = cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "evidence/kerqin/纪要.pdf", "--date", "2020-07-20")
    assert result.exit_code == 0, result.stderr
    committed = git(ws, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(committed) == ["evidence/kerqin/纪要.pdf", "ledgers/kerqin.yaml"]
    assert "?? notes.txt" in git(ws, "status", "--porcelain")


def test_workspace_in_a_subfolder_of_a_repository_commits(tmp_path, cli):
    repo = tmp_path / "repo"
    ws = new_workspace_repo(repo / "fazhi")
    assert (ws / ".git").exists()
    # Move the repository's top one level up: the workspace is now a sub-folder.
    (ws / ".git").rename(repo / ".git")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "move")
    assert cli("init", "--root", ws, "--unit", "fayuan").exit_code == 0
    assert git(repo, "log", "-1", "--format=%s").startswith("建立台账")
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["fazhi/ledgers/fayuan.yaml"]
