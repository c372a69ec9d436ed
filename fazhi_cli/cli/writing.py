"""Showing what a library write did: the result, its warnings, and refusals with their codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import typer

from fazhi_cli.book.book import Book
from fazhi_cli.cli.common import EXIT_PROBLEMS, acting_identity, open_or_exit, print_problems, today
from fazhi_cli.engine.actions import Who
from fazhi_cli.core.writes import CommitFailure, Refusal, WriteResult
from fazhi_cli.render.console import make_console


def run_write(root: Path | None, write: Callable[[Book, dt.date, Who], WriteResult], name: str | None = None) -> None:
    """Open the workspace, run one write as the acting identity (with the typed `name`), show
    its outcome; exit 1 when it was refused."""
    book = open_or_exit(root)
    try:
        result = write(book, today(), Who(acting_identity(book.ws.root), name))
    except Refusal as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_PROBLEMS) from None
    show_result(result)


def show_result(result: WriteResult) -> None:
    err = make_console(stderr=True)
    for warning in result.warnings:
        err.print(f"警告：{warning}", markup=False)
    if result.changed:
        what = f"{result.unit.label} 任务{result.task.id}（{result.task.title}）"
        make_console().print(f"已记录：{what}{result.summary} → {result.shown}", markup=False)
    else:
        make_console().print(f"没有变化：{result.shown} 已是所要的内容", markup=False)
    if isinstance(result.commit_warning, CommitFailure):
        err.print(f"错误：{result.commit_warning}", markup=False)
        raise typer.Exit(EXIT_PROBLEMS)
    if result.commit_warning:
        err.print(f"警告：{result.commit_warning}", markup=False)
