"""A posted form → one call of the library's write path (core.operations), as the logged-in user.

Each action names the fields its form has; what the user typed is kept (`Typed`) so a refused
form comes back filled in. The operations decide, lock, edit, validate and commit exactly as the
CLI's commands do; the form adds the entry's stamp (R217 when it changed since the page was
shown) and the user as the commit's author.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from fazhi_cli.book.book import Book
from fazhi_cli.core import operations
from fazhi_cli.core.writes import WriteResult
from fazhi_cli.engine.actions import Who
from fazhi_cli.models.ledger import Action


@dataclass(frozen=True)
class FormSpec:
    action: str
    label: str  # what the button says, and the page's message on success
    fields: tuple[str, ...]
    review: bool = False  # a reviewer's action (the queue), not the unit's own
    uploads: bool = False


FORMS: dict[str, FormSpec] = {
    spec.action: spec
    for spec in (
        FormSpec("plan", "保存工作方案", ("leader", "owner", "measures", "due")),
        FormSpec("progress", "记录进展", ("date", "note", "evidence"), uploads=True),
        FormSpec("record", "记录目标完成情况", ("target", "value", "received", "date", "note", "evidence"), uploads=True),
        FormSpec("close", "申请销号", ("date", "note", "name", "evidence", "cited"), uploads=True),
        FormSpec("extend", "提出延期申请", ("new_due", "reason", "date")),
        FormSpec("claim", "认领任务", ("date",)),
        FormSpec("confirm", "确认销号", ("note", "name", "date"), review=True),
        FormSpec("reject", "退回销号申请", ("reason", "name", "date"), review=True),
        FormSpec("approve", "同意延期", ("note", "name", "date"), review=True),
        FormSpec("refuse", "不同意延期", ("reason", "name", "date"), review=True),
    )
}
MULTI = {"cited"}  # fields given as several values (checkboxes)


@dataclass
class Typed:
    """What the user typed into one form (text fields; `cited` a list)."""

    action: str
    values: dict[str, object] = field(default_factory=dict)

    def get(self, name: str) -> str:
        value = self.values.get(name)
        return value if isinstance(value, str) else ""

    def many(self, name: str) -> list[str]:
        value = self.values.get(name)
        return list(value) if isinstance(value, list) else []

    def text(self, name: str) -> str | None:
        """The field, stripped; None when left empty."""
        value = self.get(name).strip()
        return value or None


# The library's messages name the command's options; on a page they name the form's fields.
FIELD_NAMES = {
    "--evidence": "“佐证材料”栏", "--note": "“说明”栏", "--reason": "“理由”栏", "--date": "“日期”栏", "--new-due": "“申请延至”栏",
    "--value": "“测得的数值”栏", "--target": "“目标”栏", "--leader": "“分管领导”", "--owner": "“具体负责人”", "--measures": "“具体措施”",
    "--due": "“计划完成时间”", "--by": "“姓名”栏", "--received": "“受理日期”栏",
}
OPTION = re.compile(r" ?(--[a-z][a-z-]*) ?")


def for_the_page(message: str) -> str:
    """A refusal's text with the command's option names replaced by the form's field names."""
    return OPTION.sub(lambda m: FIELD_NAMES.get(m.group(1), m.group(0)), message)


def typed_from(spec: FormSpec, form) -> Typed:
    """The spec's fields out of a request's form (a werkzeug MultiDict)."""
    values: dict[str, object] = {}
    for name in spec.fields:
        values[name] = [v for v in form.getlist(name) if v] if name in MULTI else str(form.get(name, ""))
    return Typed(spec.action, values)


def evidence_lines(typed: Typed) -> list[str]:
    """Document numbers and URLs typed one a line, and the files ticked."""
    lines = [line.strip() for line in typed.get("evidence").splitlines() if line.strip()]
    return typed.many("cited") + lines


def run(
    book: Book, spec: FormSpec, unit_id: str, task_id: int, typed: Typed, *, who: Who, author: tuple[str, str], today: dt.date,
    expect: str | None, uploaded: list[str],
) -> WriteResult:
    """The one operation the form asks for; raises core.lookup.Refusal when it is refused."""
    common = dict(today=today, who=who, expect=expect, author=author)
    date = typed.text("date")
    task = str(task_id)
    action = spec.action
    if action == "plan":
        return operations.plan_task(
            book, unit_id, task, leader=typed.text("leader"), owner=typed.text("owner"), measures=typed.text("measures"), due=typed.text("due"), **common
        )
    if action == "claim":
        return operations.claim(book, unit_id, task, date=date, **common)
    evidence = evidence_lines(typed) + uploaded
    if action == "progress":
        return operations.progress(book, unit_id, task, note=typed.get("note"), evidence=evidence, date=date, cwd=book.ws.root, **common)
    if action == "record":
        return operations.record(
            book, unit_id, task, target=typed.text("target"), value=typed.text("value"), received=typed.text("received"), note=typed.text("note"),
            evidence=evidence, date=date, cwd=book.ws.root, **common,
        )
    if action == "close":
        return operations.close(book, unit_id, task, evidence=evidence, note=typed.text("note"), date=date, cwd=book.ws.root, **common)
    if action == "extend":
        return operations.request_extension(book, unit_id, task, new_due=typed.text("new_due") or "", reason=typed.text("reason"), date=date, **common)
    if action in ("confirm", "reject"):
        note = typed.text("note") if action == "confirm" else typed.text("reason")
        return operations.review(book, Action(action), unit_id, task, note=note, date=date, **common)
    if action in ("approve", "refuse"):
        note = typed.text("note") if action == "approve" else typed.text("reason")
        return operations.decide_extension(book, unit_id, task, approve=action == "approve", reason=note, date=date, **common)
    raise KeyError(action)
