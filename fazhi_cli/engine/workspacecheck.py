"""`fazhi check` in full: the plan's problems plus every ledger's, evidence files included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.book.book import Book, LedgerFile
from fazhi_cli.engine.rules import dated_places, entry_violations
from fazhi_cli.models.ledger import Entry, EvidenceFile
from fazhi_cli.models.plan import Task, Unit
from fazhi_cli.engine.evidence import ACCEPTED, classify_text, file_problem
from fazhi_cli.engine.roles import roles_of
from fazhi_cli.engine.workdays import day_off_message, fallback_notice
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
    problems += check_roles(book)
    problems += check_deadline_days(book)
    for stem, ledger_file in book.ledger_files.items():
        if ledger_file.model is None or stem not in book.ledgers:
            continue
        problems += check_ledger(book, ledger_file, today, files)
    problems += check_calendar_years(book)
    return problems


def plan_deadlines(book: Book) -> list[tuple[object, tuple, str, dt.date]]:
    """Every deadline the plan sets, as (file, place, what, day): the tasks' own dates, the default
    and yearly-count deadlines, the submissions' dates and the phases' end dates."""
    files = book.files
    tasks, phases = files.tasks.model, files.phases.model
    out = []
    for t_index, task in enumerate(tasks.tasks):
        for d_index, deadline in enumerate(task.deadlines):
            out.append((files.tasks, ("tasks", t_index, "deadlines", d_index, "due"), f"任务 {task.id} 的完成时限", deadline.due))
    out.append((files.phases, ("default_due", "due"), "默认完成时限", phases.default_due.due))
    out.append((files.phases, ("count_due", "due"), "年度计数任务完成时限", phases.count_due.due))
    for index, sub in enumerate(phases.submissions):
        out.append((files.phases, ("submissions", index, "due"), f"报送事项 {sub.id}（{sub.title}）的时限", sub.due))
    for index, phase in enumerate(phases.phases):
        out.append((files.phases, ("phases", index, "end"), f"阶段“{phase.name}”的结束日期", phase.end))
    return out


def check_deadline_days(book: Book) -> list[Problem]:
    """W307 for each deadline of the plan that falls on a weekend or a statutory holiday (by the
    official calendar, engine.workdays): the plan's dates stay as written; the warning says which
    day it is and the working day before it."""
    problems = []
    for loaded, place, what, day in plan_deadlines(book):
        message = day_off_message(what, day)
        if message:
            line, col = loaded.position(place)
            problems.append(warning(loaded.path, line, col, "W307", message))
    return problems


def check_calendar_years(book: Book) -> list[Problem]:
    """W308 once, at data/phases.yaml's `year`, when a deadline checked by W307 lies in a year the
    calendar does not know (those are judged Monday–Friday)."""
    years = {day.year for _, _, _, day in plan_deadlines(book)}
    for stem, ledger_file in book.ledger_files.items():
        if ledger_file.model is None or stem not in book.ledgers:
            continue
        years |= {e.plan.due.year for e in ledger_file.model.tasks.values() if e and e.plan and e.plan.due}
    notice = fallback_notice(years)
    if notice is None:
        return []
    phases = book.files.phases
    line, col = phases.position(("year",))
    return [warning(phases.path, line, col, "W308", notice)]


def check_roles(book: Book) -> list[Problem]:
    """W305 once when no one is listed as an editor anywhere (every command then lets anyone do
    anything); W306 when some are listed but a unit has none (no one can fill in its ledger)."""
    roles = roles_of(book.plan)
    units = book.files.units
    if not roles.configured:
        line, col = units.position(("office", "editors"))
        return [warning(units.path, line, col, "W305", "data/units.yaml 未登记任何编辑人员（units[].editors、office.editors）：任何人都可以填报任何单位的台账并确认销号；登记后 fazhi 和 fazhi guard 按角色检查")]
    missing = [u for u in book.plan.units_file.units if not roles.editors.get(u.id)]
    if not missing:
        return []
    index = book.plan.units_file.units.index(missing[0])
    line, col = units.position(("units", index, "id"))
    names = "、".join(u.label for u in missing[:10]) + (f"等 {len(missing)} 个单位" if len(missing) > 10 else "")
    return [warning(units.path, line, col, "W306", f"{names}未登记编辑人员（editors）：登记了角色后，没有人可以填报这些单位的台账")]


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


@dataclass(frozen=True)
class EntryCheck:
    """What every check of one task entry sees: the Book, the file, the unit, the task, the entry,
    the day it is checked on, and the work tree's files (None when read from a git commit)."""

    book: Book
    file: LedgerFile
    unit: Unit
    task: Task
    entry: Entry
    day: dt.date  # the day of the check: later dates are in the future
    files: object | None

    def at(self, where: tuple, code: str, message: str, severity: Severity = Severity.ERROR, *, key: bool = False) -> Problem:
        line, col = self.file.position(("tasks", self.task.id) + where, key=key)
        return Problem(self.file.path, line, col, code, message, severity)


