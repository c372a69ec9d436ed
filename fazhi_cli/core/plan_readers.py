"""Reading a task table out of a Word document, an Excel workbook or a CSV file into plain rows
and paragraphs (engine/plan_import's `Document`): merged cells filled in and marked, multi-line
cells kept as lines. python-docx and openpyxl are imported only here, when a file is read.

A file that cannot be read raises `CannotRead` with a located problem (I0xx); nothing here
raises anything else on bad input."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

from fazhi_cli.engine.plan_import import Cell, Document, Paragraph, Row, Table
from fazhi_cli.problems import Problem, error

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024  # a .docx/.xlsx is a zip: what it unpacks to, at most
MAX_ROWS, MAX_COLUMNS = 5000, 60  # of a worksheet: a task table is far smaller
SUFFIXES = (".docx", ".xlsx", ".xlsm", ".csv")
_OLD_FORMATS = {
    ".doc": "Word 97-2003 文档（.doc）",
    ".wps": "WPS 文字文档（.wps）",
    ".xls": "Excel 97-2003 工作簿（.xls）",
    ".et": "WPS 表格（.et）",
    ".rtf": "RTF 文档",
    ".pdf": "PDF 文件",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .wps, .et


class CannotRead(Exception):
    """The file cannot be read as the kind its name says (missing, corrupt, unknown type)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def read_document(path: Path, shown: str) -> Document:
    """The tables and paragraphs of `path` (.docx, .xlsx/.xlsm or .csv); CannotRead otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CannotRead(error(shown, None, None, "I002", _unsupported(suffix)))
    raw = _read_bytes(path, shown)
    if not raw:
        return Document(shown, suffix.lstrip("."))
    if suffix == ".csv":
        return _read_csv(raw, shown)
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        what = "Word 文档（.docx）" if suffix == ".docx" else "Excel 工作簿（.xlsx）"
        old = "它看起来是旧版 Office 格式（.doc/.xls）：请在 Word、Excel 或 WPS 中打开，“另存为”" if raw.startswith(_OLE_MAGIC) else "文件可能已损坏，或只是改了扩展名：请在 Word、Excel 或 WPS 中打开，确认内容后“另存为”"
        raise CannotRead(error(shown, None, None, "I003", f"不是有效的{what}；{old}{suffix} 格式再导入"))
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        unpacked = 0  # reported by the reader below
    if unpacked > MAX_UNPACKED:
        raise CannotRead(error(shown, None, None, "I003", f"文件解压后过大（{unpacked} 字节）；任务分解表一般不会这么大，请确认选对了文件"))
    if suffix == ".docx":
        return _read_docx(raw, shown)
    return _read_xlsx(raw, shown)


def _unsupported(suffix: str) -> str:
    if suffix in _OLD_FORMATS:
        target = ".xlsx" if suffix in (".xls", ".et") else ".docx"
        return f"不能直接读取{_OLD_FORMATS[suffix]}；请在 Word、Excel 或 WPS 中打开，“另存为” {target} 格式后再导入"
    shown = suffix or "（没有扩展名）"
    return f"不支持 {shown} 文件；可以导入 Word 文档（.docx）、Excel 工作簿（.xlsx）或 CSV 文件（.csv）"


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CannotRead(error(shown, None, None, "I001", "文件不存在；请检查文件名和所在文件夹（文件名含空格时请加引号）")) from None
    except OSError as exc:
        raise CannotRead(error(shown, None, None, "I001", f"无法访问文件：{exc.strerror or exc}")) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "文件夹" if stat.S_ISDIR(info.st_mode) else "命名管道、设备或套接字"
        raise CannotRead(error(shown, None, None, "I001", f"这是一个{kind}，不是文件"))
    if info.st_size > MAX_BYTES:
        raise CannotRead(error(shown, None, None, "I003", f"文件过大（{info.st_size} 字节，上限 {MAX_BYTES} 字节）；任务分解表一般不会这么大，请确认选对了文件"))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            return handle.read(MAX_BYTES + 1)[:MAX_BYTES]
    except OSError as exc:
        raise CannotRead(error(shown, None, None, "I001", f"无法读取文件：{exc.strerror or exc}（文件若在 Word、Excel 或 WPS 中打开着，请先关闭）")) from None


# --- CSV ------------------------------------------------------------------------------------------
def _read_csv(raw: bytes, shown: str) -> Document:
    import csv

    from fazhi_cli.store.decode import decode

    notices = []
    decoded, problems = decode(raw, shown)
    if decoded is not None:
        text = decoded.text
    elif problems and problems[0].code == "E002" and b"\x00" not in raw:
        try:
            text = raw.decode("gb18030").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            raise CannotRead(error(shown, problems[0].line, None, "I004", "文件既不是 UTF-8 编码也不是 GBK 编码；请在 Excel 或 WPS 中打开，另存为“CSV UTF-8（逗号分隔）”后再导入")) from None
        notices.append(f"{shown} 是 GBK 编码（Excel 在中文 Windows 上保存 CSV 的默认编码），已按 GBK 读取")
    else:
        problem = problems[0]
        raise CannotRead(error(shown, problem.line, None, "I004" if problem.code == "E002" else "I003", problem.message.replace("YAML 文本", "CSV 文本")))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t，")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
            rows.append(Row(number, tuple(Cell(c.replace("\r\n", "\n")) for c in record)))
    except csv.Error as exc:
        raise CannotRead(error(shown, len(rows) + 1, None, "I003", f"第 {len(rows) + 1} 行不是有效的 CSV：{exc}")) from None
    return Document(shown, "csv", [Table("", tuple(rows))], [], notices)


# --- Excel ----------------------------------------------------------------------------------------
def _read_xlsx(raw: bytes, shown: str) -> Document:
    import datetime as dt
    import warnings

    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation, styles …
            book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of a corrupt workbook is reported, not raised
        raise CannotRead(error(shown, None, None, "I003", f"无法打开 Excel 工作簿（{_reason(exc)}）；请在 Excel 或 WPS 中打开，确认内容后另存为 .xlsx 再导入")) from None

    def text_of(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
        if isinstance(value, (dt.date, dt.time)):
            return value.isoformat()
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "")

    doc = Document(shown, "xlsx")
    for sheet in book.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            doc.notices.append(f"隐藏的工作表“{sheet.title}”未读取")
            continue
        fill: dict[tuple[int, int], Cell] = {}
        for merged in sheet.merged_cells.ranges:
            top = text_of(sheet.cell(merged.min_row, merged.min_col).value)
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if (r, c) != (merged.min_row, merged.min_col):
                        fill[(r, c)] = Cell(top, merged=r > merged.min_row, spanned=c > merged.min_col)
        rows = []
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            doc.notices.append(f"工作表“{sheet.title}”只读取了前 {MAX_ROWS} 行、前 {MAX_COLUMNS} 列")
        for cells in sheet.iter_rows(max_row=min(sheet.max_row, MAX_ROWS), max_col=min(sheet.max_column, MAX_COLUMNS)):
            out = []
            for cell in cells:
                out.append(fill.get((cell.row, cell.column)) or Cell(text_of(cell.value)))
            while out and not out[-1].text:
                out.pop()
            if cells:
                rows.append(Row(cells[0].row, tuple(out)))
        doc.tables.append(Table(f"工作表“{sheet.title}”", tuple(rows)))
    return doc


# --- Word -----------------------------------------------------------------------------------------
def _read_docx(raw: bytes, shown: str) -> Document:
    try:
        import docx
        from docx.oxml.ns import qn

        document = docx.Document(io.BytesIO(raw))
        body = document.element.body
    except Exception as exc:  # noqa: BLE001 - a corrupt package is reported, not raised
        raise CannotRead(error(shown, None, None, "I003", f"无法打开 Word 文档（{_reason(exc)}）；请在 Word 或 WPS 中打开，确认内容后另存为 .docx 再导入")) from None
    doc = Document(shown, "docx")
    tags = {"p": qn("w:p"), "tbl": qn("w:tbl"), "sdt": qn("w:sdt"), "content": qn("w:sdtContent")}

    def walk(parent) -> None:
        for child in parent.iterchildren():
            if child.tag == tags["p"]:
                doc.paragraphs.append(Paragraph(len(doc.paragraphs) + 1, _paragraph_text(child, qn)))
            elif child.tag == tags["tbl"]:
                doc.tables.append(_docx_table(child, f"表格{len(doc.tables) + 1}", qn))
            elif child.tag == tags["sdt"]:
                for content in child.iterchildren(tags["content"]):
                    walk(content)

    try:
        walk(body)
    except Exception as exc:  # noqa: BLE001 - malformed XML inside a valid package
        raise CannotRead(error(shown, None, None, "I003", f"Word 文档的内容无法读取（{_reason(exc)}）；请在 Word 或 WPS 中打开后另存为 .docx 再导入")) from None
    return doc


def _paragraph_text(p, qn) -> str:
    """A paragraph's text as Word shows it: runs, tabs and line breaks; deleted text left out."""
    t, tab, br, cr, deleted = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:delText")
    parts = []
    for node in p.iter():
        if node.tag == t and node.text:
            parts.append(node.text)
        elif node.tag in (tab,):
            parts.append("\t")
        elif node.tag in (br, cr):
            parts.append("\n")
        elif node.tag == deleted:
            continue
    return "".join(parts)


