"""Several clerks at once: real `fazhi close` processes started together on one ledger.

A few processes each: what these add is the whole command path under real concurrency; the
locking and merging logic is hammered harder (20 and 10 writers) at store level, in
tests/store/test_crash_and_concurrency.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store.loader import load_model


def start(ws, *args):
    env = os.environ | {"FAZHI_ROOT": str(ws)}
    return subprocess.Popen(
        [sys.executable, "-m", "fazhi_cli", *args, "--no-commit"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
    )


def ledger_of(ws):
    path = ws / "ledgers" / "kerqin.yaml"
    loaded = load_model(path, "ledgers/kerqin.yaml", Ledger)
    assert loaded.model is not None, loaded.problems
    return loaded.model


WRITERS = 5


def test_5_processes_close_5_different_tasks(ws, cli):
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    tasks = [t for t in range(1, 46) if t not in (29, 40)][:WRITERS]
    procs = [start(ws, "close", str(t), "--unit", "kerqin", "--evidence", f"通政发〔2020〕{t}号", "--date", "2020-07-20") for t in tasks]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    ledger = ledger_of(ws)
    for t in tasks:
        (item,) = ledger.tasks[t].log
        assert item.action.value == "apply" and item.evidence == [f"通政发〔2020〕{t}号"]
    assert cli("check", "--root", ws).exit_code == 0


def test_5_processes_close_the_same_task(ws, cli):
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    procs = [start(ws, "close", "20", "--unit", "kerqin", "--evidence", f"通政发〔2020〕{i + 1}号", "--date", "2020-07-20") for i in range(WRITERS)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0] + [1] * (WRITERS - 1), results
    refusals = [err for code, err in results if code == 1]
    assert all("已申请销号，正在等待审核" in err for err in refusals), refusals
    assert len(ledger_of(ws).tasks[20].log) == 1
