"""Spreadsheets (.xlsx), written directly as SpreadsheetML: every text cell is stored as text,
never as a formula.

A cell a unit typed as `=HYPERLINK(...)` or `=1+1` is written as a shared-string cell (t="s"),
so Excel and WPS show the characters and compute nothing; characters XML forbids are removed,
and a literal `_x0041_` is escaped so Excel does not read it as an escaped character. Each
worksheet is streamed into the zip row by row (no cell objects): the cost is linear in the cells.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fazhi_cli.render import xlsx_parts as parts
from fazhi_cli.render.package import write_package
from fazhi_cli.render.text import clean_text

MAX_CELL_CHARS = 32767  # Excel's limit (UTF-16 units); a longer text makes Excel repair the file
MAX_HEADER_CHARS = 200  # the page header's title (Excel allows 255 for the whole header)
ROWS_PER_CHUNK = 500
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


@dataclass
class Sheet:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[float] | None = None
    formats: Sequence[str | None] | None = None  # per column: an Excel number format ("0.0%") or None
    hidden: Sequence[bool] | None = None  # per column: hidden on screen and on paper


def build_xlsx(sheets: list[Sheet], title: str = "") -> bytes:
    """A workbook with one sheet per `Sheet`: bold frozen header row, filters, wrapped text, and
    ready to print — A4 landscape, fitted to the page width, the header row repeated on every
    page, the title and 第 N 页 / 共 M 页 in the header and footer."""
    title = clean_text(title)
    names = parts.sheet_names([clean_text(s.title) for s in sheets])
    formats = list(dict.fromkeys(f for s in sheets for f in (s.formats or []) if f))
    style_of = {code: parts.FIRST_NUMBER_STYLE + i for i, code in enumerate(formats)}
    filters = [_filter_ref(s) for s in sheets]
    strings = SharedStrings()
    members = [
        ("[Content_Types].xml", parts.content_types(len(sheets))),
        ("_rels/.rels", parts.root_rels()),
        ("docProps/core.xml", parts.core_props(title)),
        ("docProps/app.xml", parts.app_props()),
        ("xl/workbook.xml", parts.workbook(names, filters)),
        ("xl/_rels/workbook.xml.rels", parts.workbook_rels(len(sheets))),
        ("xl/styles.xml", parts.styles(formats)),
    ]
    for index, sheet in enumerate(sheets):
        heading = title or clean_text(sheet.title)
        members.append((f"xl/worksheets/sheet{index + 1}.xml", _worksheet(sheet, index, heading, filters[index], style_of, strings)))
    members.append(("xl/sharedStrings.xml", strings.xml()))  # a generator: runs after the sheets filled the table
    return write_package(members)


class SharedStrings:
    """The workbook's string table: each distinct text once, cells refer to it by index."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.count = 0  # references, as Excel records them

    def add(self, text: str) -> int:
        self.count += 1
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def xml(self) -> Iterator[bytes]:
        yield (parts.XML_HEAD + f'<sst xmlns="{parts.MAIN_NS}" count="{self.count}" uniqueCount="{len(self.index)}">').encode("utf-8")
        chunk = []
        for text in self.index:  # insertion order: the indexes handed out
            chunk.append(_string_item(text))
            if len(chunk) >= 2000:
                yield "".join(chunk).encode("utf-8")
                chunk = []
        chunk.append("</sst>")
        yield "".join(chunk).encode("utf-8")


def cell_text(value: object) -> str | None:
    """What a non-number cell shows: bool as 是/否, a list joined with 、, anything else as its
    text (forbidden characters removed, cut at Excel's limit); None or "" is an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        value = "、".join(clean_text(v) for v in value)
    text = clean_text(value)
    if not text:
        return None
    if len(text) > MAX_CELL_CHARS // 2 and len(text.encode("utf-16-le")) > MAX_CELL_CHARS * 2:
        text = text.encode("utf-16-le")[: MAX_CELL_CHARS * 2].decode("utf-16-le", "ignore")
    return text


def is_number(value: object) -> bool:
    """Numbers stay numbers (bool is text, 是/否); NaN and infinities, which a cell cannot hold, are text."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _string_item(text: str) -> str:
    escaped = parts.escape(_OOXML_ESCAPE.sub(r"_x005F_\1", text))
    if text[0] in " \t\n" or text[-1] in " \t\n":
        return f'<si><t xml:space="preserve">{escaped}</t></si>'
    return f"<si><t>{escaped}</t></si>"


