"""Benchmark: time the main commands on the shipped plan with every unit's ledger filled in.

    python scripts/bench.py [--repeat 3]

Builds a workspace in a temp folder (the 2020 plan, 34 ledgers, each carried task with a work plan,
three progress entries, records for its targets and a close-out), runs each command as a user
would (a fresh process), and prints the best wall time of each. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fill_ledgers(ws: Path) -> int:
    sys.path.insert(0, str(REPO))
    from fazhi_cli.book.load import open_book

    book = open_book(ws, with_ledgers=False)
    plan = book.plan
    lines_total = 0
    for unit in plan.units.values():
        out = [f"unit: {unit.id}", "tasks:"]
        for index, tid in enumerate(book.tasks_of(unit.id)):
            task = plan.tasks[tid]
            out += [f"  # 任务{tid} {task.title}", f"  {tid}:", "    plan:", "      leader: 张三", "      owner: 李四",
                    "      measures: 制定方案，明确分工，按月调度", "      due: 2020-07-15", "    progress:"]
            for month in (3, 4, 5):
                out += [f"      - date: 2020-0{month}-1{index % 9}", f"        note: 第{month}月推进情况：召开专题会议并形成纪要",
                        "        evidence:", f"          - 通政发〔2020〕{tid}{month}号"]
            if task.targets:
                out.append("    records:")
                for target in task.targets:
                    count = int(target.min or 1) if target.measure.value == "count" else 1
                    for month in range(3, 3 + count):
                        out += [f"      - target: {target.key}", f"        date: 2020-{month:02d}-20"]
                        if target.measure.value != "count":
                            out.append("        value: 90")
            if index % 3:
                out += ["    log:", "      - date: 2020-07-20", "        action: apply", "        evidence: [通政发〔2020〕99号]"]
                if index % 3 == 2:
                    out += ["      - date: 2020-07-25", "        action: confirm"]
        text = "\n".join(out) + "\n"
        lines_total += text.count("\n")
        (ws / "ledgers" / f"{unit.id}.yaml").write_text(text, encoding="utf-8")
    return lines_total


def best_time(args: list[str], env: dict, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "fazhi_cli", *args], env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{args} failed: {result.stderr}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(REPO / "data", ws / "data")
        (ws / "ledgers").mkdir()
        lines = fill_ledgers(ws)
        env = os.environ | {"FAZHI_ROOT": str(ws), "PYTHONPATH": str(REPO)}
        print(f"workspace: 34 ledgers, {lines} lines of YAML")
        runs = [
            ("fazhi --version (start-up)", ["--version"]),
            ("fazhi check", ["check"]),
            ("fazhi status (all units)", ["status", "--as-of", "2020-08-06"]),
            ("fazhi status --unit kerqin", ["status", "--unit", "kerqin", "--as-of", "2020-08-06"]),
            ("fazhi status --format json", ["status", "--as-of", "2020-08-06", "--format", "json"]),
            ("fazhi progress (one edit)", ["progress", "7", "--unit", "kerqin", "--note", "追加", "--date", "2020-08-01", "--no-commit"]),
            ("fazhi report monthly (docx)", ["report", "monthly", "--as-of", "2020-08-06", "-o", str(Path(tmp) / "m.docx")]),
            ("fazhi report 0805 --unit kerqin (docx)", ["report", "0805", "--unit", "kerqin", "--as-of", "2020-08-06", "-o", str(Path(tmp) / "k.docx")]),
            ("fazhi export --format xlsx", ["export", "--format", "xlsx", "--as-of", "2020-08-06", "-o", str(Path(tmp) / "t.xlsx")]),
        ]
        for label, args in runs:
            print(f"{label:42s} {best_time(args, env, options.repeat):6.2f} s")


if __name__ == "__main__":
    main()
