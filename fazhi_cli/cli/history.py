"""`fazhi history`: what changed in the ledgers, when and by whom — read from git, compared in the
plan's terms (状态 推进中 → 待审核销号, 新增佐证材料 …), so hand edits show up too.

Everything here comes from people (notes, names, commit subjects) and reaches a terminal, so:
the table shows every control character written out (`\\x1b` …, engine/history.py `printable`)
and never passes rich markup through; JSON keeps the strings exactly as recorded, escaped
(`json_text`: no raw control character in the output); CSV is text like the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, FormatOpt, ListFormat, RootOpt, UnitOpt, fail, parse_date, resolve_unit
from rich.markup import escape

from fazhi_cli.engine.audit import claim_mismatches
from fazhi_cli.engine.history import CommitChanges, CommitInfo, json_safe, printable
from fazhi_cli.book.book import Book
from fazhi_cli.book.plan import Plan
from fazhi_cli.render.console import make_console
from fazhi_cli.render.records import to_csv, to_json
from fazhi_cli.render.tables import print_table
from fazhi_cli.store.git import COMMIT_ACTIONS
from fazhi_cli.core.history import HistoryError, Repo, book_at, load_history, open_repo
from fazhi_cli.book.load import open_book
from fazhi_cli.store.workspace import WorkspaceNotFound, find_workspace

SinceOpt = Annotated[
    Optional[str], typer.Option("--since", help="只看这一天（YYYY-MM-DD，按提交日期）及以后的提交", show_default=False)
]
RangeOpt = Annotated[
    Optional[str],
    typer.Option("--range", help="只看这些提交，如 origin/main..HEAD（git 的提交范围写法）", show_default=False),
]

ACTION_LABELS = COMMIT_ACTIONS

HISTORY_COLUMNS = [
    "commit", "date", "author_date", "author", "email", "subject", "action", "action_label", "manual",
    "unit", "unit_name", "task", "task_title", "path", "kind", "change", "before", "after",
]  # fmt: skip


@dataclass
class Source:
    """Where history is read from: the repository, and the plan (for names; None if unreadable)."""

    repo: Repo
    book: Book | None

    @property
    def plan(self) -> Plan | None:
        return self.book.plan if self.book is not None else None


def open_source(root: Path | None, revisions: str | None = None) -> Source:
    """The workspace's repository, or a bare repository (a central server's copy): exit 2 if neither."""
    try:
        ws = find_workspace(root)
    except WorkspaceNotFound as exc:
        here = Path(root) if root else Path.cwd()
        try:
            repo = open_repo(here)
        except HistoryError as err:
            fail(err.message if err.refused else str(exc), EXIT_CANNOT_RUN)
        if not repo.bare:
            fail(str(exc), EXIT_CANNOT_RUN)
        tip = (revisions or "HEAD").replace("...", "..").split("..")[-1] or "HEAD"
        try:
            book = book_at(repo, tip)
        except HistoryError as err:
            fail(err.message, EXIT_CANNOT_RUN)
        return Source(repo, book)
    try:
        repo = open_repo(ws.root)
    except HistoryError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    return Source(repo, open_book(ws.root, with_ledgers=False))


def unit_filter(source: Source, unit: str | None) -> str | None:
    """A unit named any way the plan knows it; without a readable plan, the id as given."""
    if unit is None:
        return None
    if source.plan is None:
        return unit.strip()
    return resolve_unit(SimpleNamespace(plan=source.plan), unit).id  # type: ignore[arg-type]


def unit_label(plan: Plan | None, unit_id: str | None) -> str | None:
    if unit_id is None:
        return None
    if plan is not None and unit_id in plan.units:
        return plan.units[unit_id].label
    return unit_id


def task_title(plan: Plan | None, task: int | None) -> str | None:
    if task is None or plan is None or task not in plan.tasks:
        return None
    return plan.tasks[task].title


def action_label(commit: CommitInfo, trusted: bool = True) -> str:
    """How the commit reads: the fazhi command it was made by, or 合并 / 手工编辑. A commit whose
    trailers name a command its change is not (A009) reads as a hand edit that says so."""
    if commit.action and trusted:
        return ACTION_LABELS.get(commit.action, commit.action)
    base = "合并" if commit.is_merge else "手工编辑"
    named = commit.action or "、".join(commit.trailer_values("Fazhi-Action"))
    if named:
        return f"{base}（标记为“{ACTION_LABELS.get(named, named)}”，与修改内容不符）"
    return base


def history_rows(plan: Plan | None, commits: list[CommitChanges], task: int | None = None) -> list[dict]:
    """One row per change. `action` is what the commit's Fazhi-Action trailer says (raw);
    `manual` is true unless that claim matches the change the commit carries."""
    rows = []
    for item in commits:
        commit = item.commit
        trusted = commit.action is not None and not claim_mismatches(item)
        for fc in item.ledgers:
            for change in fc.changes:
                if task is not None and change.task != task:
                    continue
                data = change.as_dict()
                rows.append(
                    commit.as_dict()
                    | {
                        "action_label": action_label(commit, trusted),
                        "manual": not trusted,
                        "unit": fc.unit,
                        "unit_name": unit_label(plan, fc.unit),
                        "task": change.task,
                        "task_title": task_title(plan, change.task),
                        "path": fc.path,
                        "kind": data["kind"],
                        "change": data["change"],
                        "before": data["before"],
                        "after": data["after"],
                    }
                )
    return rows


def _when(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def cell(value: object) -> str:
    """A table cell from recorded text: control characters written out, rich markup inert."""
    return escape(printable("" if value is None else str(value)))


def json_text(rows: list[dict]) -> str:
    """JSON of the rows: the strings as recorded (a script gets the real author name or note),
    with every control character escaped — json.dumps escapes C0, `json_safe` the rest."""
    return json_safe(to_json(rows))


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """CSV of the rows, with control characters written out as in the table (tabs and line breaks
    inside quoted cells stay)."""
    return printable(to_csv(rows, columns), keep_newlines=True)


def history(
    unit: UnitOpt = None,
    task: Annotated[Optional[int], typer.Option("--task", "-t", help="只看这项任务（分解表序号）", show_default=False)] = None,
    since: SinceOpt = None,
    revisions: RangeOpt = None,
    fmt: FormatOpt = ListFormat.table,
    root: RootOpt = None,
) -> None:
    """修改历史：谁在什么时候改了哪个单位哪项任务的什么（从 git 提交记录中读取）。

    比较每次提交前后的台账内容，列出有意义的变化：状态（推进中 → 待审核销号）、新增的进展、
    销号记录和佐证材料等；用文本编辑器手工修改后提交的，也一样列出。日期为提交日期。

    示例：fazhi history --unit 科区 --task 20
    示例：fazhi history --since 2020-07-01 --format json
    """
    source = open_source(root, revisions)
    unit_id = unit_filter(source, unit)
    day = parse_date(since, "--since", default_today=False)
    try:
        result = load_history(source.repo, revisions=revisions, since=day, unit=unit_id)
    except HistoryError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    rows = history_rows(source.plan, result.commits, task)
    for note in result.notes():
        make_console(stderr=True).print(note, markup=False)
    if fmt is ListFormat.json:
        typer.echo(json_text(rows), nl=False)
        return
    if fmt is ListFormat.csv:
        typer.echo(csv_text(rows, HISTORY_COLUMNS), nl=False)
        return
    console = make_console()
    if not rows:
        console.print("没有找到符合条件的台账修改记录。", markup=False)
        return
    table = []
    for r in rows:
        task_cell = "" if r["task"] is None else f"任务{r['task']}" + (f" {r['task_title']}" if r["task_title"] else "")
        table.append(
            [
                _when(r["date"]),
                cell(r["author"]),
                cell(r["unit_name"]),
                cell(task_cell),
                cell(r["action_label"]),
                cell(r["change"]),
                r["commit"][:9],
            ]
        )
    title = cell("台账修改历史" + (f"（{unit_label(source.plan, unit_id)}）" if unit_id else ""))
    print_table(title, ["日期", "作者", "单位", "任务", "操作", "变化", "提交"], table)
    commits = len({r["commit"] for r in rows})
    console.print(f"共 {commits} 次提交，{len(rows)} 项变化。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
