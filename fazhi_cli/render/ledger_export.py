"""The 台账 table (`fazhi export`) as bytes: xlsx (sheets 台账, 汇总 and, when some ledger does not
validate, 台账无效), csv with the Chinese headers, or json with the status fields. Used by the
command and the web entry alike."""

from __future__ import annotations

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.report_context import InvalidLedger, LedgerTable
from fazhi_cli.render.records import to_csv, to_json
from fazhi_cli.render.report_fields import (
    HIDDEN_COLUMNS,
    INVALID_COLUMNS,
    LEDGER_COLUMNS,
    NUMBER_FORMATS,
    UNIT_COLUMNS,
    invalid_table_row,
    ledger_table_row,
    table_view,
    unit_table_row,
)


def export_json(plan: Plan, table: LedgerTable) -> bytes:
    return to_json(table_view(plan, table).json).encode("utf-8")


def export_csv(plan: Plan, table: LedgerTable) -> str:
    shown = table_view(plan, table)
    records = [ledger_table_row(r) for r in shown.rows]
    keyed = [{label: rec[key] for key, label, _ in LEDGER_COLUMNS} for rec in records]
    return to_csv(keyed, [label for _, label, _ in LEDGER_COLUMNS])


def export_xlsx(plan: Plan, table: LedgerTable, title: str, invalid: list[InvalidLedger] | None = None) -> bytes:
    """The workbook; `invalid` ledgers get a sheet of their own (the office's exports)."""
    from fazhi_cli.render.xlsx_writer import Sheet, build_xlsx

    shown = table_view(plan, table)

    def sheet(name, columns, rows):
        return Sheet(
            name, [label for _, label, _ in columns], [[row[key] for key, _, _ in columns] for row in rows],
            tuple(w for _, _, w in columns), tuple(NUMBER_FORMATS.get(key) for key, _, _ in columns),
            tuple(key in HIDDEN_COLUMNS for key, _, _ in columns),
        )

    sheets = [sheet("台账", LEDGER_COLUMNS, [ledger_table_row(r) for r in shown.rows]), sheet("汇总", UNIT_COLUMNS, [unit_table_row(u) for u in shown.units])]
    if invalid:
        sheets.append(sheet("台账无效", INVALID_COLUMNS, [invalid_table_row(i) for i in invalid]))
    return build_xlsx(sheets, title)
