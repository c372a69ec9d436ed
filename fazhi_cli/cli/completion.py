"""`fazhi --install-completion` and `--show-completion`: typer's own completion scripts (bash, zsh,
fish, PowerShell), with what fazhi says about them in Chinese. The scripts call back into fazhi,
which completes unit names and task numbers from the workspace (cli/common.py)."""

from __future__ import annotations

import typer
from typer.completion import completion_init

completion_init()  # typer's scripts for each shell answer through these (add_completion=False skips it)

PROG = "fazhi"
COMPLETE_VAR = "_FAZHI_COMPLETE"
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _shell() -> str:
    from typer import _completion_shared as shared

    shell = shared._get_shell_name()
    if shell not in SHELLS:
        typer.echo(
            f"错误：无法识别当前使用的命令行（{shell or '未检测到'}）；自动补全支持 bash、zsh、fish 和 PowerShell。"
            "请在这些命令行中运行，或用 fazhi --show-completion 取得脚本后自行安装",
            err=True,
        )
        raise typer.Exit(2)
    return shell


def install(ctx: typer.Context, param, value: bool):
    """--install-completion: write the script where the shell loads it, and say where."""
    if not value or ctx.resilient_parsing:
        return value
    from typer import _completion_shared as shared

    shell, path = shared.install(shell=_shell(), prog_name=PROG, complete_var=COMPLETE_VAR)
    typer.echo(f"已为 {shell} 安装自动补全：{path}")
    typer.echo("重新打开命令行窗口后生效：输入 fazhi 和空格后按 Tab 键，可补全命令、单位名称和任务序号。")
    raise typer.Exit()


def show(ctx: typer.Context, param, value: bool):
    """--show-completion: print the script, to install by hand."""
    if not value or ctx.resilient_parsing:
        return value
    from typer import _completion_shared as shared

    typer.echo(shared.get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=_shell()))
    raise typer.Exit()
