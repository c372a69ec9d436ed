"""The `fazhi` command: one small module per command, registered here."""

from __future__ import annotations

import sys

import typer

from fazhi_cli import __version__
from fazhi_cli.store import interrupts
from fazhi_cli.cli.usage import explain, hint, is_help_request, is_usage_error
from fazhi_cli.cli import audit, check, closeout, codeowners, extend, fix_encoding, guard, history, init, listing, progress, schema, status, who, workplan, report, export, remind

EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="fazhi",
    help="法治政府建设工作台账：任务分解、单位台账、销号管理与报送材料。\n\n在工作区目录（含 data/tasks.yaml）中运行。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"fazhi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="显示版本并退出"),
) -> None:
    """法治政府建设工作台账。"""


for module in (check, listing, status, init, workplan, progress, closeout, extend, schema, fix_encoding, history, audit, codeowners, guard, who, report, export, remind):
    module.register(app)


def main() -> None:
    """Entry point: never shows a Python traceback to a clerk."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    interrupts.install()
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        print("已取消。", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except SystemExit:
        raise
    except Exception as exc:
        if is_help_request(exc):
            print(exc.format_message())
            sys.exit(0)
        if not is_usage_error(exc):
            _internal_error(exc)
        print(f"错误：{explain(exc)}\n{hint(exc)}", file=sys.stderr)
        sys.exit(2)
    if code == EXIT_INTERRUPTED and interrupts.last() is not None:  # click turns Ctrl-C into exit 130
        _interrupted(interrupts.last())
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted(exc: KeyboardInterrupt) -> None:
    """Ctrl-C or SIGTERM: say what state the files are in, exit 130."""
    if isinstance(exc, interrupts.Interrupted):
        print(f"已中断：{exc.done}。", file=sys.stderr)
    else:
        print("已中断：没有只写了一半的文件（每个文件要么已写完，要么未改动）；可运行 `git status` 查看。", file=sys.stderr)
    sys.exit(EXIT_INTERRUPTED)


def _internal_error(exc: Exception) -> None:
    """Last resort: a bug, not bad input."""
    print(
        f"内部错误：{type(exc).__name__}: {exc}\n"
        "这是 fazhi 的缺陷，不是您的操作问题；没有文件被部分写入。请把这条信息和所运行的命令发给维护人员。",
        file=sys.stderr,
    )
    sys.exit(2)
