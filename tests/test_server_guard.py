"""The guard on a real central server (Apache + git http-backend, tests/server_helpers.py): what
each unit, the lead unit and the office may push, and what is refused with which reason. The same
pushes to a server without the guard land, and `fazhi audit` then reports each refused one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from git_helpers import commit_all, dated, git, head
from server_helpers import USERS, central, git_server  # noqa: F401

KERQIN_TASK = 26  # led by 司法局 (sifaju), carried by 科尔沁区 and 开鲁县


def fazhi(work: Path, *args: str, day: str) -> None:
    result = run_cli(*args, "--root", str(work), env=dated(day))
    assert result.exit_code == 0, result.stderr


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ledger(work: Path, unit: str) -> Path:
    return work / "ledgers" / f"{unit}.yaml"


class Run:
    """One central repository and the pushes made to it, each from a fresh clone."""

    def __init__(self, central, tmp_path: Path, guarded: bool):
        self.central, self.tmp, self.n = central, tmp_path, 0
        if guarded:
            assert central.install_guard() is True

    def clone(self, user: str) -> Path:
        self.n += 1
        return self.central.clone(user, self.tmp / f"{self.n}-{user}")

    def push(self, work: Path, *args: str) -> tuple[int, str]:
        return self.central.push(work, *args)


def setup_and_legitimate_work(run: Run) -> None:
    """The office sets up the ledgers; 科区 works and applies; the lead unit confirms."""
    office = run.clone("office")
    fazhi(office, "init", day="2020-03-02")
    code, stderr = run.push(office)
    assert code == 0, stderr
    kerqin = run.clone("kerqin")
    fazhi(kerqin, "progress", str(KERQIN_TASK), "-u", "kerqin", "--note", "制定复议改革方案", "--date", "2020-05-10", day="2020-05-10")
    fazhi(kerqin, "close", str(KERQIN_TASK), "-u", "kerqin", "--evidence", "通政发〔2020〕26号", "--date", "2020-06-01", day="2020-06-01")
    code, stderr = run.push(kerqin)
    assert code == 0, stderr
    lead = run.clone("sifaju")
    fazhi(lead, "confirm", str(KERQIN_TASK), "-u", "kerqin", "--date", "2020-06-03", day="2020-06-03")
    code, stderr = run.push(lead)
    assert code == 0, stderr


def violations(run: Run, *, guarded: bool) -> dict[str, tuple[int, str]]:
    """Pushes the guard must refuse, by name: (exit code, stderr). A unit changing the plan data is
    pushed only where there is no guard (the guard's A006 is tested in tests/test_guard.py)."""
    out: dict[str, tuple[int, str]] = {}
    # 科区 writes into 开鲁县's ledger.
    work = run.clone("kerqin")
    edit(ledger(work, "kailu"), f"  {KERQIN_TASK}: {{}}\n", f"  {KERQIN_TASK}:\n    progress:\n      - date: 2020-06-05\n        note: 代填\n")
    commit_all(work, "代开鲁县填报", "2020-06-05")
    out["other-unit"] = run.push(work)
    # 科区 confirms its own apply (the command refuses, so by hand).
    work = run.clone("kerqin")
    fazhi(work, "close", "8", "-u", "kerqin", "--evidence", "通政发〔2020〕8号", "--date", "2020-06-06", day="2020-06-06")
    edit(ledger(work, "kerqin"), "          - 通政发〔2020〕8号\n", "          - 通政发〔2020〕8号\n      - date: 2020-06-06\n        action: confirm\n")
    commit_all(work, "确认", "2020-06-06")
    out["self-confirm"] = run.push(work)
    # 科区 deletes a progress entry that is on record.
    work = run.clone("kerqin")
    path = ledger(work, "kerqin")
    text = path.read_text(encoding="utf-8")
    start = text.index("    progress:\n      - date: 2020-05-10")
    end = text.index("    log:", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    commit_all(work, "整理台账", "2020-06-07")
    out["delete-record"] = run.push(work)
    if guarded:
        return out
    # 科区 changes the plan data.
    work = run.clone("kerqin")
    edit(work / "data" / "settings.yaml", "due_soon_days: 7", "due_soon_days: 30")
    commit_all(work, "改临期天数", "2020-06-08")
    out["plan-data"] = run.push(work)
    return out


def rewrites_of_history(run: Run) -> dict[str, tuple[int, str]]:
    """A force-push that drops the lead unit's confirmation, and one that rewrites a pushed commit
    (on a server without the guard they would replace history, so they are the guarded run's)."""
    out: dict[str, tuple[int, str]] = {}
    work = run.clone("kerqin")
    git(work, "reset", "-q", "--hard", "HEAD~1")
    out["force-push"] = run.push(work, "--force", "origin", "HEAD:refs/heads/main")
    work = run.clone("kerqin")
    git(work, "commit", "-q", "--amend", "-m", "改写的提交", env=dated("2020-06-09"))
    out["rewrite"] = run.push(work, "--force", "origin", "HEAD:refs/heads/main")
    return out


def test_the_guard_lets_each_role_do_its_part_and_refuses_the_rest(central, tmp_path):
    run = Run(central, tmp_path, guarded=True)
    setup_and_legitimate_work(run)
    accepted = central.head()
    refused = violations(run, guarded=True) | rewrites_of_history(run)
    expected = {
        "other-unit": ("A005", "不是开鲁县的编辑人员"),
        "self-confirm": ("A005", "是科尔沁区的编辑人员，不能审核本单位的销号"),
        "delete-record": ("A004", "删除工作进展"),
        "force-push": ("G002", "不是快进更新"),
        "rewrite": ("G002", "不是快进更新"),
    }
    for name, (code, text) in expected.items():
        rc, stderr = refused[name]
        assert rc != 0, (name, stderr)
        assert "推送被拒绝（fazhi guard）" in stderr and f"remote:   {code} " in stderr and text in stderr, (name, stderr)
        assert "Traceback" not in stderr
    assert central.head() == accepted  # nothing of any refused push landed
    # The office changes the plan data.
    office = run.clone("office")
    edit(office / "data" / "settings.yaml", "due_soon_days: 7", "due_soon_days: 10")
    commit_all(office, "临期天数改为10天", "2020-06-10")
    code, stderr = run.push(office)
    assert code == 0, stderr
    # The resulting central repository passes the audit.
    result = run_cli("audit", "--root", str(central.repo), "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == [], result.stdout


def test_without_the_guard_the_same_pushes_land_and_audit_reports_each(central, tmp_path):
    run = Run(central, tmp_path, guarded=False)
    setup_and_legitimate_work(run)
    landed = violations(run, guarded=False)
    assert all(rc == 0 for rc, _ in landed.values()), landed
    result = run_cli("audit", "--root", str(central.repo), "--format", "json")
    rows = json.loads(result.stdout)
    assert result.exit_code == 1
    found = {(r["code"], r["subject"]) for r in rows}
    assert ("A005", "代开鲁县填报") in found
    assert ("A005", "确认") in found and any("不能审核本单位" in r["message"] for r in rows if r["subject"] == "确认")
    assert ("A004", "整理台账") in found
    assert ("A006", "改临期天数") in found
    # A force-push or a rewritten commit leaves no trace in the history that replaced the old one:
    # only the guard can stop those (G002), so they are not part of this comparison.


def test_a_push_without_an_authenticated_pusher_is_refused(tmp_path):
    """A server that does not pass the login on (no REMOTE_USER …): every push is refused (G003)."""
    from git_helpers import new_workspace_repo

    ws = new_workspace_repo(tmp_path / "ws", editors={"kerqin": ["k@kerqin.gov.cn"], "office": ["office@yfb.gov.cn"]})
    bare = tmp_path / "central.git"
    git(tmp_path, "clone", "-q", "--bare", str(ws), str(bare))
    assert subprocess.run([sys.executable, "-m", "fazhi_cli", "guard", "--install", str(bare)], capture_output=True).returncode == 0
    edit(ws / "data" / "settings.yaml", "due_soon_days: 7", "due_soon_days: 9")
    commit_all(ws, "改", "2020-03-02")
    git(ws, "remote", "add", "origin", str(bare))
    env = {k: "" for k in ("REMOTE_USER", "GL_USER", "GITEA_PUSHER_NAME", "GITEA_PUSHER_EMAIL", "GL_USERNAME")}
    result = subprocess.run(["git", "push", "origin", "main"], cwd=ws, capture_output=True, text=True, env={**__import__("os").environ, **env})
    assert result.returncode != 0 and "G003 无法确定推送人" in result.stderr
    office = subprocess.run(["git", "push", "origin", "main"], cwd=ws, capture_output=True, text=True, env={**__import__("os").environ, **env, "REMOTE_USER": "office@yfb.gov.cn"})
    assert office.returncode == 0, office.stderr
    assert head(ws) == git(bare, "rev-parse", "refs/heads/main").strip()
