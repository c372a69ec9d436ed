"""Start-up: a command imports only what it uses (no timing here: benchmarks/ measures). `fazhi -h`
and `fazhi status` must not load Word, Excel, templates, git history, audit or the ledger editor;
the root group builds a command only when it runs, from the table in cli/app.py, which must agree
with what the command modules define."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer

from conftest import REPO

HEAVY = (
    "docx",
    "openpyxl",
    "jinja2",
    "filelock",
    "fazhi_cli.core.history",
    "fazhi_cli.engine.audit",
    "fazhi_cli.engine.history",
    "fazhi_cli.store.ledgeredit",
    "fazhi_cli.store.safewrite",
    "fazhi_cli.core.operations",
    "fazhi_cli.render.report_fields",
    "chinese_calendar",  # read only when working days are counted (status --workdays, check, reports)
)

PROBE = """
import atexit, json, os, sys
def report():
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(report)
sys.argv = ["fazhi"] + json.loads(os.environ["PROBE_ARGS"])
if sys.argv[1:] == ["--import-only"]:
    import fazhi_cli.cli.app
else:
    from fazhi_cli.cli.app import main
    main()
"""


def modules_loaded(tmp_path, *args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules a fresh `fazhi ARGS` process (on the shipped workspace) had imported when it exited."""
    out = tmp_path / "modules.json"
    env = os.environ | {"PROBE_ARGS": json.dumps(list(args)), "PROBE_OUT": str(out), "FAZHI_ROOT": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert out.is_file(), proc.stderr
    return set(json.loads(out.read_text())), proc


@pytest.mark.parametrize(
    "args",
    [
        ["--import-only"],
        ["--help"],
        ["--version"],
        ["status", "--unit", "科区", "--as-of", "2020-08-06"],
        ["status", "--as-of", "2020-08-06", "--format", "json"],
    ],
)
def test_reading_commands_do_not_import_what_they_do_not_use(tmp_path, args):
    loaded, proc = modules_loaded(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert not [m for m in HEAVY if m in loaded]


def test_help_imports_no_command_module(tmp_path):
    loaded, proc = modules_loaded(tmp_path, "--help")
    assert proc.returncode == 0
    assert "命令：" in proc.stdout
    commands = sorted(m for m in loaded if m.startswith("fazhi_cli.cli.") and m not in ("fazhi_cli.cli.app", "fazhi_cli.cli.usage", "fazhi_cli.cli.help", "fazhi_cli.cli.completion"))
    assert commands == []
    assert "pydantic" not in loaded and "rich" not in loaded


def _eager_group():
    """The command tree as the modules define it, built the ordinary (eager) typer way."""
    from fazhi_cli.cli import app as app_module
    from fazhi_cli.cli.help import ChineseGroup

    eager = typer.Typer(add_completion=False, cls=ChineseGroup, **app_module._SETTINGS)
    eager.callback()(lambda: None)
    seen = []
    for _, module, _ in app_module.COMMANDS:
        if module not in seen:
            seen.append(module)
            __import__(f"fazhi_cli.cli.{module}", fromlist=["register"]).register(eager)
    return typer.main.get_group(eager)


def test_the_command_table_agrees_with_the_modules():
    from fazhi_cli.cli.app import COMMANDS, app

    eager = _eager_group()
    lazy = typer.main.get_command(app)
    assert [name for name, _, _ in COMMANDS] == list(eager.commands), "cli/app.py COMMANDS: names or order differ from the modules"
    for name, _, summary in COMMANDS:
        command = eager.commands[name]
        assert summary == (command.help or "").split("\n\n")[0].strip(), f"cli/app.py COMMANDS: the help of `{name}` changed; copy its first paragraph"
        assert command.short_help is None and not command.hidden and not command.deprecated
    with typer.Context(lazy, info_name="fazhi") as ctx:
        assert lazy.list_commands(ctx) == list(eager.commands)


def test_lazily_built_commands_are_the_eager_ones():
    """Each command's own help (its options, arguments, defaults) is the same either way."""
    from fazhi_cli.cli.app import app

    eager = _eager_group()
    lazy = typer.main.get_command(app)

    def helps(group, path):
        with typer.Context(group, info_name=path) as ctx:
            out = {path: group.get_help(ctx) if path != "fazhi" else None}
            for name in group.list_commands(ctx):
                command = group.get_command(ctx, name)
                if hasattr(command, "list_commands"):
                    out.update(helps(command, f"{path} {name}"))
                else:
                    with typer.Context(command, info_name=name, parent=ctx) as sub:
                        out[f"{path} {name}"] = command.get_help(sub)
        return out

    assert helps(lazy, "fazhi") == helps(eager, "fazhi")
