"""`fazhi tasks` and `fazhi units`: the plan as lists, for people and for scripts."""

from __future__ import annotations

import typer

from fazhi_cli.cli.common import FormatOpt, ListFormat, RootOpt, UnitOpt, open_or_exit, resolve_unit
from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.models.plan import LEVEL_LABELS, TASK_KIND_LABELS
from fazhi_cli.render.records import to_csv, to_json
from fazhi_cli.render.tables import print_table


def tasks(root: RootOpt = None, unit: UnitOpt = None, fmt: FormatOpt = ListFormat.table) -> None:
    """列出重点工作任务（分解表）。

    用 --unit 只看某单位牵头或负责的任务（分组已展开，含该单位认领的任务）。

    示例：fazhi tasks --unit 科区 --format json
    """
    book = open_or_exit(root)
    plan = book.plan
    resp = book.responsibilities
    chosen = resolve_unit(book, unit) if unit else None
    ids = book.tasks_of(chosen.id) if chosen else sorted(plan.tasks)
    records = []
    for tid in ids:
        task = plan.tasks[tid]
        r = resp[tid]
        due = official_due(plan, task, chosen)
        record = {
            "id": task.id,
            "title": task.title,
            "text": task.text,
            "section": task.section,
            "kind": task.kind.value,
            "lead": list(r.lead),
            "responsible": list(r.responsible),
            "open_groups": list(r.open_groups),
            "due": due.date.isoformat(),
            "due_source": due.source,
            "deadlines": [
                {"due": d.due.isoformat(), "level": d.level.value if d.level else None, "source": d.source}
                for d in task.deadlines
            ],
            "targets": [t.describe() for t in task.targets],
        }
        if chosen:
            record["role"] = "lead" if chosen.id in r.lead else "responsible"
        records.append(record)
    if fmt is ListFormat.json:
        typer.echo(to_json(records), nl=False)
        return
    if fmt is ListFormat.csv:
        columns = ["id", "title", "section", "kind", "lead", "responsible", "due", "targets", "text"]
        typer.echo(to_csv(records, columns), nl=False)
        return
    label = lambda ids_: "、".join(plan.units[u].label for u in ids_)  # noqa: E731
    rows = []
    for rec in records:
        resp_text = label(rec["responsible"])
        if len(rec["responsible"]) > 6:
            resp_text = f"{label(rec['responsible'][:6])} 等 {len(rec['responsible'])} 个单位"
        if rec["open_groups"]:
            resp_text += "（可认领）"
        rows.append(
            [rec["id"], rec["title"], TASK_KIND_LABELS[plan.tasks[rec["id"]].kind], label(rec["lead"]), resp_text, rec["due"], "；".join(rec["targets"])]
        )
    title = f"{chosen.label}的任务（{len(rows)} 项）" if chosen else f"重点工作任务（{len(rows)} 项）"
    print_table(title, ["序号", "任务", "类型", "牵头单位", "责任单位", "完成时限", "量化目标"], rows)


def units(unit: UnitOpt = None, root: RootOpt = None, fmt: FormatOpt = ListFormat.table) -> None:
    """列出单位及其所属分组、牵头的任务和编辑人员。

    谁可以填报、审核某项任务：fazhi who 任务序号 --unit 单位。

    示例：fazhi units --format csv

    示例：fazhi units --unit 科区
    """
    book = open_or_exit(root)
    plan = book.plan
    resp = book.responsibilities
    records = []
    chosen = [resolve_unit(book, unit)] if unit else list(plan.units.values())
    for unit in chosen:
        leads = [tid for tid in sorted(plan.tasks) if unit.id in resp[tid].lead]
        carries = book.tasks_of(unit.id)
        records.append(
            {
                "id": unit.id,
                "name": unit.name,
                "short": unit.label,
                "aliases": list(unit.aliases),
                "level": unit.level.value,
                "groups": plan.directory.groups_of(unit.id),
                "leads": leads,
                "tasks": carries,
                "editors": list(unit.editors),
            }
        )
    if fmt is ListFormat.json:
        typer.echo(to_json(records), nl=False)
        return
    if fmt is ListFormat.csv:
        typer.echo(to_csv(records), nl=False)
        return
    rows = [
        [
            r["id"],
            r["short"],
            r["name"],
            "、".join(r["aliases"]),
            LEVEL_LABELS[plan.units[r["id"]].level],
            "、".join(plan.directory.groups[g].name for g in r["groups"]),
            "、".join(map(str, r["leads"])),
            len(r["tasks"]),
            "、".join(r["editors"]) or "（未登记）",
        ]
        for r in records
    ]
    print_table(f"单位（{len(rows)} 个）", ["编号", "简称", "全称", "别名", "级别", "所属分组", "牵头任务", "承担任务数", "编辑人员"], rows)


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks)
    app.command("units")(units)
