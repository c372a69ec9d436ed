"""Hostile-input corpus: every broken file gets a located problem with a stable code, fast.

The cases are listed in tests/corpus/cases.yaml (see the comment at its top); their files sit in
tests/corpus/, except binary or very large inputs, which the recipes in GENERATORS below make.
Each case runs the real command against a fresh copy of the shipped workspace:

    fazhi check --root <copy> --format json

in this process, through typer's CliRunner (the CLI is the interface under test, not the
internals), and checks the exit code, the expected problem (code, path, line, column), that no
exception escapes and no traceback is printed, that it finishes within the product's 2-second
guarantee, and that the workspace is byte-for-byte unchanged afterwards (and no
`!!python/object/apply` marker file appeared).

A handful of cases, one of each kind (a YAML syntax error, a binary file, an alias bomb, deep
nesting, a valid workspace), also run as a real `python -m fazhi_cli` subprocess, for what only
a separate process shows: the exit code as the shell sees it, stderr free of tracebacks, and
that the process survives (the C parser cannot be allowed to segfault it). Deep nesting is safe
in-process too: the reader walks the C parser's event stream itself (libyaml's parser keeps its
own stack, it does not recurse) and stops at `yamlread.MAX_DEPTH` levels before anything is
built, so the recursive C composer that can crash is never used.

The 2 seconds are checked on CPU time (user + system): of this process around the in-process
run, of the child for a subprocess (where the platform reports it). On a busy CI machine the
wall-clock time also counts waiting for a CPU, which is not ours.
Set FAZHI_CORPUS_TIMINGS=<file> to have every case's wall and CPU time written there as JSON.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import beyond_the_plan, with_every_editor, run_cli

try:
    import resource
except ImportError:  # Windows: fall back to wall-clock time
    resource = None
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
TIME_LIMIT = 2.0  # seconds: the product guarantee for `fazhi check` on a hostile file
MARKER = "fazhi-pwned-marker"  # what the !!python/object/apply cases try to create

TIMINGS: dict[str, dict[str, float]] = {}


# --- generated inputs ----------------------------------------------------------------------------
VALID_LEDGER = (CORPUS / "ledger-valid.yaml").read_text(encoding="utf-8")


def _png() -> bytes:
    # PNG signature and the start of an IHDR chunk: the first NUL byte is on "line" 3.
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06" + bytes(range(256))


def _junk() -> bytes:
    # High bytes without NUL: neither UTF-8 nor GB18030 (0x80 and 0xFF are never valid there).
    return bytes(range(0x80, 0x100)) * 16


def _nul() -> bytes:
    lines = VALID_LEDGER.split("\n")
    lines[5] = "\x00" + lines[5]
    return "\n".join(lines).encode("utf-8")


def _big_valid_ledger() -> bytes:
    # Just under the 2 MB limit: a valid ledger followed by 40,000 comment lines.
    comment = "# " + "说明文字" * 15 + "\n"
    count = (2 * 1024 * 1024 - 50_000) // len(comment.encode("utf-8"))
    return (VALID_LEDGER + comment * count).encode("utf-8")


def _huge_file() -> bytes:
    filler = "# " + "x" * 998 + "\n"
    return (VALID_LEDGER + filler * 2200).encode("utf-8")


def _huge_line() -> bytes:
    head = "unit: kerqin\ntasks:\n  7:\n    progress:\n      - date: 2020-03-10\n        note: "
    return (head + "很" * 20_000 + "\n").encode("utf-8")


def _too_many_values() -> bytes:
    # 1.9 MB, under the size limit, but 2,500 values a line from line 9 on: 625,000 values (such a
    # file took over 4 s to read before values were counted). The 200,000 limit is crossed on line 88.
    head = (
        "unit: kerqin\ntasks:\n  7:\n    records:\n      - target: x\n        date: 2020-03-10\n"
        "        note: 见下\n        evidence: [\n"
    )
    body = ("          " + "a, " * 2_500 + "\n") * 250
    return (head + body + "          a]\n").encode("utf-8")


def _many_unknown_keys() -> bytes:
    return ("unit: kerqin\ntasks: {}\n" + "".join(f"k{i}: 1\n" for i in range(20_000))).encode("utf-8")


def _brackets_one_line() -> bytes:
    return b"unit: kerqin\ntasks: " + b"[" * 30_000 + b"\n"


def _brackets_lines() -> bytes:
    return b"unit: kerqin\ntasks:\n" + b" [\n" * 30_000


def _brackets_5000() -> bytes:
    return b"unit: kerqin\ntasks: " + b"[" * 5_000 + b"\n"


def _dashes_one_line() -> bytes:
    return b"unit: kerqin\ntasks:\n" + b"- " * 4_000 + b"x\n"


def _block_maps_deep() -> bytes:
    lines = ["unit: kerqin", "tasks:"] + ["  " * (i + 1) + f"k{i}:" for i in range(100)] + ["  " * 101 + "v"]
    return ("\n".join(lines) + "\n").encode("utf-8")


GENERATORS = {
    "png": _png,
    "junk": _junk,
    "nul": _nul,
    "big-valid-ledger": _big_valid_ledger,
    "huge-file": _huge_file,
    "huge-line": _huge_line,
    "too-many-values": _too_many_values,
    "many-unknown-keys": _many_unknown_keys,
    "brackets-one-line": _brackets_one_line,
    "brackets-lines": _brackets_lines,
    "brackets-5000": _brackets_5000,
    "dashes-one-line": _dashes_one_line,
    "block-maps-deep": _block_maps_deep,
}

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-16-le": lambda text: text.encode("utf-16-le"),
    "gbk": lambda text: text.encode("gbk"),
}


def _newlines(text: str, style: str) -> str:
    if style == "lf":
        return text
    if style == "crlf":
        return text.replace("\n", "\r\n")
    if style == "cr":
        return text.replace("\n", "\r")
    if style == "mixed":
        lines = text.split("\n")
        return "".join(line + ("\r\n" if i % 2 == 0 else "\n") for i, line in enumerate(lines[:-1])) + lines[-1]
    raise ValueError(f"unknown newline style {style!r}")


def case_bytes(case: dict) -> bytes:
    if "generate" in case:
        return GENERATORS[case["generate"]]()
    text = (CORPUS / case["file"]).read_text(encoding="utf-8")
    text = _newlines(text, case.get("newline", "lf"))
    return ENCODINGS[case.get("encoding", "utf-8")](text)


# --- the manifest --------------------------------------------------------------------------------
def load_cases() -> list[dict]:
    data = YAML(typ="safe", pure=True).load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
    return data["cases"]


CASES = load_cases()


def test_manifest_is_consistent():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 60
    used = set()
    for case in CASES:
        assert ("file" in case) != ("generate" in case), case["name"]
        if "file" in case:
            assert (CORPUS / case["file"]).is_file(), case["name"]
            used.add(case["file"])
        else:
            assert case["generate"] in GENERATORS, case["name"]
        used.update(case.get("with", {}).values())
        assert case["exit"] in (0, 1), case["name"]
        assert case["exit"] == 0 or "code" in case, case["name"]
        assert case["to"].startswith(("data/", "ledgers/")), case["name"]
    unused = sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "cases.yaml" and p.name not in used)
    assert not unused, f"case files no case uses: {unused}"


# --- running -------------------------------------------------------------------------------------
def make_workspace(base: Path) -> Path:
    ws = base / "ws"
    shutil.copytree(ROOT / "data", ws / "data")
    with_every_editor(ws)
    (ws / "ledgers").mkdir()
    return ws


def snapshot(ws: Path) -> dict[str, str]:
    return {
        p.relative_to(ws).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file()
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_check(ws: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run `fazhi check` on `ws`; return the result and its time (CPU time where available)."""
    env = {k: v for k, v in os.environ.items() if k != "FAZHI_ROOT"}
    env["PYTHONIOENCODING"] = "utf-8"
    command = [sys.executable, "-m", "fazhi_cli", "check", "--root", str(ws), "--format", "json"]
    cpu_before = _children_cpu() if resource else 0.0
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ws, env=env, capture_output=True, timeout=10)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before if resource else wall
    result.wall_time = wall  # type: ignore[attr-defined]
    return result, cpu


