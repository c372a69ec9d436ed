"""Cross-reference checks of the plan: what pydantic cannot see file by file.

Unknown or ambiguous unit names, duplicate ids and aliases, group cycles, dates outside the plan
year, overlapping phases, template names that are paths. Each problem points at the offending
place in its file.
"""

from __future__ import annotations

from collections.abc import Callable

from fazhi_cli.book.directory import Directory, _norm
from fazhi_cli.models.common import SAFE_ID, WINDOWS_RESERVED
from fazhi_cli.problems import Problem, error
from fazhi_cli.store.loader import Loaded, PlanFiles


def _at(loaded: Loaded, data_path: tuple, code: str, message: str, *, key: bool = False) -> Problem:
    line, col = loaded.position(data_path, key=key)
    return error(loaded.path, line, col, code, message)


def check_plan(files: PlanFiles, directory: Directory) -> list[Problem]:
    """All cross-reference problems of a plan whose files each validated."""
    problems: list[Problem] = []
    problems += _check_ids(files)
    problems += _check_names(files, directory)
    problems += _check_references(files, directory)
    problems += _check_dates(files)
    problems += check_template_names(files)
    return problems


def check_template_names(files: PlanFiles) -> list[Problem]:
    """Each `template` of data/phases.yaml is a plain name (work-plan, completion …), never a path:
    `../../x`, `/tmp/evil`, `a/b`, `C:\\x` or `.hidden` would name a file outside templates/."""
    problems = []
    phases = files.phases.model
    for section in ("submissions", "recurring"):
        for index, item in enumerate(getattr(phases, section)):
            name = item.template
            if name is not None and not safe_template_name(name):
                problems.append(
                    _at(
                        files.phases,
                        (section, index, "template"),
                        "E210",
                        f"模板名“{name}”不是安全的文件名：只能用小写字母、数字、连字符（如 completion），不能含路径（/、\\、..）",
                    )
                )
    return problems


def safe_template_name(name: str) -> bool:
    return bool(SAFE_ID.match(name)) and name not in WINDOWS_RESERVED


def _duplicates(items: list, key: Callable, loaded: Loaded, list_name: str, what: str) -> list[Problem]:
    seen: dict = {}
    problems = []
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            problems.append(
                _at(loaded, (list_name, index, "id"), "E201", f"{what}编号“{value}”重复（第一次出现在第 {seen[value]} 项）")
            )
        else:
            seen[value] = index + 1
    return problems


def _check_ids(files: PlanFiles) -> list[Problem]:
    units, tasks, phases = files.units.model, files.tasks.model, files.phases.model
    problems = _duplicates(units.units, lambda u: u.id, files.units, "units", "单位")
    problems += _duplicates(units.groups, lambda g: g.id, files.units, "groups", "分组")
    unit_ids = {u.id for u in units.units}
    for index, group in enumerate(units.groups):
        if group.id in unit_ids:
            problems.append(_at(files.units, ("groups", index, "id"), "E201", f"分组编号“{group.id}”与单位编号重复"))
    problems += _duplicates(tasks.tasks, lambda t: t.id, files.tasks, "tasks", "任务")
    for t_index, task in enumerate(tasks.tasks):
        seen: set[str] = set()
        for index, target in enumerate(task.targets):
            if target.key in seen:
                problems.append(
                    _at(files.tasks, ("tasks", t_index, "targets", index, "key"), "E201", f"任务 {task.id} 的目标编号“{target.key}”重复")
                )
            seen.add(target.key)
    problems += _duplicates(phases.phases, lambda p: p.id, files.phases, "phases", "阶段")
    problems += _duplicates(phases.submissions, lambda s: s.id, files.phases, "submissions", "报送事项")
    names_seen: dict[str, int] = {}
    for index, sub in enumerate(phases.submissions):
        if sub.name in names_seen:
            problems.append(_at(files.phases, ("submissions", index, "name"), "E201", f"报送事项名称“{sub.name}”重复"))
        names_seen[sub.name] = index
    return problems


def _check_names(files: PlanFiles, directory: Directory) -> list[Problem]:
    """A name or alias that points at two different units or groups."""
    problems = []
    units = files.units.model
    for key, targets in directory.clashes.items():
        shown = "、".join(sorted(directory.display(t) for t in targets))
        for index, unit in enumerate(units.units):
            fields = [("id", unit.id), ("name", unit.name), ("short", unit.short)] + [
                (("aliases", i), a) for i, a in enumerate(unit.aliases)
            ]
            for field, text in fields:
                if text and _norm(text) == key:
                    path = ("units", index) + (field if isinstance(field, tuple) else (field,))
                    problems.append(_at(files.units, path, "E202", f"名称“{text}”同时指向 {shown}，无法确定是哪一个"))
        for index, group in enumerate(units.groups):
            fields = [("id", group.id), ("name", group.name)] + [(("aliases", i), a) for i, a in enumerate(group.aliases)]
            for field, text in fields:
                if _norm(text) == key:
                    path = ("groups", index) + (field if isinstance(field, tuple) else (field,))
                    problems.append(_at(files.units, path, "E202", f"名称“{text}”同时指向 {shown}，无法确定是哪一个"))
    return problems