def column_letter(index: int) -> str:
    """1 → A, 26 → Z, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _filter_ref(sheet: Sheet) -> str | None:
    if not sheet.columns:
        return None
    return f"$A$1:${column_letter(len(sheet.columns))}${max(1, len(sheet.rows) + 1)}"


def _worksheet(sheet: Sheet, index: int, heading: str, filter_ref: str | None, style_of: dict[str, int],
               strings: SharedStrings) -> Iterator[bytes]:
    """The worksheet part, yielded in chunks of rows."""
    width = max([len(sheet.columns), *(len(r) for r in sheet.rows)])
    letters = [column_letter(c) for c in range(1, width + 1)]
    formats = list(sheet.formats or [])
    number_styles = [style_of.get(formats[c], parts.BODY_STYLE) if c < len(formats) and formats[c] else parts.BODY_STYLE for c in range(width)]
    selected = 'tabSelected="1" ' if index == 0 else ""
    used = f"A1:{letters[-1]}{len(sheet.rows) + 1}" if width else "A1"
    head = [
        parts.XML_HEAD, f'<worksheet xmlns="{parts.MAIN_NS}" xmlns:r="{parts.REL_NS}">',
        '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="{used}"/>',
        f'<sheetViews><sheetView {selected}workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>',
        _cols(sheet),
        "<sheetData>",
    ]
    yield "".join(head).encode("utf-8")
    chunk = [_row(1, sheet.columns, letters, [parts.HEADER_STYLE] * width, parts.HEADER_STYLE, strings)]
    for r, values in enumerate(sheet.rows, start=2):
        chunk.append(_row(r, values, letters, number_styles, parts.BODY_STYLE, strings))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    chunk.append("</sheetData>")
    if filter_ref:
        chunk.append(f'<autoFilter ref="{filter_ref.replace("$", "")}"/>')
    chunk.append(_print_setup(heading))
    chunk.append("</worksheet>")
    yield "".join(chunk).encode("utf-8")


def _row(r: int, values: Sequence[object], letters: list[str], number_styles: list[int], text_style: int,
         strings: SharedStrings) -> str:
    cells = [f'<row r="{r}">']
    add = cells.append
    for c, value in enumerate(values):
        ref = f"{letters[c]}{r}"
        if is_number(value):
            number = int(value) if isinstance(value, int) else float(value)  # an IntEnum's repr is no number
            add(f'<c r="{ref}" s="{number_styles[c]}"><v>{number!r}</v></c>')
            continue
        text = cell_text(value)
        if text is None:
            add(f'<c r="{ref}" s="{text_style}"/>')
        else:
            add(f'<c r="{ref}" s="{text_style}" t="s"><v>{strings.add(text)}</v></c>')
    add("</row>")
    return "".join(cells)


def _cols(sheet: Sheet) -> str:
    """Column widths and hidden columns (a hidden column without a width keeps Excel's default)."""
    widths, hidden = list(sheet.widths or []), list(sheet.hidden or [])
    cols = []
    for c in range(max(len(widths), len(hidden))):
        w = widths[c] if c < len(widths) else None
        hide = c < len(hidden) and bool(hidden[c])
        if w is None and not hide:
            continue
        attrs = f'min="{c + 1}" max="{c + 1}" width="{float(w if w is not None else 9.140625):g}"'
        attrs += ' customWidth="1"' if w is not None else ""
        attrs += ' hidden="1"' if hide else ""
        cols.append(f"<col {attrs}/>")
    return f"<cols>{''.join(cols)}</cols>" if cols else ""


def _print_setup(heading: str) -> str:
    """A4 landscape, one page wide (as many pages down as it takes), centred; the title in the
    page header, 第 N 页 / 共 M 页 in the footer (& doubled: a lone & starts a header code)."""
    header = f'<oddHeader>{parts.escape("&C" + heading[:MAX_HEADER_CHARS].replace("&", "&&"))}</oddHeader>' if heading else ""
    return (
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.8" bottom="0.8" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        f"<headerFooter>{header}<oddFooter>&amp;C第 &amp;P 页 / 共 &amp;N 页</oddFooter></headerFooter>"
    )
