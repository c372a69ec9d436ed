"""`fazhi close` and `fazhi reject` killed with SIGKILL at random moments, 200 times: after every
kill the ledger parses and is byte for byte either the old file or the new one, never a mix.

Each child is forked from this process with the CLI already imported, so a kill can land anywhere
from reading the plan to the rename of the new file. The expected new bytes of each step are made
first by running the same command to completion on a scratch copy.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
import time

import pytest

from fazhi_cli.cli.app import app
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store.loader import load_model

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")

KILLS = 200


def run_in_child(args: list[str]) -> int:
    """Fork, run the CLI in the child with output discarded; return the child's pid."""
    pid = os.fork()
    if pid == 0:  # child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        code = 3
        try:
            app(args, standalone_mode=False)
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def command(ws, step: int, pending: bool) -> list[str]:
    base = ["--root", str(ws), "--unit", "kerqin", "--date", "2020-07-20", "--no-commit"]
    if pending:
        return ["reject", "20", *base, "--reason", f"第{step}次退回：材料不全"]
    return ["close", "20", *base, "--evidence", f"通政发〔2020〕{step}号", "--by", "王五"]


def test_killed_close_leaves_old_or_new_ledger(ws, cli, tmp_path):
    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_text(
        "# 科尔沁区工作台账（手写注释）\r\nunit: kerqin\r\ntasks:\r\n  # 第 20 项\r\n  20: {}\r\n\r\n  # 第 21 项\r\n  21: {}\r\n",
        encoding="utf-8",
    )
    scratch = tmp_path / "scratch"
    rng = random.Random(20200731)
    pending = False
    kills = outcomes_new = 0
    step = 0
    while kills < KILLS:
        step += 1
        old = ledger.read_bytes()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(ws, scratch)
        assert cli(*command(scratch, step, pending)).exit_code == 0
        new = (scratch / "ledgers" / "kerqin.yaml").read_bytes()
        assert new != old

        pid = run_in_child(command(ws, step, pending))
        time.sleep(rng.uniform(0, 0.12))
        try:
            os.kill(pid, signal.SIGKILL)
            killed = True
        except ProcessLookupError:
            killed = False
        os.waitpid(pid, 0)
        kills += killed

        now = ledger.read_bytes()
        assert now in (old, new), f"step {step}: a mixed file"
        loaded = load_model(ledger, "ledgers/kerqin.yaml", Ledger, raw=now)
        assert loaded.model is not None, loaded.problems
        if now == new:
            outcomes_new += 1
            pending = not pending
    # Some kills landed before the write and some after: both outcomes were seen.
    assert 0 < outcomes_new < step, (outcomes_new, step)
    assert cli("check", "--root", ws).exit_code == 0
    print(f"{step} runs, {kills} kills, {outcomes_new} ended with the new file", file=sys.stderr)
