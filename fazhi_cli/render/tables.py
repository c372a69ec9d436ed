"""Rich tables for the terminal; plain (no box, no colour) when output is piped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich import box

from fazhi_cli.render.console import is_plain, make_console


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[object]], styles: Sequence[str | None] | None = None) -> None:
    plain = is_plain()
    table = Table(title=title, box=None if plain else box.SIMPLE_HEAVY, show_edge=not plain, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        style = styles[index] if styles and not plain else None
        table.add_row(*("" if cell is None else str(cell) for cell in row), style=style)
    make_console(fit=True).print(table)
