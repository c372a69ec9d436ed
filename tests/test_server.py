"""Smoke tests of the central git server the guard's tests push to (tests/server_helpers.py)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

from git_helpers import commit_all, git, head
from server_helpers import GIT_LOCATION, USERS, central, client_git, git_server, guard_available  # noqa: F401

DOC = Path(__file__).resolve().parents[1] / "docs" / "multi-unit.md"


def status_of(url: str, auth: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def add_ledger_line(work: Path, unit: str, day: str = "2020-03-05") -> str:
    (work / "ledgers" / f"{unit}.yaml").write_text(f"unit: {unit}\ntasks: {{}}\n", encoding="utf-8")
    return commit_all(work, f"台账: {unit}", day)


def test_clone_over_http_with_password(central, tmp_path):
    work = central.clone("kerqin", tmp_path / "kerqin")
    assert (work / "data" / "tasks.yaml").is_file()
    assert head(work) == central.head()
    assert git(work, "config", "user.email").strip() == USERS["kerqin"].email


def test_fetch_and_push_need_the_right_password(central, tmp_path):
    info = central.url() + "/info/refs?service=git-upload-pack"
    assert status_of(info) == 401
    assert status_of(info, ("kerqin", "wrong")) == 401
    assert status_of(info, ("nobody", "x")) == 401
    assert status_of(info, ("kerqin", USERS["kerqin"].password)) == 200
    result = client_git(tmp_path, "clone", "-q", central.url("kerqin", password="wrong"), str(tmp_path / "no"))
    assert result.returncode != 0
    assert "401" in result.stderr or "Authentication failed" in result.stderr
    assert not (tmp_path / "no" / "data").exists()


def test_push_is_accepted(central, tmp_path):
    work = central.clone("kerqin", tmp_path / "kerqin")
    new = add_ledger_line(work, "kerqin")
    code, stderr = central.push(work)
    assert code == 0, stderr
    assert central.head() == new
    assert central.git("log", "-1", "--format=%ae").strip() == USERS["kerqin"].email


def test_hook_sees_the_login_and_speaks_to_the_client(central, tmp_path):
    central.install_hook(
        "#!/bin/sh\n"
        'env > "$GIT_DIR/hook-env"\n'
        'cat > "$GIT_DIR/hook-stdin"\n'
        'echo "钩子: $REMOTE_USER" >&2\n'
    )
    work = central.clone("kerqin", tmp_path / "kerqin")
    old = head(work)
    new = add_ledger_line(work, "kerqin")
    code, stderr = central.push(work)
    assert code == 0, stderr
    assert "remote: 钩子: kerqin" in stderr
    env = dict(line.split("=", 1) for line in (central.repo / "hook-env").read_text(encoding="utf-8").splitlines() if "=" in line)
    assert env["REMOTE_USER"] == "kerqin"
    assert (central.repo / "hook-stdin").read_text(encoding="utf-8") == f"{old} {new} refs/heads/main\n"


def test_hook_can_run_the_venv_python(git_server, central, tmp_path):
    # What `fazhi guard --install` writes: a hook running this venv's Python by absolute path.
    git_server.require_python_in_hooks()
    central.install_hook(
        f"#!/bin/sh\nexec {sys.executable} -c 'import os, sys, fazhi_cli; "
        "print(\"钩子: \" + os.environ[\"REMOTE_USER\"], file=sys.stderr)'\n"
    )
    work = central.clone("kailu", tmp_path / "kailu")
    add_ledger_line(work, "kailu")
    code, stderr = central.push(work)
    assert code == 0, stderr + git_server.log()
    assert "remote: 钩子: kailu" in stderr


def test_a_failing_hook_refuses_the_push(central, tmp_path):
    central.install_hook("#!/bin/sh\necho '拒绝: 不得修改其他单位的台账' >&2\nexit 1\n")
    work = central.clone("kailu", tmp_path / "kailu")
    before = central.head()
    add_ledger_line(work, "kerqin")
    code, stderr = central.push(work)
    assert code != 0
    assert "remote: 拒绝: 不得修改其他单位的台账" in stderr
    assert "pre-receive hook declined" in stderr
    assert central.head() == before


def test_install_guard_falls_back_until_the_guard_exists(git_server):
    repo = git_server.new_repo()
    fallback = "#!/bin/sh\nexit 0\n"
    installed = git_server.install_guard(repo, fallback=fallback)
    assert installed == guard_available()
    assert (repo / "hooks" / "pre-receive").is_file()
    if not installed:
        assert (repo / "hooks" / "pre-receive").read_text(encoding="utf-8") == fallback


def test_deployment_guide_shows_the_tested_config():
    # The block the tests serve, with production paths, line for line (indentation aside).
    block = [line.strip() for line in GIT_LOCATION.format(project_root="/srv/git", htpasswd="/etc/apache2/fazhi.htpasswd").splitlines()]
    doc = [line.strip() for line in DOC.read_text(encoding="utf-8").splitlines()]
    starts = [i for i, line in enumerate(doc) if line == block[0]]
    assert any(doc[i : i + len(block)] == block for i in starts), "docs/multi-unit.md must show server_helpers.GIT_LOCATION"
