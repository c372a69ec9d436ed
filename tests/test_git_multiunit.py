"""The multi-unit set-up (docs/multi-unit.md): a central bare repository, one clone per unit, each
unit editing only its own ledger with the CLI — pushes, pulls (merge or rebase) never conflict,
and the central copy's status and history see everyone's work."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from git_helpers import dated, git, identify, new_workspace_repo

OFFICE = "office@yfb.gov.cn"
CLERKS = {"kerqin": "k@kerqin.gov.cn", "kailu": "l@kailu.gov.cn", "gonganju": "g@gaj.gov.cn"}


def clone(central: Path, target: Path, email: str, name: str) -> Path:
    git(central.parent, "clone", "-q", str(central), str(target))
    identify(target, email, name)
    return target


def push(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True, text=True, encoding="utf-8")


def ok(result) -> None:
    assert result.exit_code == 0, result.stdout + result.stderr


def test_central_repository_with_one_clone_per_unit(tmp_path, cli):
    # The office sets up the workspace: editors listed, every ledger created, CODEOWNERS written.
    office = new_workspace_repo(tmp_path / "office", email=OFFICE, name="依法治市办", editors={**{u: [e] for u, e in CLERKS.items()}, "office": [OFFICE]})
    ok(cli("init", "--root", office, env=dated("2020-03-02")))
    ok(cli("codeowners", "--root", office, env=dated("2020-03-02")))
    central = tmp_path / "central.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(central))
    git(office, "remote", "add", "origin", str(central))
    git(office, "push", "-q", "-u", "origin", "main")

    units = {u: clone(central, tmp_path / u, email, u) for u, email in CLERKS.items()}

    # 公安局 works in March and pushes first.
    g = units["gonganju"]
    ok(cli("progress", "7", "--root", g, "--unit", "公安局", "--note", "清单已报审", "--date", "2020-03-20", env=dated("2020-03-20")))
    ok(cli("close", "7", "--root", g, "--unit", "公安局", "--evidence", "通公发〔2020〕8号", "--date", "2020-03-28", env=dated("2020-03-28")))
    assert push(g).returncode == 0

    # 科尔沁区 and 开鲁县 work in April without pulling first; their pushes are refused until they
    # pull — by rebase (科区) or by merge (开鲁) — and neither pull conflicts.
    # (A rebase re-dates the commits it replays: 科区's progress is within backfill_days of the
    # rebase, else audit would rightly see it entering the record late, A001.)
    k, l = units["kerqin"], units["kailu"]
    ok(cli("progress", "7", "--root", k, "--unit", "科区", "--note", "梳理事项", "--date", "2020-04-14", env=dated("2020-04-14")))
    ok(cli("progress", "7", "--root", l, "--unit", "开鲁县", "--note", "梳理事项", "--date", "2020-04-12", env=dated("2020-04-12")))
    ok(cli("close", "7", "--root", k, "--unit", "科区", "--evidence", "科政发〔2020〕5号", "--date", "2020-04-20", env=dated("2020-04-20")))
    assert push(k).returncode != 0
    out = git(k, "pull", "-q", "--rebase", "origin", "main", env=dated("2020-04-20"))
    assert "CONFLICT" not in out
    assert push(k).returncode == 0
    ok(cli("close", "7", "--root", l, "--unit", "开鲁县", "--evidence", "开政发〔2020〕9号", "--date", "2020-04-25", env=dated("2020-04-25")))
    assert push(l).returncode != 0
    out = git(l, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main", env=dated("2020-04-25"))
    assert "CONFLICT" not in out
    assert push(l).returncode == 0

    # The office pulls everything and confirms 科区's close-out.
    git(office, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main", env=dated("2020-04-28"))
    ok(cli("confirm", "7", "--root", office, "--unit", "科区", "--date", "2020-04-28", env=dated("2020-04-28")))
    assert push(office).returncode == 0

    # A fresh copy of the central repository sees all of it.
    view = clone(central, tmp_path / "view", OFFICE, "依法治市办")
    ok(cli("check", "--root", view))
    states = {}
    for unit in CLERKS:
        result = cli("status", "--root", view, "--unit", unit, "--as-of", "2020-04-30", "--format", "json")
        ok(result)
        states[unit] = next(r["state"] for r in json.loads(result.stdout) if r["task"] == 7)
    assert states == {"kerqin": "closed", "kailu": "pending_review", "gonganju": "pending_review"}
    summary = {s["unit"]: s for s in json.loads(cli("status", "--root", view, "--as-of", "2020-04-30", "--format", "json").stdout)}
    assert summary["kerqin"]["closed"] == 1 and summary["kailu"]["pending_review"] == 1

    result = cli("history", "--root", view, "--format", "json", "--task", "7")
    ok(result)
    rows = json.loads(result.stdout)
    seen = {(r["unit"], r["action"], r["email"]) for r in rows if r["kind"] == "log_added"}
    assert seen == {
        ("gonganju", "close", CLERKS["gonganju"]),
        ("kerqin", "close", CLERKS["kerqin"]),
        ("kailu", "close", CLERKS["kailu"]),
        ("kerqin", "confirm", OFFICE),
    }
    assert not any(r["merge"] for r in rows)  # the merge commit brings nothing of its own
    # The central (bare) repository itself answers the same.
    bare = cli("history", "--root", central, "--format", "json", "--task", "7")
    ok(bare)
    assert json.loads(bare.stdout) == rows
    # Everyone edited only what they may: the audit passes, here and on the server.
    ok(cli("audit", "--root", view))
    ok(cli("audit", "--root", central))
    owners = (view / "CODEOWNERS").read_text(encoding="utf-8")
    assert f"/ledgers/kerqin.yaml {CLERKS['kerqin']} {OFFICE}" in owners
