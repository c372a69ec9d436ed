"""Shared fixtures: a copy of the shipped workspace in a temp dir, and a way to run the CLI on it."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]

# The cache of validated files (store/cache.py) of this test run: used as in real life, kept out of
# the user's own cache folder. Subprocesses inherit it.
if "FAZHI_CACHE_DIR" not in os.environ:
    import atexit

    os.environ["FAZHI_CACHE_DIR"] = tempfile.mkdtemp(prefix="fazhi-test-cache-")
    atexit.register(shutil.rmtree, os.environ["FAZHI_CACHE_DIR"], True)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def copy_workspace(target: Path) -> Path:
    """The shipped plan (data/ and templates/) in `target`, with an empty ledgers/ folder."""
    shutil.copytree(REPO / "data", target / "data")
    if (REPO / "templates").is_dir():
        shutil.copytree(REPO / "templates", target / "templates")
    (target / "ledgers").mkdir()
    return target


def with_every_editor(ws: Path) -> Path:
    """Give every unit (`<id>@example.gov.cn`) and the office an editor in data/units.yaml: a
    workspace whose roles are configured, so `check` has nothing to say about roles (W305, W306)."""
    import re

    path = ws / "data" / "units.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(office:\n  unit: \S+\n  editors: )\[\]", r"\1[office@example.gov.cn]", text)
    text = re.sub(r"(  - id: (\S+)\n(?:    (?!editors:).*\n)*?    editors: )\[\]", lambda m: f"{m.group(1)}[{m.group(2)}@example.gov.cn]", text)
    path.write_text(text, encoding="utf-8")
    return ws


# The shipped plan's own warning, its date kept as the plan wrote it: 组织验收 ends on 2020-10-31, a
# Saturday (W307 at data/phases.yaml). Tests that want "nothing else to say" leave it out.
SHIPPED_PLAN_WARNING = ("data/phases.yaml", "W307")


def beyond_the_plan(problems: list) -> list:
    """`problems` (dicts of `check --format json`, or Problem values) less the shipped plan's W307."""

    def key(p):
        return (p["path"], p["code"]) if isinstance(p, dict) else (p.path, p.code)

    return [p for p in problems if key(p) != SHIPPED_PLAN_WARNING]


def phase_end_on_a_working_day(ws: Path) -> Path:
    """Move the shipped plan's 组织验收 end from Saturday 2020-10-31 to Friday 2020-10-30: a plan with
    no deadline on a day off (no W307)."""
    path = ws / "data" / "phases.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("end: 2020-10-31") == 1
    path.write_text(text.replace("end: 2020-10-31", "end: 2020-10-30"), encoding="utf-8")
    return ws


@pytest.fixture(scope="session", autouse=True)
def hermetic_git(tmp_path_factory):
    """Every test sees git as a fresh machine has it: no global or system configuration, so the
    identity a command acts as is the one the test sets in its repository (or none); and no
    terminal width."""
    import os

    empty = tmp_path_factory.mktemp("git-config") / "global"
    empty.write_text("", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "COLUMNS", "LINES")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(empty)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    # Output as a pipe has it with no COLUMNS (xdist's workers set COLUMNS=80): tests that want a
    # width say so.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return copy_workspace(tmp_path / "ws")


def run_cli(*args: str, env: dict | None = None) -> Result:
    from fazhi_cli.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run_cli