def check_ledger(book: Book, loaded: LedgerFile, today: dt.date, files=None) -> list[Problem]:
    """The content of one valid ledger against the plan: the unit, then each task entry through
    every check in ENTRY_CHECKS."""
    plan = book.plan
    ledger = loaded.model
    unit = plan.units.get(ledger.unit)
    if unit is None:
        line, col = loaded.position(("unit",))
        hint = plan.directory.suggestions(ledger.unit)
        more = f"是否是：{'、'.join(hint)}？" if hint else "请检查 data/units.yaml"
        return [error(loaded.path, line, col, "E301", f"单位“{ledger.unit}”不存在。{more}")]
    problems: list[Problem] = []
    for task_id, entry in ledger.tasks.items():
        task = plan.tasks.get(task_id)
        if task is None:
            line, col = loaded.position(("tasks", task_id), key=True)
            problems.append(error(loaded.path, line, col, "E303", f"任务 {task_id} 不存在（任务序号为 1–{max(plan.tasks)}）"))
            continue
        context = EntryCheck(book, loaded, unit, task, entry or Entry(), today, files)
        for check in ENTRY_CHECKS:
            problems += check(context)
    future = {(p.line, p.column) for p in problems if p.code == "W303"}
    return [p for p in problems if not (p.code == "W304" and (p.line, p.column) in future)]


def check_carried(c: EntryCheck) -> list[Problem]:
    """The unit carries the task; only open-ended tasks may be claimed."""
    r = c.book.responsibilities[c.task.id]
    if c.entry.claimed is not None and not r.open_groups:
        return [c.at(("claimed",), "E304", f"任务 {c.task.id} 的责任单位已明确列出，不能认领（只有“各相关部门”等开放式分组的任务可以认领）", key=True)]
    if c.unit.id not in r.everyone:
        how = "；该任务有开放式责任分组，可加“claimed: 日期”认领" if r.open_groups else ""
        return [c.at((), "E304", f"{c.unit.label}不承担任务 {c.task.id}{how}", key=True)]
    return []


def check_targets(c: EntryCheck) -> list[Problem]:
    """Records name a target of the task."""
    keys = {t.key for t in c.task.targets}
    known = "、".join(sorted(keys)) or "（该任务没有量化目标）"
    return [
        c.at(("records", i, "target"), "E308", f"任务 {c.task.id} 没有目标“{record.target}”；可用的目标：{known}")
        for i, record in enumerate(c.entry.records)
        if record.target not in keys
    ]


def check_rules(c: EntryCheck) -> list[Problem]:
    """The 销号 rule set (engine/rules.py)."""
    return [c.at(v.where, v.code, v.message, v.severity) for v in entry_violations(c.book.plan, c.task, c.unit, c.entry)]


def check_planned_due(c: EntryCheck) -> list[Problem]:
    """The work plan's own date is not later than the plan's deadline."""
    if not (c.entry.plan and c.entry.plan.due):
        return []
    official = official_due(c.book.plan, c.task, c.unit)
    if c.entry.plan.due <= official.date:
        return []
    return [c.at(("plan", "due"), "W301", f"计划完成时间 {c.entry.plan.due} 晚于规定时限 {official.date}（{official.source}）", Severity.WARNING)]


def check_planned_day(c: EntryCheck) -> list[Problem]:
    """W307 when the work plan's own date falls on a weekend or a statutory holiday."""
    if not (c.entry.plan and c.entry.plan.due):
        return []
    message = day_off_message("计划完成时间", c.entry.plan.due)
    return [c.at(("plan", "due"), "W307", message, Severity.WARNING)] if message else []


def check_future_dates(c: EntryCheck) -> list[Problem]:
    """Things recorded as done on a day still to come (a typo, or a backfill with the wrong year)."""
    return [
        c.at(where, "W303", f"日期 {day} 晚于今天（{c.day}），台账只应记录已经发生的事", Severity.WARNING)
        for where, day in dated_places(c.entry)
        if day > c.day
    ]


def check_evidence(c: EntryCheck) -> list[Problem]:
    """Each evidence item by the one evidence rule (engine/evidence.py)."""
    return _check_evidence(c.book, c.file, ("tasks", c.task.id), c.entry, c.files)


# Every check of a task entry, in the order their problems are listed (beancount's validations).
ENTRY_CHECKS = (check_carried, check_targets, check_rules, check_planned_due, check_planned_day, check_evidence, check_future_dates)


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
            def report(code: str, message: str, severity=Severity.ERROR, where=at + (section, index, "evidence", e_index)) -> None:
                line, col = loaded.position(where)  # only for a problem: a cached ledger is parsed again for it
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
                report("E305", f"佐证材料“{path}”{files.missing(path)}")
            elif not isinstance(item, EvidenceFile):
                report("W302", f"佐证材料“{path}”写成了文字，没有记录校验值 sha256；确认文件无误后，把这一项改写成 {{path: {path}, sha256: {actual}}}（文件现在的校验值），或用 fazhi 命令的 --evidence 重新登记")
            elif sha is None:
                report("W302", f"佐证材料“{path}”没有记录校验值 sha256；确认文件无误后，在 path: 下面加一行 sha256: {actual}（文件现在的校验值），以后文件被改动时 fazhi check 就能发现")
            elif actual != sha:
                report("E306", f"佐证材料“{path}”在登记后被改动过（校验值不符）；如确需替换，请重新登记")
    return problems
