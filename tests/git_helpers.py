"""Helpers for the git tests: throw-away repositories with their own identities and dates."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from conftest import copy_workspace


def git(cwd: Path, *args: str, env: dict | None = None, check: bool = True) -> str:
    full_env = os.environ | (env or {})
    result = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def identify(repo: Path, email: str, name: str) -> None:
    git(repo, "config", "user.email", email)
    git(repo, "config", "user.name", name)
    git(repo, "config", "commit.gpgsign", "false")


def dated(day: str, author_day: str | None = None) -> dict[str, str]:
    """Environment for a commit made on `day` (committer date); `author_day` fakes `--date`."""
    return {
        "GIT_COMMITTER_DATE": f"{day}T10:00:00+08:00",
        "GIT_AUTHOR_DATE": f"{author_day or day}T10:00:00+08:00",
    }


def set_editors(ws: Path, editors: dict[str, list[str]]) -> None:
    """Write editors into data/units.yaml: unit id → e-mails; "office" for office.editors."""
    path = ws / "data" / "units.yaml"
    text = path.read_text(encoding="utf-8")
    for unit, people in editors.items():
        value = "[" + ", ".join(people) + "]"
        if unit == "office":
            text, n = re.subn(r"(office:\n  unit: \S+\n  editors: )\[[^\]]*\]", lambda m: m.group(1) + value, text)
        else:
            text, n = re.subn(
                rf"(  - id: {unit}\n(?:    (?!editors:).*\n)*?    editors: )\[[^\]]*\]", lambda m: m.group(1) + value, text
            )
        assert n == 1, unit
    path.write_text(text, encoding="utf-8")


_TEMPLATES: dict[tuple, Path] = {}


def new_workspace_repo(path: Path, *, email: str = "office@yfb.gov.cn", name: str = "依法治市办", day: str = "2020-03-01", editors: dict | None = None) -> Path:
    """The shipped plan in a fresh git repository (one commit), `ledgers/` empty. Each kind is
    made once per test process and copied (a copy of a repository is the same repository)."""
    import shutil
    import tempfile

    key = (email, name, day, tuple(sorted((unit, tuple(people)) for unit, people in (editors or {}).items())))
    if key not in _TEMPLATES:
        import atexit

        folder = tempfile.mkdtemp(prefix="fazhi-repo-template-")
        atexit.register(shutil.rmtree, folder, True)
        template = Path(folder) / "ws"
        _make_workspace_repo(template, email=email, name=name, day=day, editors=editors)
        _TEMPLATES[key] = template
    shutil.copytree(_TEMPLATES[key], path, symlinks=True)
    return path


def _make_workspace_repo(path: Path, *, email: str, name: str, day: str, editors: dict | None) -> Path:
    copy_workspace(path)
    (path / ".gitignore").write_text("*.lock\n.*.lock\n", encoding="utf-8")
    (path / "ledgers" / ".gitkeep").write_text("", encoding="utf-8")
    if editors:
        set_editors(path, editors)
    git(path, "init", "-q", "-b", "main")
    identify(path, email, name)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "方案数据", env=dated(day))
    return path


def commit_all(repo: Path, message: str, day: str, author_day: str | None = None) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, env=dated(day, author_day))
    return git(repo, "rev-parse", "HEAD").strip()


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def count_commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


# A repository with editors for the audit tests: 科尔沁区's clerk, 政府办 (lead unit of tasks 20
# and 21) and the office; the office made the first commit, kerqin's clerk is the current identity.
KERQIN = "k@kerqin.gov.cn"
ZHENGFUBAN = "z@zfb.gov.cn"
OFFICE = "office@yfb.gov.cn"
EDITORS = {"kerqin": [KERQIN], "zhengfuban": [ZHENGFUBAN], "office": [OFFICE]}


def audit_repo(path: Path, cli) -> Path:
    repo = new_workspace_repo(path, email=OFFICE, name="依法治市办", editors=EDITORS)
    assert cli("init", "--root", repo, "--unit", "kerqin", env=dated("2020-03-02")).exit_code == 0
    identify(repo, KERQIN, "张三")
    return repo
