"""The benchmark's synthetic workspaces (benchmarks/make_workspace.py) are valid, deterministic and
counted the same by fazhi and by a direct reading of the files; the runner's table builds.
No timing is asserted."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO, run_cli

BENCH = REPO / "benchmarks"


def _module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


gen = _module("make_workspace")


def digest(root: Path) -> dict[str, str]:
    """Every file of the workspace outside .git, by path, as sha256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("bench") / "ws"
    made = gen.make(out, 6, 10, seed=7, commits=2)
    return out, made


def only_role_warning(result) -> bool:
    """`check` passes with nothing but W305: the synthetic plan names no editors, so the import
    commit (every unit's ledger, written by the office) is not a role violation for `audit`."""
    problems = json.loads(result.stdout)
    return result.exit_code == 0 and [p["code"] for p in problems] == ["W305"]


def test_generated_workspace_passes_check(small):
    out, _ = small
    result = run_cli("check", "--format", "json", "--root", out)
    assert only_role_warning(result), result.stdout + result.stderr


def test_every_state_and_log_action_occurs(tmp_path):
    made = gen.make(tmp_path / "ws", 12, 20, seed=3, use_git=False)
    scenarios = {s for per_unit in made.scenarios.values() for s in per_unit.values()}
    assert {"empty", "plan_only", "in_progress", "pending", "closed", "rejected", "reopened"} <= scenarios
    actions, extensions, claims, files = set(), set(), 0, 0
    for per_unit in made.entries.values():
        for entry in per_unit.values():
            actions |= {item["action"] for item in entry.get("log", [])}
            extensions |= {e.get("decision", "pending") for e in entry.get("extensions", [])}
            claims += "claimed" in entry
    assert actions == {"apply", "confirm", "reject", "reopen"}
    assert extensions == {"approved", "refused", "pending"}
    assert claims > 0
    assert any((tmp_path / "ws" / "evidence").rglob("*.pdf"))
    assert only_role_warning(run_cli("check", "--format", "json", "--root", tmp_path / "ws"))


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = gen.make(tmp_path / "a", 6, 10, seed=11, commits=1)
    gen.make(tmp_path / "b", 6, 10, seed=11, commits=1)
    gen.make(tmp_path / "c", 6, 10, seed=12, commits=1)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert a.manifest["evidence_files"] == len(list((tmp_path / "a" / "evidence").rglob("*.*")))


def test_git_history_is_one_import_and_k_edits(small):
    out, made = small
    import subprocess

    log = subprocess.run(["git", "log", "--format=%s"], cwd=out, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(log) == 3 and log[-1].startswith("导入台账")
    assert made.manifest["commits"] == 2
    result = run_cli("audit", "--root", out)
    assert result.exit_code == 0, result.stdout


def _closed_and_pending(log: list[dict]) -> tuple[bool, bool]:
    """The state a 销号 log leaves an entry in, replayed here (not by fazhi's engine)."""
    state = "open"
    for item in log:
        action = item["action"]
        if action == "apply":
            state = "pending"
        elif action in ("confirm", "close"):
            state = "closed"
        elif action in ("reject", "reopen"):
            state = "open"
    return state == "closed", state == "pending"


def test_status_totals_agree_with_the_files(small):
    out, made = small
    yaml = YAML(typ="safe", pure=False)
    closed: dict[str, int] = {}
    pending: dict[str, int] = {}
    for path in sorted((out / "ledgers").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        unit = data["unit"]
        closed[unit] = pending[unit] = 0
        for entry in (data.get("tasks") or {}).values():
            c, p = _closed_and_pending(entry.get("log", []))
            closed[unit] += c
            pending[unit] += p
    result = run_cli("status", "--format", "json", "--as-of", made.manifest["as_of"], "--root", out)
    assert result.exit_code == 0, result.stderr
    rows = {row["unit"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {unit for unit, tasks in made.carried.items() if tasks}  # the office carries none here
    for unit, row in rows.items():
        assert row["closed"] == closed[unit], unit
        assert row["pending_review"] == pending[unit], unit
        assert row["total"] == len(made.carried[unit]), unit  # the generator's own reading of who carries what
    assert sum(closed.values()) > 0 and sum(pending.values()) > 0


def test_runner_table_and_quick_run(tmp_path, capsys):
    run = _module("run")
    results = [
        run.Result("baseline", 70, [0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [20_000] * 3),
        run.Result("check", 70, [1.0, 1.2, 1.1], [1.0] * 3, [60_000] * 3),
        run.Result("baseline", 300, [0.4], [0.4], [25_000]),
        run.Result("check", 300, [4.4], [4.0], [90_000]),
        run.Result("history", 300, skipped="estimated"),
    ]
    workspace = {"units": 70, "counties": 18, "tasks": 45, "entries": 1, "carried": 1, "ledger_lines": 10, "evidence_files": 2}
    text = run.markdown(run.machine(), {"repeat": 3, "budget": 30}, [workspace], results)
    assert "| check | 70 | 3 | 1.100 | 1.000 |" in text and "5.5× | 1.0× |" in text  # 1.1/0.2 and itself
    assert "| check | 300 | 1 | 4.400 |" in text and "11.0× | 4.0× |" in text
    assert "skipped: estimated" in text and run.MARKER in text
    # notes below the marker survive a rewrite
    out = tmp_path / "RESULTS.md"
    out.write_text("stale table\n" + run.MARKER + "\n\n## Profile (before)\nnotes\n", encoding="utf-8")
    run.write_out(out, text)
    assert out.read_text(encoding="utf-8").endswith(run.MARKER + "\n\n## Profile (before)\nnotes\n")
    assert "stale table" not in out.read_text(encoding="utf-8")
    # a real (tiny) run: the baseline and `fazhi --help` as processes
    assert run.main(["--quick", "--sizes", "5", "--commands", "help", "--no-compile", "--cache", str(tmp_path / "cache"), "--commits", "0"]) == 0
    printed = capsys.readouterr().out
    assert "| fazhi --help | 5 | 1 |" in printed and "| baseline: parse the YAML" in printed
