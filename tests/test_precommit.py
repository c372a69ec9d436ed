"""pre-commit: the `fazhi-check` hook of .pre-commit-hooks.yaml, run by the real `pre-commit` in
a throw-away workspace repository, refuses a commit with a broken ledger and lets a good one in.

The workspace's .pre-commit-config.yaml uses `repo: local` with the hook exactly as
.pre-commit-hooks.yaml defines it, except that it runs the fazhi installed here (`language:
system`, the entry naming this environment's fazhi): pre-commit then needs no network to build
an environment, and the hook's id, files pattern and pass_filenames are the shipped ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from conftest import REPO, copy_workspace, with_every_editor
from git_helpers import git, identify

BIN = Path(sys.executable).parent


def test_fazhi_check_hook_refuses_a_broken_ledger_and_passes_a_good_one(tmp_path):
    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "fazhi-check")
    assert hook["entry"] == "fazhi check" and hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["files"] == "^(data|ledgers)/"

    ws = with_every_editor(copy_workspace(tmp_path / "ws"))
    local = dict(hook, language="system", entry=f"{BIN / 'fazhi'} check")
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    with open(ws / ".pre-commit-config.yaml", "w", encoding="utf-8") as out:
        YAML().dump(config, out)
    git(ws, "init", "-q", "-b", "main")
    identify(ws, "office@example.gov.cn", "依法治市办")
    env = os.environ | {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(BIN / "pre-commit"), "install"], cwd=ws, env=env, check=True, capture_output=True)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "--no-verify", "-m", "方案")  # the shipped plan, as the repository starts

    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_text("unit: kerqin\ntasks:\n  7:\n    plan:\n      分管领导：张三\n      owner: 李四\n", encoding="utf-8")
    git(ws, "add", "-A")
    refused = subprocess.run(["git", "commit", "-q", "-m", "台账"], cwd=ws, env=env, capture_output=True, text=True, encoding="utf-8")
    shown = refused.stdout + refused.stderr
    assert refused.returncode != 0, shown
    assert "ledgers/kerqin.yaml:6:" in shown and "E006" in shown and "全角冒号" in shown
    assert git(ws, "rev-list", "--count", "HEAD").strip() == "1"

    ledger.write_text((REPO / "tests" / "corpus" / "ledger-valid.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    git(ws, "add", "-A")
    good = subprocess.run(["git", "commit", "-q", "-m", "台账"], cwd=ws, env=env, capture_output=True, text=True, encoding="utf-8")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "fazhi check" in good.stdout + good.stderr and "Passed" in good.stdout + good.stderr
    assert git(ws, "rev-list", "--count", "HEAD").strip() == "2"
