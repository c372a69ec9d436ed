"""The package's layers: imports point one way, packages form no cycle, and the engine is pure.

models → store → book → engine → core → render → web → cli (each may import only what is below it;
`problems` is part of the base, beside models). `web` (the web application) sits below `cli` and
only `cli/serve.py` imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fazhi_cli"

# Lower number = lower layer. render and core are siblings: neither imports the other.
RANK = {"problems": 0, "models": 0, "store": 1, "book": 2, "engine": 3, "core": 4, "render": 4, "web": 5, "cli": 6}
TOP = {"__init__", "__main__"}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "fazhi_cli" or len(parts) < 2:
        return None
    return parts[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        found.append((".".join(relative.parts), path))
    return found


def test_every_module_belongs_to_a_layer():
    unknown = [m for m, _ in modules() if layer_of(m) not in RANK and layer_of(m) not in TOP]
    assert unknown == []


def test_imports_point_down_only():
    wrong = []
    for module, path in modules():
        mine = layer_of(module)
        if mine in TOP:
            continue
        for line, target in imports_of(path):
            theirs = layer_of(target)
            if theirs is None or theirs in TOP or theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} {mine} imports {target}")
    assert wrong == []


def test_no_cycle_between_packages():
    edges: dict[str, set[str]] = {}
    for module, path in modules():
        mine = layer_of(module)
        for _, target in imports_of(path):
            theirs = layer_of(target)
            if theirs and theirs != mine and mine not in TOP and theirs not in TOP:
                edges.setdefault(mine, set()).add(theirs)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in edges if reaches(p, p, {p}))
    assert cycles == []


def test_only_the_serve_command_imports_the_web_layer():
    importers = sorted(
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for module, path in modules()
        if layer_of(module) not in ("web", None)
        for line, target in imports_of(path)
        if layer_of(target) == "web"
    )
    assert importers and all(i.startswith("fazhi_cli/cli/serve.py:") for i in importers), importers


# The engine computes from the Book and the day it is given: no clock, no files, no processes.
IMPURE_NAMES = {"today", "now", "open", "read_bytes", "read_text", "write_bytes", "write_text", "iterdir", "is_file", "exists", "glob"}
IMPURE_MODULES = {"os", "subprocess", "pathlib", "shutil", "tempfile", "filelock", "socket"}


def test_engine_is_pure():
    found = []
    for module, path in modules():
        if layer_of(module) != "engine":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in IMPURE_NAMES:
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in IMPURE_NAMES:
                found.append(f"{path.name}:{node.lineno} {node.func.id}()")
        for line, target in imports_of(path):
            if target.split(".")[0] in IMPURE_MODULES:
                found.append(f"{path.name}:{line} import {target}")
    assert found == []


def test_the_check_itself_catches_an_upward_import(tmp_path):
    """The import walker sees `from fazhi_cli.cli… import` in an engine module (so the test above
    cannot pass by seeing nothing)."""
    sample = tmp_path / "x.py"
    sample.write_text("from fazhi_cli.cli.common import fail\nimport os\n", encoding="utf-8")
    assert imports_of(sample) == [(1, "fazhi_cli.cli.common"), (2, "os")]
    assert RANK[layer_of("fazhi_cli.cli.common")] > RANK["engine"]
