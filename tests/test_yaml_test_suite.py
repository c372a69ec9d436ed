"""The public YAML test suite as hostile input: none of its 402 files is a valid fazhi file.

Each input is read as data/tasks.yaml and as a ledger; each must get at least one located
problem (path and code set, a line wherever the input could be parsed far enough), never an
exception and never a hang.

The C parser can kill the process on pathological input (a segfault is not an exception), so
all inputs first go through the reader in a child process; only the inputs that passed there
are then read in-process, which is fast (the whole file runs in a few seconds).

The suite lives outside the checkout: ../shared/corpora/yaml-test-suite (CI puts `shared` beside
the checkout); set FAZHI_YAML_SUITE to use another copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import beyond_the_plan, with_every_editor

from fazhi_cli.core.checking import check_workspace
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.models.plan import TasksFile
from fazhi_cli.store.loader import load_model
from fazhi_cli.book.load import open_book
from fazhi_cli.store.yamlread import c_parser_available

ROOT = Path(__file__).resolve().parents[1]
SUITE = Path(os.environ.get("FAZHI_YAML_SUITE") or Path(__file__).resolve().parents[2] / "shared/corpora/yaml-test-suite")
INPUTS = sorted(SUITE.rglob("in.yaml")) if SUITE.is_dir() else []
PER_INPUT_LIMIT = 2.0  # seconds, for reading one input both ways

pytestmark = pytest.mark.skipif(not INPUTS, reason=f"YAML test suite not found at {SUITE} (set FAZHI_YAML_SUITE)")


def _name(path: Path) -> str:
    return path.parent.relative_to(SUITE).as_posix()


# The child reads every input both ways and prints each name before reading it, so a crash or
# a hang names its input: the last name printed without a matching "ok".
_CHILD = r"""
import sys
from pathlib import Path
from fazhi_cli.store.loader import parse_bytes
for line in sys.stdin:
    path = Path(line.rstrip("\n"))
    print("start", path, flush=True)
    raw = path.read_bytes()
    parse_bytes(raw, "data/tasks.yaml")
    parse_bytes(raw, "ledgers/x.yaml")
    print("ok", path, flush=True)
"""


@pytest.fixture(scope="module")
def unsafe_inputs() -> dict[Path, str]:
    """Inputs that crash or hang the reader in a child process (each retried alone to be sure)."""
    bad: dict[Path, str] = {}
    pending = list(INPUTS)
    while pending:
        try:
            result = subprocess.run(
                [sys.executable, "-c", _CHILD],
                input="\n".join(str(p) for p in pending) + "\n",
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=60,
            )
            out, code = result.stdout, result.returncode
            why = f"exit code {code}: {result.stderr.strip()[-300:]}"
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode("utf-8") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            code, why = None, "no result within 60 s (hang)"
        done = {Path(line[3:]) for line in out.splitlines() if line.startswith("ok ")}
        started = [Path(line[6:]) for line in out.splitlines() if line.startswith("start ")]
        if code == 0 and len(done) == len(pending):
            break
        culprit = next((p for p in reversed(started) if p not in done), None)
        if culprit is None:  # the child died before reading anything: nothing more to learn
            pytest.fail(f"the reader's child process failed: {why}")
        bad[culprit] = why
        pending = [p for p in pending if p not in done and p != culprit]
    return bad


def test_suite_is_complete():
    if "FAZHI_YAML_SUITE" not in os.environ:
        assert len(INPUTS) >= 400, f"only {len(INPUTS)} inputs in {SUITE}"
    assert c_parser_available(), "ruamel.yaml.clib's C parser is not in use: the suite would not test it"


def test_no_input_crashes_or_hangs_the_reader(unsafe_inputs):
    assert not unsafe_inputs, "\n".join(f"{_name(p)}: {why}" for p, why in unsafe_inputs.items())


@pytest.mark.parametrize("path", INPUTS, ids=[_name(p) for p in INPUTS])
def test_input_gets_a_located_problem(path: Path, unsafe_inputs):
    if path in unsafe_inputs:
        pytest.fail(f"crashes or hangs the reader: {unsafe_inputs[path]}")
    raw = path.read_bytes()
    started = time.perf_counter()
    for shown, model in (("data/tasks.yaml", TasksFile), ("ledgers/suite.yaml", Ledger)):
        loaded = load_model(path, shown, model, raw=raw)
        assert loaded.model is None, f"accepted as {shown}"
        assert loaded.problems, f"no problem as {shown}"
        for problem in loaded.problems:
            assert problem.path == shown and problem.code and problem.is_error, problem
            assert problem.line is not None and problem.line >= 1, problem
            assert problem.column is None or problem.column >= 1, problem
            assert "\n" not in problem.message, problem
    assert time.perf_counter() - started < PER_INPUT_LIMIT


def test_all_inputs_as_ledgers_of_one_workspace(tmp_path: Path, unsafe_inputs):
    """The whole suite dropped into ledgers/ at once: a full `check` reports every file."""
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "data", ws / "data")
    with_every_editor(ws)
    (ws / "ledgers").mkdir()
    names = {}
    for path in INPUTS:
        if path in unsafe_inputs:
            continue
        stem = "s-" + _name(path).lower().replace("/", "-")
        (ws / "ledgers" / f"{stem}.yaml").write_bytes(path.read_bytes())
        names[f"ledgers/{stem}.yaml"] = _name(path)
    started = time.perf_counter()
    problems = check_workspace(open_book(ws), dt.date.today())
    elapsed = time.perf_counter() - started
    reported = {p.path for p in problems}
    missing = sorted(names[p] for p in set(names) - reported)
    assert not missing, f"no problem reported for: {missing}"
    assert not [p for p in beyond_the_plan(problems) if p.path.startswith("data/")], "the plan itself got problems"
    assert elapsed < 10, f"{len(names)} ledgers took {elapsed:.1f} s"
    json.dumps([p.as_dict() for p in problems], ensure_ascii=False)  # the JSON output can be made