def _docx_table(tbl, name: str, qn) -> Table:
    """A Word table as a grid: a cell spanning columns (gridSpan) repeats as `spanned`, a cell
    merged with the one above (vMerge) takes its text, marked `merged`."""
    tr_tag, tc_tag, p_tag = qn("w:tr"), qn("w:tc"), qn("w:p")
    val = qn("w:val")
    rows = []
    above: dict[int, str] = {}
    for number, tr in enumerate(tbl.iterchildren(tr_tag), start=1):
        cells: list[Cell] = []
        before = tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}")
        for _ in range(int(before.get(val, "0")) if before is not None and before.get(val, "0").isdigit() else 0):
            cells.append(Cell(""))
        for tc in tr.iterchildren(tc_tag):
            props = tc.find(qn("w:tcPr"))
            span_node = props.find(qn("w:gridSpan")) if props is not None else None
            span = int(span_node.get(val)) if span_node is not None and (span_node.get(val) or "").isdigit() else 1
            vmerge = props.find(qn("w:vMerge")) if props is not None else None
            hmerge = props.find(qn("w:hMerge")) if props is not None else None
            col = len(cells)
            if vmerge is not None and vmerge.get(val) in (None, "continue"):
                text, merged = above.get(col, ""), True
            else:
                text, merged = "\n".join(_paragraph_text(p, qn) for p in tc.iterchildren(p_tag)), False
            if hmerge is not None and hmerge.get(val) in (None, "continue") and cells:
                cells.append(Cell(cells[-1].text, merged=cells[-1].merged, spanned=True))
            else:
                cells.append(Cell(text, merged=merged))
            above[col] = cells[-1].text
            for extra in range(1, max(span, 1)):
                cells.append(Cell(cells[-1].text, merged=merged, spanned=True))
                above[col + extra] = cells[-1].text
        rows.append(Row(number, tuple(cells)))
    return Table(name, tuple(rows))


def _reason(exc: Exception) -> str:
    """What went wrong, in words a clerk can pass on (the exception's own text is English)."""
    if isinstance(exc, zipfile.BadZipFile):
        return "压缩包已损坏"
    if isinstance(exc, KeyError):
        return "缺少必要的文档部件"
    if type(exc).__name__ == "XMLSyntaxError":
        return "文档内部的 XML 有错误"
    if isinstance(exc, ValueError) and "content type" in str(exc).lower():
        return "内容类型不符，可能是另一种 Office 文件改了扩展名"
    return "内容无法解析"
