"""Terminal views of status rows and unit summaries (highlighting overdue and due-soon items)."""

from __future__ import annotations

import datetime as dt

from fazhi_cli.engine.status import Row, UnitSummary
from fazhi_cli.render.tables import print_table

ROW_COLUMNS = [
    "unit", "unit_name", "task", "title", "role", "state", "state_label", "due", "planned", "overdue",
    "days_overdue", "workdays_left", "due_soon", "closed_late", "extension_pending", "target",
]


def flat_rows(records: list[dict], workdays: bool = False) -> tuple[list[dict], list[str]]:
    """Status records for CSV: the nested `target` becomes flat columns — `target_met`,
    `target_summary`, and one `target:<key>` column per quantified target holding its actual value;
    `workdays_left` only when working days were counted."""
    keys: list[str] = []
    out = []
    for record in records:
        flat = {k: v for k, v in record.items() if k != "target"}
        target = record.get("target") or {}
        if target:
            flat["target_met"] = target.get("met")
            flat["target_summary"] = target.get("summary")
            for item in target.get("items", []):
                column = f"target:{item['key']}"
                flat[column] = item.get("actual")
                if column not in keys:
                    keys.append(column)
        out.append(flat)
    skip = {"target"} | (set() if workdays else {"workdays_left"})
    columns = [c for c in ROW_COLUMNS if c not in skip] + ["target_met", "target_summary"] + keys
    return out, columns


def flag_label(row: Row) -> str:
    """逾期N天 / 逾期完成 / 临期, or empty."""
    if row.overdue:
        return f"逾期{row.days_overdue}天"
    if row.closed_late:
        return "逾期完成"
    if row.due_soon:
        return "临期"
    return ""


def workdays_label(row: Row) -> str:
    """剩余3个工作日 / 逾期4个工作日 / '' (applied or closed, or working days not counted)."""
    n = row.workdays_left
    if n is None:
        return ""
    if n < 0:
        return f"逾期{-n}个工作日"
    if row.overdue:  # past the due day, but no working day since (due on a Friday, as of Saturday)
        return "逾期（不足1个工作日）"
    return f"剩余{n}个工作日"


def _style(row: Row) -> str | None:
    if row.overdue:
        return "bold red"
    if row.due_soon:
        return "yellow"
    return None


def _due(row: Row) -> str:
    text = row.due.isoformat()
    if row.extended:
        text += f"（原{row.original_due.isoformat()}，已延期）"
    if row.extension_pending:
        text += f"（申请延至{row.extension_pending.isoformat()}）"
    return text


# The columns of the terminal tables of rows: key → (header, cell). Each view lists the keys it
# shows; `--workdays` adds "workdays" after "flag".
TABLE_COLUMNS = {
    "task": ("序号", lambda r: r.task.id),
    "title": ("任务", lambda r: r.task.title),
    "role": ("角色", lambda r: "牵头" if r.role == "lead" else "责任"),
    "unit": ("单位", lambda r: r.unit_label),
    "state": ("状态", lambda r: r.state_label),
    "due": ("完成时限", _due),
    "planned": ("计划完成", lambda r: r.planned.isoformat() if r.planned else ""),
    "flag": ("提示", flag_label),
    "workdays": ("工作日", workdays_label),
    "target": ("量化目标", lambda r: r.target_summary()),
}
UNIT_VIEW = ("task", "title", "role", "state", "due", "planned", "flag", "target")
BY_UNIT_VIEW = ("task", "title", "unit", "state", "due", "flag", "target")


def _columns(view: tuple[str, ...], workdays: bool) -> tuple[str, ...]:
    if not workdays:
        return view
    at = view.index("flag") + 1
    return view[:at] + ("workdays",) + view[at:]


def print_rows(title: str, rows: list[Row], view: tuple[str, ...], workdays: bool = False) -> None:
    keys = _columns(view, workdays)
    table_rows = [[TABLE_COLUMNS[k][1](r) for k in keys] for r in rows]
    print_table(title, [TABLE_COLUMNS[k][0] for k in keys], table_rows, [_style(r) for r in rows])


def print_unit_rows(title: str, rows: list[Row], workdays: bool = False) -> None:
    print_rows(title, rows, UNIT_VIEW, workdays)


def print_rows_by_unit(title: str, rows: list[Row], workdays: bool = False) -> None:
    print_rows(title, rows, BY_UNIT_VIEW, workdays)


def print_summaries(title: str, summaries: list[UnitSummary], invalid: dict[str, str]) -> None:
    rows = []
    styles = []
    for s in summaries:
        rows.append(
            [
                s.unit_label + ("（台账无效）" if s.unit_id in invalid else ""),
                s.total,
                s.counts.get("not_started", 0),
                s.counts.get("in_progress", 0),
                s.counts.get("pending_review", 0),
                s.closed,
                f"{s.rate:.0%}",
                f"{s.expected:.0%}",
                s.overdue,
                s.due_soon,
            ]
        )
        styles.append("bold red" if s.overdue else ("yellow" if s.due_soon else None))
    print_table(title, ["单位", "任务数", "未启动", "推进中", "待审核", "已销号", "完成率", "序时进度", "逾期", "临期"], rows, styles)


def as_of_title(as_of: dt.date) -> str:
    return f"截至 {as_of.year}年{as_of.month}月{as_of.day}日"
