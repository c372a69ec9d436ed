"""Shared fixtures: a copy of the shipped workspace in a temp dir, and a way to run the CLI on it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]


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
