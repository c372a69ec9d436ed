"""Each command once with an empty cache (cold) and then again with nothing changed (warm).

    python benchmarks/cold_warm.py WORKSPACE [--commands status-unit,status,check,...] [--warm 2]

WORKSPACE is one that run.py or make_workspace.py generated (its benchmark.json says the sample
unit and day). Each command runs as a fresh process from the workspace folder, first with
FAZHI_CACHE_DIR pointing at a new empty folder, then `--warm` times more with that folder as the
first run left it; the baseline (ruamel's C safe load of the same YAML files) runs once. Prints
wall and CPU seconds, peak RSS and the ratios to the baseline — the budget's "cold" and "warm"
lines at a size too big for run.py's repeated runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import BASELINE, COMMANDS, compile_bytecode, fazhi_command, fill, head, run_once, timed_env

DEFAULT = "status-unit,status,check,report-html,report-docx,export,close"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--commands", default=DEFAULT)
    parser.add_argument("--warm", type=int, default=2, help="warm runs after the cold one (median reported)")
    args = parser.parse_args(argv)
    ws = args.workspace.resolve()
    manifest = json.loads((ws / "benchmark.json").read_text(encoding="utf-8"))
    by_key = {c.key: c for c in COMMANDS}
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="fazhi-cold-warm-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        wall, cpu, rss, code, err = run_once([sys.executable, "-c", BASELINE, str(ws)], ws, timed_env())
        base = wall
        print(f"{manifest['units']} units; baseline (YAML parse only): {wall:.2f} s, CPU {cpu:.2f} s, {rss / 1024:.0f} MB")
        print("| command | cold s | cold CPU s | cold RSS MB | cold × base | warm s | warm CPU s | warm RSS MB | warm × base |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key in args.commands.split(","):
            command = by_key[key]
            env = {**timed_env(), "FAZHI_CACHE_DIR": str(Path(tmp) / f"cache-{key}")}
            argv = fazhi_command() + fill(command.args, manifest, out)
            start = head(ws) if command.resets else None
            runs = []
            for _ in range(1 + args.warm):
                wall, cpu, rss, code, err = run_once(argv, ws, env)
                if command.resets:
                    subprocess.run(["git", "reset", "-q", "--hard", start], cwd=ws, check=True)
                if code not in command.ok_codes:
                    raise SystemExit(f"{command.label} exited {code}:\n{err[-3000:]}")
                runs.append((wall, cpu, rss))
            cold, warm = runs[0], runs[1:]
            w = statistics.median(r[0] for r in warm)
            c = statistics.median(r[1] for r in warm)
            m = max(r[2] for r in warm)
            print(
                f"| {command.label} | {cold[0]:.2f} | {cold[1]:.2f} | {cold[2] / 1024:.0f} | {cold[0] / base:.2f}× "
                f"| {w:.2f} | {c:.2f} | {m / 1024:.0f} | {w / base:.2f}× |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
