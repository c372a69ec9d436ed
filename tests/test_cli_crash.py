"""`fazhi close` and `fazhi reject` killed with SIGKILL at each step of the atomic write of the
ledger: after every kill the ledger parses and is byte for byte either the old file (killed
before `os.replace`) or the new one (after it), never a mix, and the temp file a kill leaves is
never taken for a ledger and is cleared by the next command.

Each kill is a real `fazhi` process (tests/fazhi_killed_at_step.py: the usual entry point with
`safewrite.crash_hook` set to SIGKILL the process at the chosen step), so the whole command path
runs up to the kill, and the kill lands at the same point every run. The expected new bytes of
each command are made first by running the same command to completion on a scratch copy.
The store-level kills are in tests/store/test_crash_and_concurrency.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store import safewrite
from fazhi_cli.store.loader import load_model
from fazhi_cli.store.workspace import Workspace

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

KILLED_AT_STEP = Path(__file__).resolve().parent / "fazhi_killed_at_step.py"
STEPS = ("before-write", "after-write", "after-fsync", "after-replace")


def command(ws, step: int, pending: bool) -> list[str]:
    base = ["--root", str(ws), "--unit", "kerqin", "--date", "2020-07-20", "--no-commit"]
    if pending:
        return ["reject", "20", *base, "--reason", f"第{step}次退回：材料不全"]
    return ["close", "20", *base, "--evidence", f"通政发〔2020〕{step}号", "--by", "王五"]


def run_killed_at(step: str, args: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FAZHI_ROOT"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, str(KILLED_AT_STEP), step, *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=60,
    )


@pytest.mark.parametrize("step", STEPS)
def test_killed_close_leaves_old_or_new_ledger(ws, cli, tmp_path, step):
    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_text(
        "# 科尔沁区工作台账（手写注释）\r\nunit: kerqin\r\ntasks:\r\n  # 第 20 项\r\n  20: {}\r\n\r\n  # 第 21 项\r\n  21: {}\r\n",
        encoding="utf-8",
    )
    scratch = tmp_path / "scratch"
    landed = step == "after-replace"
    pending = False
    for n in (1, 2):  # a close, then a reject of it
        old = ledger.read_bytes()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(ws, scratch)
        assert cli(*command(scratch, n, pending)).exit_code == 0
        new = (scratch / "ledgers" / "kerqin.yaml").read_bytes()
        assert new != old

        result = run_killed_at(step, command(ws, n, pending))
        what = f"{command(ws, n, pending)[0]} killed at {step}"
        assert result.returncode == -signal.SIGKILL, f"{what}: exit {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr, result.stderr

        now = ledger.read_bytes()
        assert now == (new if landed else old), f"{what}: neither the expected old nor new file"
        loaded = load_model(ledger, "ledgers/kerqin.yaml", Ledger, raw=now)
        assert loaded.model is not None, loaded.problems
        orphans = safewrite.orphan_temp_files(ledger)
        assert len(orphans) == (0 if landed else 1), orphans
        files = {p.name for p in ledger.parent.iterdir()} - {".kerqin.yaml.lock"}
        assert files == {"kerqin.yaml", *(p.name for p in orphans)}, files
        assert Workspace(ws).ledger_files() == [ledger]
        assert cli("check", "--root", ws).exit_code == 0  # the temp file is not read as a ledger

        if not landed:  # the clerk runs the command again: it completes and clears the orphan
            assert cli(*command(ws, n, pending)).exit_code == 0
            assert ledger.read_bytes() == new
            assert safewrite.orphan_temp_files(ledger) == []
        pending = not pending
    assert cli("check", "--root", ws).exit_code == 0