def _unknown(directory: Directory, text: str, units_only: bool = False) -> str:
    hint = directory.suggestions(text, units_only=units_only)
    more = f"；是否是：{'、'.join(hint)}？" if hint else "；请在 data/units.yaml 中添加该单位或别名"
    return f"“{text}”不是已登记的单位或分组{more}"


def _check_references(files: PlanFiles, directory: Directory) -> list[Problem]:
    problems = []
    units, tasks, phases = files.units.model, files.tasks.model, files.phases.model
    office = directory.lookup(units.office.unit)
    if office is None or office.kind != "unit":
        problems.append(_at(files.units, ("office", "unit"), "E203", _unknown(directory, units.office.unit, True)))
    for g_index, group in enumerate(units.groups):
        for m_index, member in enumerate(group.members):
            if directory.lookup(member) is None and _norm(member) not in directory.clashes:
                problems.append(_at(files.units, ("groups", g_index, "members", m_index), "E203", _unknown(directory, member)))
    for cycle in directory.group_cycles():
        index = next(i for i, g in enumerate(units.groups) if g.id == cycle[0])
        problems.append(_at(files.units, ("groups", index, "members"), "E207", f"分组循环包含：{' → '.join(cycle)}"))
    for t_index, task in enumerate(tasks.tasks):
        for field in ("lead", "responsible"):
            for n_index, name in enumerate(getattr(task, field)):
                target = directory.lookup(name)
                if target is None and _norm(name) not in directory.clashes:
                    problems.append(_at(files.tasks, ("tasks", t_index, field, n_index), "E203", _unknown(directory, name)))
                elif field == "lead" and target is not None and target.kind == "group":
                    problems.append(
                        _at(files.tasks, ("tasks", t_index, field, n_index), "E203", f"牵头单位“{name}”是分组，牵头单位须是具体单位")
                    )
    phase_ids = {p.id for p in phases.phases}
    for index, sub in enumerate(phases.submissions):
        if sub.phase not in phase_ids:
            problems.append(
                _at(files.phases, ("submissions", index, "phase"), "E203", f"阶段“{sub.phase}”不存在；已有阶段：{'、'.join(sorted(phase_ids))}")
            )
    return problems


def _check_dates(files: PlanFiles) -> list[Problem]:
    problems = []
    tasks, phases = files.tasks.model, files.phases.model
    year = phases.year

    def outside(loaded: Loaded, path: tuple, value, what: str) -> None:
        if value.year != year:
            problems.append(_at(loaded, path, "E205", f"{what}“{value.isoformat()}”不在方案年度 {year} 年内"))

    outside(files.phases, ("default_due", "due"), phases.default_due.due, "默认完成时限")
    outside(files.phases, ("count_due", "due"), phases.count_due.due, "年度计数任务完成时限")
    for t_index, task in enumerate(tasks.tasks):
        for d_index, deadline in enumerate(task.deadlines):
            outside(files.tasks, ("tasks", t_index, "deadlines", d_index, "due"), deadline.due, f"任务 {task.id} 的完成时限")
        levels = [d.level for d in task.deadlines]
        if len(levels) != len(set(levels)):
            problems.append(
                _at(files.tasks, ("tasks", t_index, "deadlines"), "E201", f"任务 {task.id} 对同一级别写了多个完成时限")
            )
    for index, sub in enumerate(phases.submissions):
        outside(files.phases, ("submissions", index, "due"), sub.due, f"报送事项 {sub.id} 的时限")
    ordered = sorted(enumerate(phases.phases), key=lambda item: item[1].start)
    for index, phase in enumerate(phases.phases):
        outside(files.phases, ("phases", index, "start"), phase.start, f"阶段“{phase.name}”的开始日期")
        outside(files.phases, ("phases", index, "end"), phase.end, f"阶段“{phase.name}”的结束日期")
        if phase.end < phase.start:
            problems.append(_at(files.phases, ("phases", index, "end"), "E206", f"阶段“{phase.name}”结束日期早于开始日期"))
    for (_, before), (index, after) in zip(ordered, ordered[1:]):
        if after.start <= before.end:
            problems.append(
                _at(files.phases, ("phases", index, "start"), "E206", f"阶段“{after.name}”与“{before.name}”的日期重叠")
            )
    return problems
