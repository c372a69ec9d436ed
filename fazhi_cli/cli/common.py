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
from fazhi_cli.store.session import Session, open_session
from fazhi_cli.store.workspace import WorkspaceNotFound

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2

RootOpt = Annotated[
    Optional[Path],
    typer.Option("--root", help="工作区目录（默认从当前目录向上查找，或取环境变量 FAZHI_ROOT）", show_default=False),
]
UnitOpt = Annotated[Optional[str], typer.Option("--unit", "-u", help="单位：编号、全称、简称或别名均可", show_default=False)]
AsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", help="按哪一天计算（YYYY-MM-DD，默认今天）", show_default=False)
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
    console = make_console(stderr=True)
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        console.print(problem.as_text(), markup=False)
    if limit is not None and len(problems) > limit:
        console.print(f"……另有 {len(problems) - limit} 个问题，运行 `fazhi check` 查看全部", markup=False)


def open_or_exit(root: Path | None, *, need_plan: bool = True, with_ledgers: bool = True) -> Session:
    """Open the workspace; a missing workspace or an invalid plan means the command cannot run (exit 2)."""
    try:
        session = open_session(root, with_ledgers=with_ledgers)
    except WorkspaceNotFound as exc:
        fail(str(exc), EXIT_CANNOT_RUN)
    if need_plan and session.plan is None:
        errors = [p for p in session.plan_problems if p.is_error]
        print_problems(errors, limit=10)
        fail("方案数据（data/ 目录）有错误，无法继续；请先运行 `fazhi check` 并改正", EXIT_CANNOT_RUN)
    return session


def resolve_unit(session: Session, text: str) -> Unit:
    directory = session.plan.directory
    unit = directory.unit(text)
    if unit is not None:
        return unit
    target = directory.lookup(text)
    if target is not None and target.kind == "group":
        fail(f"“{text}”是分组（{directory.groups[target.id].name}），请指定一个具体单位")
    hint = directory.suggestions(text)
    more = f"是否是：{'、'.join(hint)}？" if hint else "运行 `fazhi units` 查看所有单位。"
    fail(f"找不到单位“{text}”。{more}")


def resolve_lead(session: Session, text: str) -> tuple[Unit, list[int]]:
    """A lead unit (牵头单位) and the tasks it leads; exits when it leads none."""
    from fazhi_cli.engine.status import responsibilities

    unit = resolve_unit(session, text)
    resp = responsibilities(session.plan, session.valid_ledgers())
    led = [tid for tid in sorted(resp) if unit.id in resp[tid].lead]
    if not led:
        fail(f"{unit.label}不是任何任务的牵头单位")
    return unit, led


def resolve_task(session: Session, text: str | int) -> Task:
    raw = str(text).strip().removeprefix("任务").removeprefix("#")
    try:
        number = int(raw)
    except ValueError:
        fail(f"任务编号“{text}”不是数字；任务按分解表序号（1–{max(session.plan.tasks)}）指定")
    task = session.plan.tasks.get(number)
    if task is None:
        fail(f"任务 {number} 不存在；任务序号为 1–{max(session.plan.tasks)}，运行 `fazhi tasks` 查看")
    return task


def parse_date(text: str | None, what: str = "日期", *, default_today: bool = True) -> dt.date | None:
    if text is None:
        return dt.date.today() if default_today else None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{what}“{text}”无效，应为 YYYY-MM-DD 格式的真实日期，如 2020-07-31")


def parse_action_date(text: str | None) -> dt.date:
    """The date an action happened (`--date`, default today); a day still to come is refused —
    a ledger records what was done, and the audit flags future dates."""
    day = parse_date(text, "日期")
    if day > dt.date.today():
        fail(f"日期 {day} 晚于今天（{dt.date.today()}）：台账只记录已经发生的事；请检查 --date")
    return day


def save_output(target: Path, data: bytes, opened_in: str) -> None:
    """Write a generated file (report, export) atomically; a file held open by `opened_in`
    (Word/WPS, Excel/WPS) or an unwritable folder means the command cannot run."""
    from fazhi_cli.store.safewrite import WriteError, atomic_write

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data, expected_sha256=None)
    except WriteError as exc:
        fail(f"{exc.message}（文件若已在 {opened_in} 中打开，请先关闭，或用 -o 另存为其他文件名）", EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法写入“{target}”：{exc.strerror or exc}", EXIT_CANNOT_RUN)
