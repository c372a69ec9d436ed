"""`fazhi check` in full: the plan's problems plus every ledger's, evidence files included."""

from __future__ import annotations

import datetime as dt

from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.book.book import Book, LedgerFile
from fazhi_cli.engine.rules import entry_violations
from fazhi_cli.models.ledger import EvidenceFile
from fazhi_cli.engine.evidence import ACCEPTED, classify_text, file_problem
from fazhi_cli.problems import Problem, Severity, error, warning


def check_book(book: Book, today: dt.date, files=None, templates: set[str] | None = None) -> list[Problem]:
    """Every problem of the workspace: reading, the plan, each ledger file, each ledger's content.
    `files` answers sha256(path) for evidence files (None: not checked); `templates` is the set of
    template names that exist (None: not checked)."""
    problems = list(book.problems)
    plan = book.plan
    if plan is not None and templates is not None:
        problems += check_templates(book, templates)
    if plan is None:
        return problems
    for stem, ledger_file in book.ledger_files.items():
        if ledger_file.model is None or stem not in book.ledgers:
            continue
        problems += check_ledger(book, ledger_file, today, files)
    return problems


def check_templates(book: Book, templates: set[str]) -> list[Problem]:
    """Every template named in data/phases.yaml exists (`templates`: the names that do)."""
    problems = []
    phases = book.files.phases
    for section in ("submissions", "recurring"):
        for index, item in enumerate(getattr(phases.model, section)):
            name = item.template
            if name and name not in templates:
                line, col = phases.position((section, index, "template"))
                problems.append(
                    error(phases.path, line, col, "E209", f"模板“{name}”不存在：templates/ 中没有 {name}.docx.j2、{name}.html.j2 或 {name}.md.j2")
                )
    return problems


def check_ledger(book: Book, loaded: LedgerFile, today: dt.date, files=None) -> list[Problem]:
    """The content of one valid ledger against the plan: units, tasks carried, targets, the 销号
    rules, deadlines, evidence, dates."""
    plan = book.plan
    resp = book.responsibilities
    ledger = loaded.model
    problems: list[Problem] = []
    unit = plan.units.get(ledger.unit)
    if unit is None:
        line, col = loaded.position(("unit",))
        hint = plan.directory.suggestions(ledger.unit)
        more = f"是否是：{'、'.join(hint)}？" if hint else "请检查 data/units.yaml"
        return [error(loaded.path, line, col, "E301", f"单位“{ledger.unit}”不存在。{more}")]
    for task_id, entry in ledger.tasks.items():
        at = ("tasks", task_id)
        task = plan.tasks.get(task_id)
        if task is None:
            line, col = loaded.position(at, key=True)
            problems.append(error(loaded.path, line, col, "E303", f"任务 {task_id} 不存在（任务序号为 1–{max(plan.tasks)}）"))
            continue
        r = resp[task_id]
        if entry is not None and entry.claimed is not None and not r.open_groups:
            line, col = loaded.position(at + ("claimed",), key=True)
            problems.append(
                error(loaded.path, line, col, "E304", f"任务 {task_id} 的责任单位已明确列出，不能认领（只有“各相关部门”等开放式分组的任务可以认领）")
            )
        elif ledger.unit not in r.everyone:
            line, col = loaded.position(at, key=True)
            how = "；该任务有开放式责任分组，可加“claimed: 日期”认领" if r.open_groups else ""
            problems.append(error(loaded.path, line, col, "E304", f"{unit.label}不承担任务 {task_id}{how}"))
        if entry is None:
            continue
        keys = {t.key for t in task.targets}
        for index, record in enumerate(entry.records):
            if record.target not in keys:
                line, col = loaded.position(at + ("records", index, "target"))
                known = "、".join(sorted(keys)) or "（该任务没有量化目标）"
                problems.append(error(loaded.path, line, col, "E308", f"任务 {task_id} 没有目标“{record.target}”；可用的目标：{known}"))
        for violation in entry_violations(plan, task, unit, entry):
            line, col = loaded.position(at + violation.where)
            problems.append(Problem(loaded.path, line, col, violation.code, violation.message, violation.severity))
        if entry.plan and entry.plan.due:
            official = official_due(plan, task, unit)
            if entry.plan.due > official.date:
                line, col = loaded.position(at + ("plan", "due"))
                problems.append(
                    warning(loaded.path, line, col, "W301", f"计划完成时间 {entry.plan.due} 晚于规定时限 {official.date}（{official.source}）")
                )
        problems += _check_evidence(book, loaded, at, entry, files)
        problems += _check_future_dates(loaded, at, entry, today)
    future = {(p.line, p.column) for p in problems if p.code == "W303"}
    return [p for p in problems if not (p.code == "W304" and (p.line, p.column) in future)]


def _check_future_dates(loaded: LedgerFile, at: tuple, entry, today: dt.date) -> list[Problem]:
    """Things recorded as done on a day still to come (a typo, or a backfill with the wrong year)."""
    places = [(("progress", i, "date"), p.date) for i, p in enumerate(entry.progress)]
    places += [(("records", i, "date"), r.date) for i, r in enumerate(entry.records)]
    places += [(("log", i, "date"), item.date) for i, item in enumerate(entry.log)]
    places += [(("extensions", i, "requested"), e.requested) for i, e in enumerate(entry.extensions)]
    problems = []
    for path, day in places:
        if day > today:
            line, col = loaded.position(at + path)
            problems.append(warning(loaded.path, line, col, "W303", f"日期 {day} 晚于今天（{today}），台账只应记录已经发生的事"))
    return problems


def _check_evidence(book: Book, loaded: LedgerFile, at: tuple, entry, files) -> list[Problem]:
    """Each evidence item by the one evidence rule; files also against the work tree (`files`,
    None when the Book was read from a git commit)."""
    settings = book.plan.settings
    unit_id = loaded.model.unit
    problems = []
    places = [("progress", i, p.evidence) for i, p in enumerate(entry.progress)]
    places += [("records", i, r.evidence) for i, r in enumerate(entry.records)]
    places += [("log", i, item.evidence) for i, item in enumerate(entry.log)]
    for section, index, items in places:
        for e_index, item in enumerate(items):
            line, col = loaded.position(at + (section, index, "evidence", e_index))

            def report(code: str, message: str, severity=Severity.ERROR) -> None:
                problems.append(Problem(loaded.path, line, col, code, message, severity))

            if isinstance(item, EvidenceFile):
                path, sha = item.path.replace("\\", "/"), item.sha256
            else:
                kind = classify_text(item, settings)
                if kind.kind == "invalid":
                    report("E317", f"{kind.problem}；{ACCEPTED}")
                    continue
                if kind.kind != "file":
                    continue
                path, sha = kind.path, None
            why = file_problem(path, unit_id, settings)
            if why:
                report("E317", why)
                continue
            if files is None:
                continue
            actual = files.sha256(path)
            if actual is None:
                report("E305", f"佐证材料“{path}”不存在（已被删除或移动？）")
            elif not isinstance(item, EvidenceFile):
                report("W302", f"佐证材料“{path}”写成了文字，没有记录校验值 sha256；请用 path: 和 sha256: 登记，或用 fazhi 命令登记")
            elif sha is None:
                report("W302", f"佐证材料“{path}”没有记录校验值 sha256")
            elif actual != sha:
                report("E306", f"佐证材料“{path}”在登记后被改动过（校验值不符）；如确需替换，请重新登记")
    return problems
