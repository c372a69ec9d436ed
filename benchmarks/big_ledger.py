"""Time one write on ledgers of growing size: does a write cost what the edit costs, or what the file costs?

    python benchmarks/big_ledger.py [--entries 100,1000,10000] [--repeat 5] [--spread all|one]

For each size, a workspace with the shipped plan (data/, templates/ of this checkout) is set up in
a temporary folder with git; 科尔沁区's ledger gets that many progress entries, dated through 2020
(`--spread all`: shared out over every task the unit carries, as a year of work looks;
`--spread one`: all in the task that is written to), and is committed. Then
`fazhi progress T --unit kerqin` runs as a whole process (with its git commit), reset with
`git reset --hard` after each run. Prints the ledger's size, the median wall and CPU seconds, and
the ratio to the smallest size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
UNIT = "kerqin"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "基准测试", "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "基准测试", "GIT_COMMITTER_EMAIL": "bench@example.org",
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def fazhi(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*run.fazhi_command(), *args], cwd=cwd, capture_output=True, text=True, env=env or timed_env())


def timed_env() -> dict:
    """run.py's environment for timed processes, with a git identity for the commits."""
    return {**run.timed_env(), **GIT_ENV, "FAZHI_USER": "bench@example.org"}


def entry_lines(index: int) -> list[str]:
    day = dt.date(2020, 1, 1) + dt.timedelta(days=index * 365 // 10_000 % 330)
    return [
        f"      - date: {day.isoformat()}",
        f"        note: 第{index + 1}次推进：召开专题会议研究部署，印发工作方案并抓好落实",
    ]


def fill_ledger(ws: Path, entries: int, spread: str, task: int) -> Path:
    """Give the unit's ledger `entries` progress entries, inserted under each task's `{}` entry."""
    path = ws / "ledgers" / f"{UNIT}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    tasks = [int(line.strip().rstrip(":{} ")) for line in lines if line.startswith("  ") and line.strip().split(":")[0].isdigit()]
    targets = tasks if spread == "all" else [task]
    share: dict[int, list[int]] = {t: [] for t in targets}
    for n in range(entries):
        share[targets[n % len(targets)]].append(n)
    out: list[str] = []
    for line in lines:
        key = line.strip().split(":")[0]
        if line.startswith("  ") and not line.startswith("   ") and key.isdigit() and int(key) in share and share[int(key)]:
            out.append(f"  {key}:")
            out.append("    progress:")
            for n in share[int(key)]:
                out.extend(entry_lines(n))
        else:
            out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def setup(folder: Path, entries: int, spread: str, task: int) -> Path:
    ws = folder / f"ws-{entries}"
    ws.mkdir(parents=True)
    for name in ("data", "templates"):
        shutil.copytree(REPO / name, ws / name)
    git(ws, "init", "-q", "-b", "main")
    env = {**timed_env(), "FAZHI_TODAY": "2020-11-30"}
    result = fazhi(ws, "init", "--unit", UNIT, "--no-commit", env=env)
    assert result.returncode == 0, result.stderr
    fill_ledger(ws, entries, spread, task)
    result = fazhi(ws, "check", env=env)
    assert result.returncode in (0, 1) and "E0" not in result.stdout, result.stdout[-2000:]
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "台账")
    return ws


def run_once(ws: Path, task: int) -> tuple[float, float]:
    """One timed `fazhi progress` (wall and CPU seconds), its commit undone afterwards."""
    argv = [*run.fazhi_command(), "progress", str(task), "--unit", UNIT, "--note", "基准测试：新增一条进展", "--date", "2020-11-30"]
    wall, cpu, _, code, err = run.run_once(argv, ws, timed_env())
    if code != 0:
        raise SystemExit(f"progress failed ({code}): {err}")
    git(ws, "reset", "-q", "--hard", "HEAD~1")
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--spread", choices=("all", "one"), default="all")
    parser.add_argument("--task", type=int, default=7, help="the task written to (default 7)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.entries.split(",")]
    run.compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="fazhi-big-ledger-") as tmp:
        first: float | None = None
        print(f"| progress entries | ledger KB | lines | wall s (median of {args.repeat}) | CPU s | × smallest |")
        print("|---:|---:|---:|---:|---:|---:|")
        for size in sizes:
            ws = setup(Path(tmp), size, args.spread, args.task)
            ledger = ws / "ledgers" / f"{UNIT}.yaml"
            kb, lines = ledger.stat().st_size / 1024, ledger.read_bytes().count(b"\n")
            run_once(ws, args.task)  # warm-up (caches, page cache)
            runs = [run_once(ws, args.task) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            first = first or wall
            print(f"| {size:,} | {kb:,.0f} | {lines:,} | {wall:.3f} | {cpu:.3f} | {wall / first:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