def decode_output(result: subprocess.CompletedProcess) -> tuple[list[dict], str]:
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "内部错误" not in stderr, stderr
    stdout = result.stdout.decode("utf-8")
    assert result.returncode != 2, f"cannot run: {stderr}"
    return json.loads(stdout), stderr


def check_in_process(ws: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[dict], str, float, float]:
    """`fazhi check --root ws --format json` through CliRunner, from inside `ws` as the subprocess
    runs; return exit code, problems, stderr, CPU time and wall-clock time."""
    monkeypatch.chdir(ws)
    cpu_before = time.process_time()
    started = time.perf_counter()
    result = run_cli("check", "--root", str(ws), "--format", "json", env={"FAZHI_ROOT": None})
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr, result.stderr
    assert result.exit_code != 2, f"cannot run: {result.stderr}"
    return result.exit_code, json.loads(result.stdout), result.stderr, cpu, wall


def prepare_case(case: dict, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ws = make_workspace(tmp_path)
    target = ws / case["to"]
    target.write_bytes(case_bytes(case))
    for destination, name in case.get("with", {}).items():
        (ws / destination).write_bytes((CORPUS / name).read_bytes())
    return ws, snapshot(ws)


def assert_case_outcome(
    case: dict, ws: Path, tmp_path: Path, before: dict[str, str],
    code: int, problems: list[dict], stderr: str, cpu: float, wall: float,
) -> None:
    TIMINGS[case["name"]] = {"cpu": round(cpu, 3), "wall": round(wall, 3)}
    shown = "\n".join(f"{p['path']}:{p['line']}:{p['column']}: {p['code']} {p['message'][:120]}" for p in problems)
    assert code == case["exit"], f"exit {code}\n{shown}\n{stderr}"
    assert cpu < TIME_LIMIT, f"took {cpu:.2f} s of CPU ({wall:.2f} s wall-clock)"
    assert snapshot(ws) == before, "the workspace changed"
    assert not (ws / MARKER).exists() and not (tmp_path / MARKER).exists()
    for problem in problems:
        assert problem["path"] and problem["code"] and problem["severity"] in ("error", "warning"), problem
        assert problem["line"] is None or problem["line"] >= 1, problem
        assert problem["column"] is None or (problem["column"] >= 1 and problem["line"] is not None), problem
        assert "\n" not in problem["message"] and "\r" not in problem["message"], problem

    if "code" not in case:
        # A units.yaml of the corpus lists no editors: that is the role warning (W305), not a problem of the file;
        # nor is the shipped plan's own W307 (组织验收 ends on Saturday 2020-10-31).
        others = [p for p in problems if not (p["code"] == "W305" and case["to"] == "data/units.yaml")]
        assert beyond_the_plan(others) == [], shown
        return
    path = case.get("path", case["to"])
    matching = [p for p in problems if p["code"] == case["code"] and p["path"] == path]
    for key in ("line", "column"):
        if key in case:
            matching = [p for p in matching if p[key] == case[key]]
    assert matching, f"expected {case['code']} at {path}:{case.get('line')}:{case.get('column')}, got:\n{shown}"
    if "contains" in case:
        assert any(str(case["contains"]) in p["message"] for p in matching), shown
    allowed = {case["code"], *case.get("also", [])}
    errors = [p for p in problems if p["severity"] == "error"]
    assert {p["code"] for p in errors} == allowed, shown
    assert {p["path"] for p in errors} == {path}, shown
    if "max_problems" in case:
        assert len(beyond_the_plan(problems)) <= case["max_problems"], f"{len(problems)} problems"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ws, before = prepare_case(case, tmp_path)
    code, problems, stderr, cpu, wall = check_in_process(ws, monkeypatch)
    assert_case_outcome(case, ws, tmp_path, before, code, problems, stderr, cpu, wall)


# One case of each kind, run again as a real process: exit code, stderr, survival.
SUBPROCESS_CASES = [
    "unclosed-double-quote",  # a YAML syntax error
    "ledger-png",  # a binary file
    "alias-bomb",  # refused before anything is expanded
    "ledger-brackets-30000-lines",  # deep nesting that would crash the C composer
    "ledger-valid",  # a valid workspace: exit 0, nothing printed
]
BY_NAME = {case["name"]: case for case in CASES}


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_case_in_a_subprocess(name: str, tmp_path: Path):
    case = BY_NAME[name]
    ws, before = prepare_case(case, tmp_path)
    result, cpu = run_check(ws)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    problems, stderr = decode_output(result)
    assert_case_outcome(case, ws, tmp_path, before, result.returncode, problems, stderr, cpu, result.wall_time)
    if case["exit"] == 0:
        assert stderr == "", stderr


# --- plan files that are missing or cannot be read -----------------------------------------------
@pytest.mark.parametrize("name", ["units", "phases"])
@pytest.mark.parametrize("how", ["missing", "directory"])
def test_plan_file_missing_or_unreadable(name: str, how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ws = make_workspace(tmp_path)
    target = ws / "data" / f"{name}.yaml"
    target.unlink()
    if how == "directory":
        target.mkdir()
    code, problems, _, elapsed, _ = check_in_process(ws, monkeypatch)
    assert code == 1 and elapsed < TIME_LIMIT
    assert {(p["path"], p["code"]) for p in problems} == {(f"data/{name}.yaml", "E001")}, problems


def test_no_workspace_is_exit_2(tmp_path: Path):
    ws = make_workspace(tmp_path)
    (ws / "data" / "tasks.yaml").unlink()
    result, _ = run_check(ws)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and "Traceback" not in stderr and "tasks.yaml" in stderr


# --- several broken files at once ----------------------------------------------------------------
def test_every_broken_ledger_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One broken ledger does not stop the others from being read and checked."""
    ws = make_workspace(tmp_path)
    ledgers = ws / "ledgers"
    ledgers.joinpath("kerqin.yaml").write_bytes(
        (CORPUS / "ledger-syntax-unclosed-double-quote.yaml").read_bytes()
    )
    ledgers.joinpath("kulun.yaml").write_bytes(VALID_LEDGER.replace("kerqin", "kulun").encode("gbk"))
    ledgers.joinpath("fayuan.yaml").write_bytes((CORPUS / "ledger-fayuan-task7.yaml").read_bytes())
    ledgers.joinpath("kerqn.yaml").write_bytes((CORPUS / "ledger-unknown-unit.yaml").read_bytes())
    ledgers.joinpath("CON.yaml").write_bytes(VALID_LEDGER.encode("utf-8"))
    ledgers.joinpath("naiman.yaml").write_bytes(_png())
    ledgers.joinpath("kailu.yaml").write_bytes(_brackets_lines())
    ledgers.joinpath("zhalute.yaml").write_bytes((CORPUS / "ledger-tag-python-apply.yaml").read_bytes().replace(b"kerqin", b"zhalute"))
    ledgers.joinpath("kezuozhong.yaml").write_bytes(VALID_LEDGER.replace("kerqin", "kezuozhong").encode("utf-8"))
    before = snapshot(ws)

    code, problems, _, elapsed, _ = check_in_process(ws, monkeypatch)
    assert code == 1
    assert elapsed < TIME_LIMIT * 2
    found = {(p["path"], p["code"], p["line"]) for p in problems}
    expected = {
        ("ledgers/kerqin.yaml", "E006", 6),
        ("ledgers/kulun.yaml", "E002", 5),
        ("ledgers/fayuan.yaml", "E304", 8),
        ("ledgers/kerqn.yaml", "E301", 1),
        ("ledgers/CON.yaml", "E204", None),
        ("ledgers/naiman.yaml", "E003", 3),
        ("ledgers/kailu.yaml", "E012", 26),
        ("ledgers/zhalute.yaml", "E010", 6),
    }
    assert expected <= found, sorted(found)
    assert not [p for p in problems if p["path"] == "ledgers/kezuozhong.yaml"], "a valid ledger got problems"
    assert snapshot(ws) == before
    assert not (ws / MARKER).exists()


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    """After the cases, write the measured times when asked (FAZHI_CORPUS_TIMINGS=<file>)."""
    yield
    target = os.environ.get("FAZHI_CORPUS_TIMINGS")
    if target and TIMINGS:
        ordered = dict(sorted(TIMINGS.items(), key=lambda item: -item[1]["cpu"]))
        Path(target).write_text(json.dumps(ordered, indent=2), encoding="utf-8")
