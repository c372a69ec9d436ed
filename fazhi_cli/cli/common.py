"""What every command shares: options, opening the workspace, naming units, failing politely."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.problems import Problem
from fazhi_cli.render.console import make_console
from fazhi_cli.book.book import Book
from fazhi_cli.book.load import open_book
from fazhi_cli.core.lookup import Refusal, find_lead, find_task, find_unit, parse_day
from fazhi_cli.store.source import SourceError
from fazhi_cli.store.workspace import WorkspaceNotFound

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2
BINARY_SUFFIXES = (".docx", ".xlsx")

# --- shell completion (typer's own: `fazhi --install-completion`) --------------------------------
# Run by the shell on every Tab, so: the plan only (ledgers when the task list depends on a
# unit's claims), nothing printed, and never an error — a broken workspace completes nothing.


def _completion_book(ctx: typer.Context, *, with_ledgers: bool = False) -> Book | None:
    root = None
    node = ctx
    while node is not None and root is None:
        root = (node.params or {}).get("root")
        node = node.parent
    try:
        book = open_book(root, with_ledgers=with_ledgers)
    except Exception:  # noqa: BLE001 - completion must never fail in the shell
        return None
    return book if book.plan is not None else None


def complete_unit(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Units by id, full name, short name and alias (what `--unit` accepts), each with its name."""
    return _complete_units(_completion_book(ctx), incomplete, leading_only=False)


