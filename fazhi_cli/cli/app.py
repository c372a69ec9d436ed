"""The `fazhi` command: one small module per command, registered here."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping

import typer
from typer.core import TyperGroup

from fazhi_cli import __version__
from fazhi_cli.store import interrupts
from fazhi_cli.cli import completion
from fazhi_cli.cli.help import ChineseGroup
from fazhi_cli.cli.usage import explain, hint, is_help_request, is_usage_error

EXIT_INTERRUPTED = 130

# Every command: its name, the module under fazhi_cli/cli/ whose `register(app)` defines it, and
# the first paragraph of its help (what `fazhi -h` lists), in the order `fazhi -h` shows them.
# A command's module is imported only when that command runs (or its own help is asked for), so
# `fazhi -h` and `fazhi status` do not pay for Word, Excel, templates or git history code.
# tests/test_startup_imports.py checks this table against the modules.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("check", "check", "检查整个工作区：方案数据（data/）和各单位台账（ledgers/）。"),
    ("tasks", "listing", "列出重点工作任务（分解表）。"),
    ("units", "listing", "列出单位及其所属分组、牵头的任务和编辑人员。"),
    ("status", "status", "查看进度：未完成、逾期、临期事项。"),
    ("init", "init", "为各单位建立台账：创建缺少的台账文件，并补上缺少的任务条目。"),
    ("plan", "workplan", "填写某项任务的工作方案：分管领导、具体负责人、具体措施、计划完成时间（制定方案阶段）。"),
    ("claim", "workplan", "认领责任单位为“各相关部门”等开放式分组的任务（制定方案阶段各单位认领责任）。"),
    ("progress", "progress", "记录一条工作进展（台账资料）。"),
    ("record", "progress", "记录一次计数（如一次中心组学法）或一个测得的数值（如双随机一公开占比 85%）。"),
    ("close", "closeout", "申请销号（附佐证材料）。需要审核的工作区中，状态变为“待审核销号”，由牵头单位或依法治市办确认。"),
    ("confirm", "closeout", "确认销号（牵头单位或依法治市办审核通过）。"),
    ("reject", "closeout", "退回销号申请，并写明理由和整改要求。"),
    ("reopen", "closeout", "重新打开已销号的事项，须写明理由。"),
    ("schema", "schema", "生成编辑器校验用的 JSON Schema（写入 schemas/ 目录）。"),
    ("import-plan", "import_plan", "从 Word、Excel 或 CSV 文件导入任务分解表，写入 data/tasks.yaml。"),
    ("fix-encoding", "fix_encoding", "把用 GBK/ANSI 编码保存的文件（Windows 记事本、WPS 的默认中文编码）转换为 UTF-8。"),
    ("history", "history", "修改历史：谁在什么时候改了哪个单位哪项任务的什么（从 git 提交记录中读取）。"),
    ("audit", "audit", "审计修改历史（供依法治市办使用）：发现问题时退出码为 1，可用于 CI 或服务器端钩子。"),
    ("codeowners", "codeowners", "根据 data/units.yaml 生成 CODEOWNERS 文件：各单位台账归本单位编辑人员，data/ 和 templates/ 归依法治市办。"),
    ("guard", "guard", "中心仓库的服务器端检查（git pre-receive 钩子）：不合规定的推送整个被拒绝，并逐条说明原因。"),
    ("who", "who", "谁可以填报、申请销号、确认销号、审批延期：按 data/units.yaml 登记的编辑人员和 settings.yaml 的 review_by。"),
    ("report", "report", "生成报送材料：按 data/phases.yaml 中的报送要求和 templates/ 中的模板。"),
    ("export", "export", "导出工作台账总表：每个单位每项任务一行（分管领导、措施、时限、状态、进展、佐证材料）。"),
    ("remind", "remind", "催办：列出各单位临近完成时限、已逾期的事项，待审核的销号申请和待审批的延期申请。"),
    ("site", "site", "生成静态看板：全市总览、每个单位一页、每项任务一页，图表为内嵌 SVG。"),
    ("serve", "serve", "网页版：浏览器中查看进度、填报台账、审核销号和延期、下载报表。"),
    ("extend", "extend", "延期申请：提出（request）、同意（approve）、不同意（refuse）。"),
)
_MODULE = {name: module for name, module, _ in COMMANDS}
_SUMMARY = {name: summary for name, _, summary in COMMANDS}

# The settings the root Typer passes down to the commands it builds (see `_build`).
_SETTINGS = dict(pretty_exceptions_enable=False, rich_markup_mode=None)


def _build(module_name: str) -> dict[str, "typer.core.click.Command"]:
    """The click commands one module registers, built exactly as the root Typer would build them."""
    module = importlib.import_module(f"fazhi_cli.cli.{module_name}")
    holder = typer.Typer(add_completion=False, **_SETTINGS)
    module.register(holder)
    return dict(typer.main.get_group(holder).commands)


class _Commands(MutableMapping):
    """The root group's commands by name: every name is known, a command is built on first use."""

    def __init__(self) -> None:
        self.built: dict = {}

    def __getitem__(self, name: str):
        if name not in self.built:
            if name not in _MODULE:
                raise KeyError(name)
            for built_name, command in _build(_MODULE[name]).items():
                self.built.setdefault(built_name, command)
        return self.built[name]

    def __setitem__(self, name: str, command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __iter__(self) -> Iterator[str]:
        yield from _MODULE
        yield from (n for n in self.built if n not in _MODULE)

    def __len__(self) -> int:
        return len(_MODULE) + sum(n not in _MODULE for n in self.built)

    def __contains__(self, name: object) -> bool:
        return name in _MODULE or name in self.built


class LazyGroup(ChineseGroup):
    """The root `fazhi` group: commands built on demand; its help lists them from `COMMANDS`."""

    def __init__(self, *, commands=None, **attrs) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()
        for name, command in (commands or {}).items():
            self.commands[name] = command

    _listing = False

    def format_commands(self, ctx, formatter) -> None:
        """The help's command list, from `COMMANDS` for the commands not built yet."""
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx, cmd_name: str):
        if self._listing and cmd_name in _SUMMARY and cmd_name not in self.commands.built:
            return _Listed(_SUMMARY[cmd_name])
        return super().get_command(ctx, cmd_name)


class _Listed:
    """What the help's command list needs of a command that was not built: its short help."""

    hidden = False

    def __init__(self, summary: str) -> None:
        self.help = summary

    def get_short_help_str(self, limit: int = 45) -> str:
        from typer._click.utils import make_default_short_help

        return make_default_short_help(self.help, limit).strip()


app = typer.Typer(
    name="fazhi",
    help="法治政府建设工作台账：任务分解、单位台账、销号管理与报送材料。\n\n在工作区目录（含 data/tasks.yaml）中运行。",
    no_args_is_help=True,
    add_completion=False,  # our own options below say what they did in Chinese
    **_SETTINGS,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        print(f"fazhi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="显示版本并退出"),
    install_completion: bool = typer.Option(
        False, "--install-completion", callback=completion.install, is_eager=True, expose_value=False,
        help="为当前使用的命令行（bash、zsh、PowerShell 等）安装 Tab 自动补全",
    ),
    show_completion: bool = typer.Option(
        False, "--show-completion", callback=completion.show, is_eager=True, expose_value=False,
        help="显示当前命令行的自动补全脚本，可复制后自行安装",
    ),
) -> None:
    """法治政府建设工作台账。"""




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
