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


def _as_if_in(monkeypatch, tmp_path, shell: str | None):
    import shellingham

    def detect():
        if shell is None:
            raise shellingham.ShellDetectionFailure()
        return shell, f"/bin/{shell}"

    monkeypatch.setattr(shellingham, "detect_shell", detect)
    monkeypatch.setenv("HOME", str(tmp_path))


def test_install_completion_writes_the_script_and_says_so_in_chinese(monkeypatch, tmp_path):
    _as_if_in(monkeypatch, tmp_path, "bash")
    result = CliRunner().invoke(app, ["--install-completion"], prog_name="fazhi")
    assert result.exit_code == 0, result.output
    script = tmp_path / ".bash_completions" / "fazhi.sh"
    assert result.stdout.splitlines()[0] == f"已为 bash 安装自动补全：{script}"
    assert "重新打开命令行窗口后生效" in result.stdout and "installed" not in result.stdout
    assert "_FAZHI_COMPLETE=complete_bash" in script.read_text() and str(script) in (tmp_path / ".bashrc").read_text()
    shown = CliRunner().invoke(app, ["--show-completion"], prog_name="fazhi")
    assert shown.exit_code == 0 and "complete -o default -F _fazhi_completion fazhi" in shown.stdout


def test_install_completion_in_an_unknown_shell_says_what_to_do(monkeypatch, tmp_path):
    for shell in (None, "tcsh"):
        _as_if_in(monkeypatch, tmp_path, shell)
        result = CliRunner().invoke(app, ["--install-completion"], prog_name="fazhi")
        assert result.exit_code == 2 and "自动补全支持 bash、zsh、fish 和 PowerShell" in result.stderr
        assert "fazhi --show-completion" in result.stderr and not (tmp_path / ".bash_completions").exists()


def test_lead_completes_only_units_that_lead_a_task(ws):
    from fazhi_cli.cli.common import complete_lead

    assert complete_lead(context(ws), "司") == [("司法局", "通辽市司法局")]
    assert "科区" not in dict(complete_lead(context(ws), "科"))  # 科尔沁区 leads no task
    assert "科区" in dict(complete_unit(context(ws), "科"))
