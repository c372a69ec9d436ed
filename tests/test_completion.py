"""Shell completion (typer's own, `fazhi --install-completion`): units by id, full name, short
name and alias, and task numbers with their titles, read from the workspace. The completion
functions are called directly, and once through typer's completion protocol (what the bash
script the shell runs sends), in this process; no shell is needed."""

from __future__ import annotations

from types import SimpleNamespace

from typer.testing import CliRunner

from fazhi_cli.cli.app import app
from fazhi_cli.cli.common import complete_task, complete_unit


def context(ws, **params):
    return SimpleNamespace(params={"root": ws, **params}, parent=None)


def test_units_complete_by_id_name_short_name_and_alias(ws):
    by_id = dict(complete_unit(context(ws), "ker"))
    assert by_id == {"kerqin": "科尔沁区"}
    chinese = dict(complete_unit(context(ws), "科"))
    assert {"科区", "科尔沁区"} <= set(chinese) and chinese["科区"] == "科尔沁区" and chinese["科尔沁区"] == "kerqin"
    assert all(name.startswith("科") for name in chinese)
    assert len(complete_unit(context(ws), "")) > 40  # every unit, under each of its names
    assert complete_unit(context(ws), "没有这个单位") == []


def test_tasks_complete_with_titles_and_only_what_the_unit_carries(ws):
    every = dict(complete_task(context(ws), ""))
    assert len(every) == 45 and every["2"] == "中心组学法和法治专题讲座"
    assert sorted(dict(complete_task(context(ws), "4"))) == ["4", "40", "41", "42", "43", "44", "45"]
    kerqin = [n for n, _ in complete_task(context(ws, unit="科区"), "")]
    assert "7" in kerqin and len(kerqin) < 45  # task 29 (or another it does not carry) is left out
    assert complete_task(context(ws, unit="没有这个单位"), "1")  # an unknown unit: every task


def test_completion_outside_a_workspace_completes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("FAZHI_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert complete_unit(SimpleNamespace(params={}, parent=None), "k") == []
    assert complete_task(SimpleNamespace(params={}, parent=None), "1") == []


def test_the_shell_protocol_completes_units_and_tasks(ws):
    def complete(words: str, cword: int) -> list[str]:
        env = {"_FAZHI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword), "FAZHI_ROOT": str(ws)}
        result = CliRunner().invoke(app, [], env=env, prog_name="fazhi")
        return result.stdout.split()

    assert "科尔沁区" in complete("fazhi close 7 --unit 科", 4)
    assert complete("fazhi close --unit kerqin 1", 4)[:2] == ["1", "10"]
    assert "status" in complete("fazhi sta", 1)