def complete_lead(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """What `--lead` accepts: the units that lead a task, under each of their names."""
    return _complete_units(_completion_book(ctx), incomplete, leading_only=True)


def _complete_units(book: Book | None, incomplete: str, *, leading_only: bool) -> list[tuple[str, str]]:
    if book is None:
        return []
    leaders = {uid for r in book.responsibilities.values() for uid in r.lead} if leading_only else None
    out: dict[str, str] = {}
    folded = incomplete.casefold()
    for unit in book.plan.units.values():
        if leaders is not None and unit.id not in leaders:
            continue
        for name in (unit.id, unit.short, unit.name, *unit.aliases):
            if name and name.casefold().startswith(folded) and name not in out:
                out[name] = unit.name if name != unit.name else unit.id
    return sorted(out.items())


def complete_task(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Task numbers with their titles; with `--unit` given first, only the tasks it carries."""
    unit_text = (ctx.params or {}).get("unit")
    book = _completion_book(ctx, with_ledgers=bool(unit_text))
    if book is None:
        return []
    numbers = sorted(book.plan.tasks)
    if unit_text:
        unit = book.plan.directory.unit(unit_text)
        if unit is not None:
            numbers = book.tasks_of(unit.id)
    return [(str(n), book.plan.tasks[n].title) for n in numbers if str(n).startswith(incomplete)]


RootOpt = Annotated[
    Optional[Path],
    typer.Option("--root", metavar="目录", help="工作区目录（默认从当前目录向上查找，或取环境变量 FAZHI_ROOT）", show_default=False),
]
UnitOpt = Annotated[
    Optional[str],
    typer.Option("--unit", "-u", metavar="单位", help="单位：编号、全称、简称或别名均可", show_default=False, autocompletion=complete_unit),
]
AsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", metavar="日期", help="按哪一天计算（YYYY-MM-DD，默认今天）", show_default=False)
]


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="输出格式：table（表格）、json、csv")]


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    make_console(stderr=True).print(f"错误：{message}", markup=False)
    raise typer.Exit(code)


def print_problems(problems: list[Problem], limit: int | None = None) -> None:
    """Problems on stderr: located ones as `path:line:col: 错误 CODE …`, refusals as `错误 CODE …`."""
    console = make_console(stderr=True)
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        console.print(problem.as_text() if problem.path else f"错误 {problem.code} {problem.message}", markup=False)
    if limit is not None and len(problems) > limit:
        console.print(f"……另有 {len(problems) - limit} 个问题，运行 `fazhi check` 查看全部", markup=False)


def acting_identity(root: Path) -> str | None:
    """Who runs this command: `FAZHI_USER` (set by a server or the web entry), else the git
    e-mail address of the workspace's repository (`git config user.email`); None when neither."""
    import os

    from fazhi_cli.store.git import git_email

    return (os.environ.get("FAZHI_USER") or "").strip() or git_email(root)


def today() -> dt.date:
    """The one place the CLI asks the clock; everything below takes the day as an argument."""
    return dt.date.today()


def open_or_exit(root: Path | None, *, need_plan: bool = True, with_ledgers: bool = True) -> Book:
    """Open the workspace; a missing workspace or an invalid plan means the command cannot run (exit 2)."""
    try:
        book = open_book(root, with_ledgers=with_ledgers)
    except WorkspaceNotFound as exc:
        fail(str(exc), EXIT_CANNOT_RUN)
    except SourceError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    if need_plan and book.plan is None:
        errors = [p for p in book.plan_problems if p.is_error]
        print_problems(errors, limit=10)
        fail("方案数据（data/ 目录）有错误，无法继续；请先运行 `fazhi check` 并改正", EXIT_CANNOT_RUN)
    return book


def or_exit(call, *args, **kwargs):
    """Run a library lookup; a Refusal is shown with its codes and the command exits 1."""
    try:
        return call(*args, **kwargs)
    except Refusal as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_PROBLEMS) from None


def resolve_unit(book: Book, text: str) -> Unit:
    return or_exit(find_unit, book, text)


def resolve_lead(book: Book, text: str) -> tuple[Unit, list[int]]:
    """A lead unit (牵头单位) and the tasks it leads; exits when it leads none."""
    return or_exit(find_lead, book, text)


def resolve_task(book: Book, text: str | int) -> Task:
    return or_exit(find_task, book, text)


def parse_date(text: str | None, what: str = "日期", *, default_today: bool = True) -> dt.date | None:
    if text is None and not default_today:
        return None
    return or_exit(parse_day, text, what, today())


def view_day(book: Book, text: str | None) -> dt.date:
    """The day a view is as of (`--as-of`, default today); a day outside the plan's year is
    allowed with a warning."""
    day = parse_date(text, "--as-of")
    if book.plan is not None and day.year != book.plan.year:
        make_console(stderr=True).print(f"警告：统计日期 {day} 不在方案年度（{book.plan.year}年）内", markup=False)
    return day


ForceOpt = Annotated[
    bool, typer.Option("--force", help="允许覆盖 -o 指定的已存在的其他类型文件（data/、ledgers/ 等原始记录仍不会被覆盖）")
]


def to_stdout(target: Path | None) -> bool:
    """`-o -`: the generated file goes to standard output."""
    return target is not None and str(target) == "-"


def save_output(root: Path, target: Path, data: bytes, opened_in: str, suffix: str, *, force: bool = False) -> None:
    """Write a generated file (report, export) atomically, never over the workspace's records or
    over a file of another kind unless `force` (exit 1); `-o -` writes to standard output (a
    binary document is not sent to a terminal). A file held open by `opened_in` (Word/WPS,
    Excel/WPS) or an unwritable folder means the command cannot run."""
    import sys

    if to_stdout(target):
        if suffix in BINARY_SUFFIXES and sys.stdout.isatty():
            fail(f"{suffix} 是二进制文件，不能输出到屏幕；请用 -o - 接管道或重定向（如 > 文件{suffix}），或用 -o 指定文件名")
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:  # a text-only stream (tests capture this way): bytes as UTF-8 text
            sys.stdout.write(data.decode("utf-8", errors="surrogateescape"))
        else:
            out.write(data)
            out.flush()
        return
    from fazhi_cli.core.outputs import output_problem
    from fazhi_cli.store.safewrite import WriteError, atomic_write

    problem = output_problem(root, target, suffix, force=force)
    if problem is not None:
        print_problems([problem])
        raise typer.Exit(EXIT_PROBLEMS)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data, expected_sha256=None)
    except WriteError as exc:
        fail(f"{exc.message}（文件若已在 {opened_in} 中打开，请先关闭，或用 -o 另存为其他文件名）", EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法写入“{target}”：{exc.strerror or exc}", EXIT_CANNOT_RUN)
