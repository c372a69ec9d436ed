"""The command line as a clerk meets it: usage errors in Chinese (never a traceback), and every
command documented with an example in its help and in the README."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer

from conftest import REPO


def fazhi(ws, *args):
    env = os.environ | {"FAZHI_ROOT": str(ws)}
    return subprocess.run([sys.executable, "-m", "fazhi_cli", *args], capture_output=True, text=True, encoding="utf-8", env=env, timeout=30)


@pytest.mark.parametrize(
    "args, message",
    [
        (["close", "7"], "缺少选项 --unit"),
        (["stauts"], "没有命令“stauts”；是否是：status？"),
        (["status", "--foo"], "没有选项 --foo"),
        (["status", "--format", "xml"], "应为以下之一：table、json、csv"),
        (["audit", "--backfill-days", "abc"], "应为数字"),
        (["status", "extra"], "多余的参数：extra"),
    ],
)
def test_usage_errors_are_chinese_with_exit_2(ws, args, message):
    result = fazhi(ws, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert "-h` 查看用法" in result.stderr


def test_no_arguments_shows_help(ws):
    result = fazhi(ws)
    assert result.returncode == 0
    assert "法治政府建设工作台账" in result.stdout


def _commands():
    from fazhi_cli.cli.app import app

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        subs = getattr(command, "commands", None)
        if subs:
            for sub_name, sub in subs.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, command


def test_every_command_has_chinese_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = list(_commands())
    assert len(names) >= 20
    for name, command in names:
        help_text = command.help or ""
        assert any("\u4e00" <= ch <= "\u9fff" for ch in help_text), name
        assert f"fazhi {name.split()[0]}" in readme, f"README does not mention `fazhi {name}`"
        if name.split()[0] not in ("extend",):
            assert "示例" in help_text, f"`fazhi {name}` help has no example"
