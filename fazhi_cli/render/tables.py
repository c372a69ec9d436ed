"""Rich tables for the terminal; plain (no box, no colour) when output is piped."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich import box

from fazhi_cli.render.console import is_plain, make_console


# Beyond this many rows a plain table (piped, or NO_COLOR) is laid out here rather than by rich, whose
# layout costs about a millisecond a row (`history` of a whole year: tens of thousands of rows).
LONG_TABLE = 1000
GAP = "  "


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[object]], styles: Sequence[str | None] | None = None) -> None:
    plain = is_plain()
    if plain and len(rows) > LONG_TABLE:
        console = make_console(fit=True)
        console.file.write("".join(line + "\n" for line in plain_lines(title, columns, rows, console.width)))
        return
    table = Table(title=title, box=None if plain else box.SIMPLE_HEAVY, show_edge=not plain, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        style = styles[index] if styles and not plain else None
        table.add_row(*("" if cell is None else str(cell) for cell in row), style=style)
    make_console(fit=True).print(table)


def plain_lines(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[object]], width: int) -> list[str]:
    """A long table as plain lines no wider than `width`: columns two spaces apart, each as wide as
    its widest cell or, when they do not all fit, the widest ones narrowed alike and their cells
    folded onto more lines (as rich lays out a short one)."""
    from rich.cells import cell_len

    table = [[str(c) for c in columns]] + [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max(cell_len(line) for row in table for line in row[i].split("\n")) for i in range(len(columns))]
    room = max(len(columns), width - len(GAP) * (len(columns) - 1))
    widths = _fit(widths, room)
    out = [title] if title else []
    for row in table:
        parts = [_fold(cell, w) for cell, w in zip(row, widths)]
        for k in range(max(len(p) for p in parts)):
            cells = [(p[k] if k < len(p) else "") for p in parts]
            out.append(GAP.join(c + " " * (w - cell_len(c)) for c, w in zip(cells, widths)).rstrip())
    return out


SHORT = 16  # a column this narrow (a date, a code) keeps its width while wider ones can give way


def _fit(natural: list[int], room: int) -> list[int]:
    """Column widths within `room`: the widest columns narrowed to one common width (the short
    ones left whole when that is enough)."""
    def capped(widths: list[int], movable: list[bool]) -> list[int]:
        fixed = sum(w for w, m in zip(widths, movable) if not m)
        flexible = sorted(w for w, m in zip(widths, movable) if m)
        left, cap = room - fixed, 1
        for i, w in enumerate(flexible):
            share = left // (len(flexible) - i)
            if w > share:
                cap = max(1, share)
                break
            left -= w
        else:
            return widths
        return [min(w, cap) if m else w for w, m in zip(widths, movable)]

    if sum(natural) <= room:
        return natural
    if sum(w for w in natural if w <= SHORT) + sum(1 for w in natural if w > SHORT) <= room:
        return capped(natural, [w > SHORT for w in natural])
    return capped(natural, [True] * len(natural))


def _fold(text: str, width: int) -> list[str]:
    """The text cut into pieces of at most `width` cells (a wide character is two)."""
    from rich.cells import get_character_cell_size

    pieces: list[str] = []
    for line in text.split("\n") or [""]:
        current, used = "", 0
        for char in line:
            size = get_character_cell_size(char)
            if used + size > width and current:
                pieces.append(current)
                current, used = "", 0
            current += char
            used += size
        pieces.append(current)
    return pieces
