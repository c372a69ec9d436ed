"""Terminal views of status rows and unit summaries (highlighting overdue and due-soon items)."""

from __future__ import annotations

import datetime as dt

from fazhi_cli.engine.status import Row, UnitSummary
from fazhi_cli.render.tables import print_table

ROW_COLUMNS = [
    "unit", "unit_name", "task", "title", "role", "state", "state_label", "due", "planned", "overdue",
    "days_overdue", "due_soon", "closed_late", "extension_pending", "target",
]


def flat_rows(records: list[dict]) -> tuple[list[dict], list[str]]:
    """Status records for CSV: the nested `target` becomes flat columns — `target_met`,
    `target_summary`, and one `target:<key>` column per quantified target holding its actual value."""
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
    columns = [c for c in ROW_COLUMNS if c != "target"] + ["target_met", "target_summary"] + keys
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


def print_unit_rows(title: str, rows: list[Row]) -> None:
    table_rows = [
        [
            r.task.id,
            r.task.title,
            "牵头" if r.role == "lead" else "责任",
            r.state_label,
            _due(r),
            r.planned.isoformat() if r.planned else "",
            flag_label(r),
            r.target_summary(),
        ]
        for r in rows
    ]
    print_table(title, ["序号", "任务", "角色", "状态", "完成时限", "计划完成", "提示", "量化目标"], table_rows, [_style(r) for r in rows])


def print_rows_by_unit(title: str, rows: list[Row]) -> None:
    table_rows = [
        [r.task.id, r.task.title, r.unit_label, r.state_label, _due(r), flag_label(r), r.target_summary()] for r in rows
    ]
    print_table(title, ["序号", "任务", "单位", "状态", "完成时限", "提示", "量化目标"], table_rows, [_style(r) for r in rows])


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
