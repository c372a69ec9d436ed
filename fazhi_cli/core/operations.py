"""Every ledger write as one library call: plan, claim, progress, record, close (apply), confirm,
reject, reopen, extension request and decision. Each resolves its target in the Book, decides in
the engine, and writes through core.writes; each returns a WriteResult or raises Refusal.

Every write also takes `expect` (the entry's `entry_stamp` as the user saw it: refused with R217
when the entry changed since) and `author` (name, e-mail: the commit's author, for a front end
acting for a logged-in user).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fazhi_cli.book.book import Book
from fazhi_cli.core.evidence import parse_evidence
from fazhi_cli.core.lookup import find_task, find_unit, parse_day, refuse
from fazhi_cli.core.writes import Author, WriteResult, action_date, require_valid_ledger, write_entry, writable_target
from fazhi_cli.engine.actions import (
    NOBODY,
    Decision,
    Who,
    Refused,
    decide_close,
    decide_extension_decision,
    decide_extension_request,
    decide_plan,
    decide_progress,
    decide_record,
    decide_review,
    find_target,
    parse_value,
)
from fazhi_cli.engine.roles import Act, roles_of
from fazhi_cli.models.ledger import Action


def authorize(book: Book, who: Who, act: Act, unit, task) -> None:
    """Refuse (R213–R216, saying who may) unless `who.account` may do `act` to this entry."""
    why = roles_of(book.plan).why_not(act, who.account, unit.id, task.id, unit.label)
    if why is not None:
        raise refuse(*why)


def plan_task(book: Book, unit: str, task: str, *, today: dt.date, leader=None, owner=None, measures=None, due=None, who: Who = NOBODY, commit=True, expect=None, author: Author = None) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    due_date = parse_day(due, "计划完成时间", today) if due is not None else None
    return write_entry(
        book, the_unit, the_task,
        lambda entry: decide_plan(book.plan, the_task, the_unit, leader=leader, owner=owner, measures=measures, due=due_date),
        today=today, action="plan", commit=commit, expect=expect, author=author,
    )


def claim(book: Book, unit: str, task: str, *, today: dt.date, date=None, who: Who = NOBODY, commit=True, expect=None, author: Author = None) -> WriteResult:
    the_unit = find_unit(book, unit)
    the_task = find_task(book, task)
    require_valid_ledger(book, the_unit)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    resp = book.responsibilities[the_task.id]
    if not resp.open_groups:
        raise refuse("R210", f"任务 {the_task.id} 的责任单位已在分解表中列明，不能认领")
    if the_unit.id in resp.everyone and the_unit.id not in book.claims.get(the_task.id, ()):
        raise refuse("R210", f"{the_unit.label}已是任务 {the_task.id} 的牵头或责任单位，无需认领")
    when, warnings = action_date(book, date, today)

    def decide(entry):
        if entry.claimed is not None:
            return None
        return Decision(set={"claimed": when}, summary="认领任务")

    return write_entry(book, the_unit, the_task, decide, today=today, action="claim", commit=commit, expect=expect, author=author, warnings=warnings)


def progress(
    book: Book, unit: str, task: str, *, today: dt.date, note: str, evidence=None, date=None, cwd: Path | None = None, who: Who = NOBODY, commit=True, expect=None, author: Author = None
) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    when, warnings = action_date(book, date, today)
    items = parse_evidence(book, the_unit, evidence, cwd)
    return write_entry(
        book, the_unit, the_task, lambda entry: decide_progress(entry, date=when, note=note, evidence=items),
        today=today, action="progress", commit=commit, expect=expect, author=author, warnings=warnings,
    )


def record(
    book: Book, unit: str, task: str, *, today: dt.date, target=None, value=None, note=None, evidence=None, date=None, cwd: Path | None = None,
    who: Who = NOBODY, commit=True, received=None, expect=None, author: Author = None,
) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    try:
        the_target = find_target(the_task, target)
        number = parse_value(the_target, value)
    except Refused as exc:
        raise refuse(exc.code, exc.message) from None
    when, warnings = action_date(book, date, today)
    # The day of receipt may lie in the year before (a case received in late December): it is
    # bounded by the day of settlement, which is checked like every --date.
    since = parse_day(received, "受理日期", today) if received is not None else None
    items = parse_evidence(book, the_unit, evidence, cwd)
    return write_entry(
        book, the_unit, the_task,
        lambda entry: decide_record(book.plan, the_task, the_target, entry, date=when, value=number, note=note, evidence=items, received=since),
        today=today, action="record", commit=commit, expect=expect, author=author, warnings=warnings,
    )


def close(
    book: Book, unit: str, task: str, *, today: dt.date, evidence=None, note=None, date=None, who: Who = NOBODY, cwd: Path | None = None, commit=True, expect=None, author: Author = None
) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    when, warnings = action_date(book, date, today)
    items = parse_evidence(book, the_unit, evidence, cwd)
    return write_entry(
        book, the_unit, the_task,
        lambda entry: decide_close(book.plan, the_task, the_unit, entry, date=when, who=who, note=note, evidence=items),
        today=today, action="close", commit=commit, expect=expect, author=author, warnings=warnings,
    )


def review(book: Book, action: Action, unit: str, task: str, *, today: dt.date, note=None, date=None, who: Who = NOBODY, commit=True, expect=None, author: Author = None) -> WriteResult:
    """confirm, reject or reopen a close-out: by a reviewer of the task, never the unit itself."""
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.REVIEW, the_unit, the_task)
    when, warnings = action_date(book, date, today)
    return write_entry(
        book, the_unit, the_task, lambda entry: decide_review(entry, action, date=when, who=who, note=note),
        today=today, action=action.value, commit=commit, expect=expect, author=author, warnings=warnings,
    )


def request_extension(book: Book, unit: str, task: str, *, today: dt.date, new_due, reason=None, date=None, who: Who = NOBODY, commit=True, expect=None, author: Author = None) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.EDIT, the_unit, the_task)
    when, warnings = action_date(book, date, today)
    target = parse_day(new_due, "新的完成时限", today)
    return write_entry(
        book, the_unit, the_task,
        lambda entry: decide_extension_request(book.plan, the_task, the_unit, entry, date=when, reason=reason, new_due=target, who=who),
        today=today, action="extend", commit=commit, expect=expect, author=author, warnings=warnings,
    )


def decide_extension(
    book: Book, unit: str, task: str, *, approve: bool, today: dt.date, reason=None, date=None, who: Who = NOBODY, commit=True, expect=None, author: Author = None
) -> WriteResult:
    the_unit, the_task = writable_target(book, unit, task)
    authorize(book, who, Act.REVIEW, the_unit, the_task)
    when, warnings = action_date(book, date, today)
    return write_entry(
        book, the_unit, the_task,
        lambda entry: decide_extension_decision(entry, approve=approve, date=when, who=who, note=reason),
        today=today, action="extend-approve" if approve else "extend-refuse", commit=commit, expect=expect, author=author, warnings=warnings,
    )
