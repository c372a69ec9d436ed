"""A task table (分解表) or a numbered text, read into task drafts: `fazhi import-plan`.

Two layouts. A table with a header row (序号 / 重点工作任务 / 牵头单位 / 责任单位, optionally 完成时限),
wherever the header stands in the table, with merged and multi-line cells; and the prose layout
many counties use — numbered items, each followed by a line “责任单位：A、B、各有关部门，乡镇人民政府
按职责分工分别负责。” where the first named unit leads unless the text says who 牵头.

Pure: the readers (core/plan_import) give plain rows and lines, the plan year and the names the
workspace knows are passed in. Every problem carries the file, the row or paragraph, and what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from fazhi_cli.book.directory import Directory
from fazhi_cli.engine.plan_text import (
    DatePhrase,
    NameSet,
    Named,
    Responsibility,
    find_dates,
    is_responsibility_line,
    join_lines,
    make_title,
    number_value,
    numbering,
    section_label,
    split_names,
    split_responsibility,
    split_trailing_responsibility,
)
from fazhi_cli.models.plan import Deadline, Level, Task, TaskKind
from fazhi_cli.problems import Problem, error

# Stable codes of `fazhi import-plan` (I0xx: the file cannot be read, exit 2; I1xx: what it says
# cannot be imported, I2xx: unit names, I3xx: where to write — exit 1).
IMPORT_CODES: dict[str, str] = {
    "I001": "文件不存在或无法读取",
    "I002": "不支持的文件类型",
    "I003": "文件已损坏，或不是其扩展名所说的格式",
    "I004": "文件编码无法识别",
    "I101": "文件是空的",
    "I102": "没有找到任务",
    "I103": "表格缺少表头",
    "I104": "序号重复",
    "I105": "序号无效或缺少序号",
    "I106": "缺少任务内容",
    "I107": "缺少牵头单位或责任单位",
    "I108": "牵头单位是分组",
    "I109": "时限无效或不在方案年度内",
    "I201": "单位名称在 data/units.yaml 中找不到",
    "I301": "任务清单文件已存在",
    "I302": "输出位置不允许",
    "I303": "导入结果未通过检查",
}

NO_SECTION = "未注明"


# --- what the readers give ------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    text: str
    merged: bool = False  # the lower part of a vertically merged cell (its text is the top one's)
    spanned: bool = False  # the right part of a horizontally merged cell


@dataclass(frozen=True)
class Row:
    number: int  # as the clerk sees it: Excel's row number, the CSV record, the Word table's row
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    name: str  # “表格1”, “工作表“Sheet1””, or "" (a CSV file is one table)
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Paragraph:
    number: int  # the paragraph's number in the document (Word), or the row (Excel, CSV)
    text: str


@dataclass
class Document:
    """A file as read: its tables and its body paragraphs, in order."""

    path: str  # as shown to the clerk
    kind: str  # "docx" | "xlsx" | "csv"
    tables: list[Table] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


# --- what comes out -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NameUse:
    """Where a unit name stands: the task, the field and the place in the file."""

    name: str
    field: str  # "lead" | "responsible"
    task: int
    where: str
    line: int


@dataclass
class Draft:
    """One task as read, before it becomes a `Task`."""

    number: int
    text: str
    lead: list[str]
    responsible: list[str]
    where: str
    line: int
    section: str | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    other_dates: list[str] = field(default_factory=list)  # phrases that are not the deadline kept
    standing: bool = False  # the 时限 column says 长期坚持
    names_where: str = ""  # where the unit names are written (the 责任单位 line), when not `where`
    names_line: int | None = None

    def uses(self) -> list[NameUse]:
        where, line = self.names_where or self.where, self.names_line or self.line
        return [NameUse(n, "lead", self.number, where, line) for n in self.lead] + [
            NameUse(n, "responsible", self.number, where, line) for n in self.responsible
        ]


@dataclass
class Reading:
    layout: str  # "table" | "prose" | ""
    drafts: list[Draft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    origin: str = ""  # where the tasks were found: “表格1”, “正文”

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)


# --- names the workspace knows --------------------------------------------------------------------
def name_set(directory: Directory | None) -> NameSet:
    if directory is None:
        return NameSet()
    kinds: dict[str, str] = {}
    for unit in directory.units.values():
        for text in (unit.id, unit.name, unit.short, *unit.aliases):
            if text:
                kinds[text] = "unit"
    for group in directory.groups.values():
        for text in (group.id, group.name, *group.aliases):
            kinds[text] = "group"
    return NameSet(kinds)


_GROUP_WORDS = re.compile(
    r"^(?:各|其他|其它|有关|相关|有|所有|全体|乡镇|街道|苏木|嘎查)|各(?:有关|相关)?(?:部门|单位|机关|乡镇|街道|苏木)|(?:部门|单位|机关|成员单位)$"
)


def looks_like_group(name: str) -> bool:
    """A name written as a set of units (各有关部门, 乡镇人民政府, 县直单位), not one unit."""
    return bool(_GROUP_WORDS.search(name))


def _is_group(name: str, names: NameSet) -> bool:
    kind = names.kind(name)
    return kind == "group" if kind else looks_like_group(name)


# --- reading --------------------------------------------------------------------------------------
def read_tasks(doc: Document, names: NameSet, year: int) -> Reading:
    """The tasks of a document: from its tables with a header row if it has any, else from its
    numbered paragraphs (for a spreadsheet: its rows read as lines)."""
    cells = (c.text.strip() for t in doc.tables for r in t.rows for c in r.cells)
    if not any(cells) and not any(p.text.strip() for p in doc.paragraphs):
        return Reading("", problems=[error(doc.path, None, None, "I101", "文件是空的，没有任何内容；请确认选对了文件，或在 Word/Excel 中打开看看是否保存成功")])
    reading = _read_tables(doc, names, year)
    if reading is None:
        paragraphs = doc.paragraphs if doc.kind == "docx" else _rows_as_paragraphs(doc)
        reading = _read_prose(doc, paragraphs, names, year)
        if reading is None:
            if doc.tables and any(r.cells for t in doc.tables for r in t.rows):
                where = "、".join(t.name or "表格" for t in doc.tables[:3])
                return Reading("", problems=[error(
                    doc.path, None, None, "I103",
                    f"{where}中找不到表头：任务表的表头应有“序号”“重点工作任务”（或“工作任务”“任务内容”）和“牵头单位”“责任单位”等列；"
                    "请在表格上方加一行表头，或检查表头的写法",
                )])
            return Reading("", problems=[error(
                doc.path, None, None, "I102",
                "没有找到任务：文件中既没有带表头（序号、重点工作任务、牵头单位、责任单位）的任务表，"
                "也没有后面跟着“责任单位：……”一行的编号条目（如“1. ……”）；请确认选对了文件",
            )])
    reading.notices = doc.notices + reading.notices
    _check(doc, reading, names, year)
    return reading


def _rows_as_paragraphs(doc: Document) -> list[Paragraph]:
    out = []
    for table in doc.tables:
        for row in table.rows:
            texts = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip() and not c.spanned))
            if texts:
                out.append(Paragraph(row.number, "".join(texts) if len(texts) == 1 else " ".join(texts)))
    return out


# --- tables ---------------------------------------------------------------------------------------
_NUMBER_HEADERS = ("序号", "编号", "序", "号", "项目序号", "任务序号")
_RESPONSIBLE_WORDS = ("责任单位", "责任部门", "责任主体", "配合单位", "配合部门", "参与单位", "协办单位", "承办单位", "责任", "配合")
_DEADLINE_WORDS = ("时限", "完成时间", "时间节点", "截止", "完成日期", "时间要求")
_TEXT_WORDS = ("任务", "内容", "事项", "工作", "措施", "要求")


def _role(header: str) -> str | None:
    key = "".join(header.split())
    if not key:
        return None
    if key in _NUMBER_HEADERS:
        return "number"
    if "牵头" in key:
        return "lead"
    if any(w in key for w in _RESPONSIBLE_WORDS):
        return "responsible"
    if any(w in key for w in _DEADLINE_WORDS):
        return "deadline"
    if any(w in key for w in _TEXT_WORDS):
        return "text"
    return None


def header_columns(row: Row) -> dict[str, list[int]] | None:
    """The columns of a header row by role, or None when the row is no header: a header holds
    short labels only (no number, no task text), among them a task column and a unit column."""
    roles: dict[str, list[int]] = {}
    for index, cell in enumerate(row.cells):
        if cell.spanned or cell.merged:
            continue
        key = "".join(cell.text.split())
        if len(key) > 12 or (key and number_value(key) is not None):
            return None
        role = _role(cell.text)
        if role:
            roles.setdefault(role, []).append(index)
    if "text" in roles and ("lead" in roles or "responsible" in roles):
        return roles
    return None


def _refine(roles: dict[str, list[int]], row: Row) -> bool:
    """A second header row under a merged “责任单位” (牵头单位 | 配合单位): its roles win."""
    found = {i: _role(c.text) for i, c in enumerate(row.cells) if not c.spanned and not c.merged and c.text.strip()}
    if not found or any(r not in ("lead", "responsible") for r in found.values()):
        return False
    for index, role in found.items():
        for columns in roles.values():
            if index in columns:
                columns.remove(index)
        roles.setdefault(role, []).append(index)
    return True


def _read_tables(doc: Document, names: NameSet, year: int) -> Reading | None:
    reading = Reading("table")
    origins: list[str] = []
    roles: dict[str, list[int]] | None = None
    width = 0
    header: tuple[str, ...] = ()
    for table in doc.tables:
        start = 0
        found = None
        for index, row in enumerate(table.rows[:12]):
            found = header_columns(row)
            if found:
                start = index + 1
                if start < len(table.rows) and _refine(found, table.rows[start]):
                    start += 1
                break
        if found:
            roles, width = found, len(table.rows[start - 1].cells)
            header = _labels(table.rows[start - 1])
        elif roles is None or doc.kind != "docx" or not table.rows or len(table.rows[0].cells) != width:
            continue  # a table before the task table, another sheet: not the tasks (a Word table goes on after a page break)
        origins.append(table.name or "表格")
        _table_rows(doc, table, table.rows[start:], roles, header, names, year, reading)
    if roles is None:
        return None
    reading.origin = "、".join(dict.fromkeys(origins))
    if "number" not in roles:
        reading.notices.append(f"{reading.origin}没有“序号”列：任务按行的顺序编号为 1–{len(reading.drafts)}")
    return reading


def _cell(row: Row, columns: list[int] | None) -> Cell:
    for index in columns or []:
        if index < len(row.cells):
            return row.cells[index]
    return Cell("")


def _table_rows(doc: Document, table: Table, rows: tuple[Row, ...], roles: dict[str, list[int]], header: tuple[str, ...], names: NameSet, year: int, reading: Reading) -> None:
    heading: dict[int, str] = {}
    for row in rows:
        if not any(c.text.strip() for c in row.cells):
            continue
        if _labels(row) == header:
            continue  # the header repeated (a table over several pages)
        where = f"{table.name}第{row.number}行"
        number_cell = _cell(row, roles.get("number"))
        text_cell = _cell(row, roles.get("text"))
        unit_cells = [row.cells[i] for r in ("lead", "responsible") for i in roles.get(r, []) if i < len(row.cells)]
        text = join_lines(text_cell.text.split("\n"))
        units_empty = not any(c.text.strip() for c in unit_cells)
        if "number" in roles and not number_cell.text.strip():
            if _is_heading(row, text):
                _set_heading(heading, text)
                continue
            if not text and units_empty:
                continue
            reading.problems.append(error(doc.path, row.number, None, "I105", f"{where}没有序号：请在“序号”列填上任务的序号（一行一项任务；一项任务占几行的，把它的序号单元格合并）"))
            continue
        if "number" in roles and number_cell.merged and reading.drafts:
            _continue_draft(reading.drafts[-1], row, roles, text_cell, text, names)
            continue
        if "number" in roles:
            label = number_cell.text.strip()
            if units_empty and (numbering(label + "、" + text) or numbering(label + text)) and not label.isdigit():
                _set_heading(heading, (label if numbering(label + text) else label + "、") + text)
                continue  # 一 | 加强组织领导 (a part of the plan, numbered in the 序号 column)
            number = number_value(label)
            if number is None or number < 1:
                whole = label if text in ("", label) else label + text
                if _is_heading(row, whole):
                    _set_heading(heading, whole)
                    continue
                shown = label.replace("\n", " ")
                reading.problems.append(error(doc.path, row.number, None, "I105", f"{where}的序号“{shown}”不是数字；请写成 1、2、3 这样的序号"))
                continue
        else:
            number = len(reading.drafts) + 1
        draft = Draft(number, text, [], [], where, row.number, _section(heading))
        lead_cell = _cell(row, roles.get("lead")) if "lead" in roles else None
        responsible_text = "\n".join(row.cells[i].text for i in roles.get("responsible", []) if i < len(row.cells))
        if lead_cell is not None:
            draft.lead = [n.name for n in split_names(lead_cell.text, names)]
            draft.responsible = [n.name for n in split_names(responsible_text, names) if n.name not in draft.lead]
        else:
            draft.lead, draft.responsible = choose_lead(split_responsibility(responsible_text, names), names)
        deadline_cell = _cell(row, roles.get("deadline")) if "deadline" in roles else None
        _dates(doc, draft, deadline_cell.text if deadline_cell else "", names, year, reading)
        reading.drafts.append(draft)


def _labels(row: Row) -> tuple[str, ...]:
    return tuple("".join(c.text.split()) for c in row.cells)


def _is_heading(row: Row, text: str) -> bool:
    """A row naming a part of the plan: one text only, merged across the table or numbered as a
    part (“一、进一步深化放管服改革”, “（二）……”). Text alone in a row is no heading otherwise."""
    texts = {c.text.strip() for c in row.cells if c.text.strip()}
    if len(texts) != 1:
        return False
    spanned = any(c.spanned for c in row.cells if c.text.strip())
    item = numbering(text)
    return spanned or (item is not None and item.level <= 2)


def _set_heading(heading: dict[int, str], text: str) -> None:
    item = numbering(text)
    level = item.level if item else 1
    for deeper in [k for k in heading if k >= level]:
        del heading[deeper]
    heading[level] = section_label(item.level, item.value) if item else text.strip()[:20]


def _section(heading: dict[int, str]) -> str | None:
    return "".join(heading[k] for k in sorted(heading)) or None


def _continue_draft(draft: Draft, row: Row, roles: dict[str, list[int]], text_cell: Cell, text: str, names: NameSet) -> None:
    """A row under a merged 序号 cell: more of the same task."""
    if text and not text_cell.merged and text not in draft.text:
        draft.text = join_lines([draft.text, text])
    for role, target in (("lead", draft.lead), ("responsible", draft.responsible)):
        for index in roles.get(role, []):
            if index < len(row.cells) and not row.cells[index].merged:
                for named in split_names(row.cells[index].text, names):
                    if named.name not in draft.lead and named.name not in draft.responsible:
                        target.append(named.name)


# --- prose ----------------------------------------------------------------------------------------
@dataclass
class _Item:
    level: int
    value: int
    label: str
    lines: list[str]
    where: str
    line: int
    section: str | None
    heading_key: tuple
    responsibility: list[str] = field(default_factory=list)
    names_at: tuple[str, int] | None = None  # where its 责任单位 line is


def _read_prose(doc: Document, paragraphs: list[Paragraph], names: NameSet, year: int) -> Reading | None:
    reading = Reading("prose", origin="正文" if doc.kind == "docx" else (doc.tables[0].name if doc.tables and doc.tables[0].name else "表格"))
    heading: dict[int, str] = {}
    items: list[_Item] = []
    current: _Item | None = None
    orphans: list[tuple[Paragraph, str]] = []

    def place(p: Paragraph, line: str) -> str:
        if doc.kind == "docx":  # Word shows no paragraph numbers: the paragraph's beginning too
            return f"第{p.number}段“{_short(line, 16)}”"
        return f"{doc.tables[0].name if doc.tables else ''}第{p.number}行"

    for paragraph in paragraphs:
        for raw in paragraph.text.split("\n"):
            line = raw.replace("\u00a0", " ").strip()
            if not line:
                continue
            if is_responsibility_line(line):
                if current is None:
                    orphans.append((paragraph, line))
                else:
                    current.responsibility.append(line)
                    current.names_at = current.names_at or (place(paragraph, line), paragraph.number)
                continue
            body, trailing = split_trailing_responsibility(line)
            item = numbering(body)
            if item is not None:
                if current is not None and not current.responsibility:
                    _set_heading(heading, current.label + "".join(current.lines))
                current = _Item(item.level, item.value, item.label, [item.rest], place(paragraph, line), paragraph.number, None, ())
                current.section = _section({k: v for k, v in heading.items() if k < item.level})
                current.heading_key = tuple(sorted((k, v) for k, v in heading.items() if k < item.level))
                items.append(current)
            elif current is not None and not current.responsibility:
                current.lines.append(body)
            if trailing and current is not None:
                current.responsibility.append(trailing)
                current.names_at = current.names_at or (place(paragraph, line), paragraph.number)
    _fold_sub_items(items)
    tasks = [i for i in items if i.responsibility]
    if not tasks:
        return None
    levels = {i.level for i in tasks}
    for index, item in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        heads_something = following is not None and following.level > item.level
        if not item.responsibility and item.level >= 3 and item.level in levels and not heads_something:
            reading.problems.append(error(
                doc.path, item.line, None, "I107",
                f"{item.where}后面没有“责任单位：……”一行（同级的其他条目都有）；请补上这一行，写明承担的单位",
            ))
    for paragraph, line in orphans:
        reading.problems.append(error(
            doc.path, paragraph.number, None, "I106",
            f"{place(paragraph, line)}前面没有编号的任务条目；请在它前面写上任务（如“1. ……”），或删去这一行",
        ))
    numbers = _prose_numbers(doc, tasks, reading)
    for item, number in zip(tasks, numbers):
        text = join_lines(item.lines)
        draft = Draft(number, text, [], [], item.where, item.line, item.section)
        if item.names_at:
            draft.names_where, draft.names_line = item.names_at
        responsibility = Responsibility()
        for line in item.responsibility:
            part = split_responsibility(line.rstrip("。.；;"), names)
            responsibility.lead += part.lead
            responsibility.others += part.others
            responsibility.labelled_lead = responsibility.labelled_lead or part.labelled_lead
        draft.lead, draft.responsible = choose_lead(responsibility, names)
        _dates(doc, draft, "", names, year, reading)
        reading.drafts.append(draft)
    return reading


def _fold_sub_items(items: list[_Item]) -> None:
    """“1. 加强学习 （1）…… （2）…… 责任单位：……”: one task, item 1, its sub-items part of its
    text — when only the last sub-item is followed by the 责任单位 line. (Sub-items each with their
    own line are tasks themselves.)"""
    index = 0
    while index < len(items):
        parent = items[index]
        end = index + 1
        while end < len(items) and items[end].level > parent.level:
            end += 1
        children = items[index + 1:end]
        if parent.level == 3 and not parent.responsibility and children and children[-1].responsibility and not any(c.responsibility for c in children[:-1]):
            parent.lines += [c.label + join_lines(c.lines) for c in children]
            parent.responsibility, parent.names_at = children[-1].responsibility, children[-1].names_at
            del items[index + 1:end]
        index += 1


def _prose_numbers(doc: Document, tasks: list[_Item], reading: Reading) -> list[int]:
    """The items' own numbers (1. 2. 3.) when they are unique; numbered again in order when each
    part of the text starts again at 1 or the items are numbered （一）（二）; a number written
    twice within one part is a problem."""
    values = [i.value for i in tasks]
    arabic = all(i.level >= 3 for i in tasks)
    if arabic and len(set(values)) == len(values):
        return values
    if arabic:
        seen: dict[tuple, dict[int, _Item]] = {}
        for item in tasks:
            part = seen.setdefault(item.heading_key, {})
            if item.value in part:
                first = part[item.value]
                reading.problems.append(error(
                    doc.path, item.line, None, "I104",
                    f"{item.where}的序号 {item.value} 重复（{first.where}已有序号 {item.value}）；请改正其中一个",
                ))
            part[item.value] = item
        if reading.failed:
            return values
        reading.notices.append(f"原文各部分分别从 1 编号，已按出现顺序重新编号为 1–{len(tasks)}")
    else:
        reading.notices.append(f"原文条目按“（一）”“一、”等编号，已按出现顺序编号为 1–{len(tasks)}")
    return list(range(1, len(tasks) + 1))


def choose_lead(resp: Responsibility, names: NameSet) -> tuple[list[str], list[str]]:
    """Who leads when the text has no 牵头单位 column: the names said to 牵头 (or under 牵头单位：),
    else the first named unit (a group such as 各有关部门 never leads)."""
    lead = _names(resp.lead)
    others = [n for n in _names(resp.others) if n not in lead]
    if not lead:
        first = next((n for n in others if not _is_group(n, names)), None)
        if first is not None:
            lead = [first]
            others = [n for n in others if n != first]
    return lead, others


def _names(items: list[Named]) -> list[str]:
    return list(dict.fromkeys(n.name for n in items))


def _short(text: str, limit: int = 24) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- deadlines ------------------------------------------------------------------------------------
_STANDING = re.compile(r"长期|持续|常态|全年|经常性")


def _dates(doc: Document, draft: Draft, column: str, names: NameSet, year: int, reading: Reading) -> None:
    """The task's deadlines: from the 完成时限 column when there is one, else from its text; one
    per level (市本级, 旗县级, everyone), the latest — earlier dates are kept in its note."""
    phrases: list[DatePhrase] = []
    column = join_lines(column.split("\n"))
    if column:
        phrases = find_dates(column, year) or _iso_dates(column, year)
        if not phrases:
            if _STANDING.search(column):
                draft.standing = True
            else:
                reading.notices.append(f"{draft.where}（任务 {draft.number}）的完成时限“{_short(column)}”未能识别为日期：按默认完成时限处理，请核对")
        phrases = [DatePhrase(p.phrase, column if len(phrases) == 1 else p.clause, p.due, p.level, p.problem, p.year) for p in phrases]
    else:
        phrases = find_dates(draft.text, year)
    chosen: dict[Level | None, DatePhrase] = {}
    for phrase in phrases:
        if phrase.problem or phrase.due is None:
            reading.problems.append(error(doc.path, draft.line, None, "I109", f"{draft.where}（任务 {draft.number}）：{phrase.problem}；请改正原文中的日期"))
            continue
        if phrase.due.year != year:
            reading.problems.append(error(
                doc.path, draft.line, None, "I109",
                f"{draft.where}（任务 {draft.number}）的时限“{phrase.phrase}”不在方案年度 {year} 年内（data/phases.yaml 的 year）；请核对原文或方案年度",
            ))
            continue
        held = chosen.get(phrase.level)
        if held is None or phrase.due >= held.due:
            if held is not None:
                draft.other_dates.append(held.phrase)
            chosen[phrase.level] = phrase
        else:
            draft.other_dates.append(phrase.phrase)
    order = [Level.CITY, Level.COUNTY, None]
    draft.deadlines = [
        Deadline(due=p.due, level=p.level, source=p.clause or p.phrase)
        for p in sorted(chosen.values(), key=lambda p: (p.due, order.index(p.level)))
    ]


_ISO = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?")


def _iso_dates(text: str, year: int) -> list[DatePhrase]:
    """A 完成时限 cell holding a date as a spreadsheet writes it (2020-06-30, 2020/6/30)."""
    out = []
    for match in _ISO.finditer(text):
        try:
            day = dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            out.append(DatePhrase(match.group(0), text, None, None, f"“{match.group(0)}”不是有效的日期"))
            continue
        out.append(DatePhrase(match.group(0), text, day, None, None, day.year))
    return out


# --- checks ---------------------------------------------------------------------------------------
def _check(doc: Document, reading: Reading, names: NameSet, year: int) -> None:
    seen: dict[int, Draft] = {}
    for draft in reading.drafts:
        label = f"{draft.where}（任务 {draft.number}）"
        if draft.number in seen:
            first = seen[draft.number]
            reading.problems.append(error(
                doc.path, draft.line, None, "I104",
                f"{draft.where}的序号 {draft.number} 重复（{first.where}已有序号 {draft.number}）；每项任务的序号须不同，请改正其中一个",
            ))
        else:
            seen[draft.number] = draft
        if not draft.text:
            reading.problems.append(error(doc.path, draft.line, None, "I106", f"{label}没有任务内容；请填写任务原文，或删去这一行"))
        if not draft.lead and not draft.responsible:
            reading.problems.append(error(doc.path, draft.line, None, "I107", f"{label}没有填写牵头单位和责任单位；请填上承担这项任务的单位"))
        elif not draft.lead:
            said = "、".join(draft.responsible)
            reading.problems.append(error(
                doc.path, draft.line, None, "I107",
                f"{label}没有牵头单位（“{said}”都是分组）；请在原文中写明由哪个单位牵头（如“县司法局牵头”）",
            ))
        for name in draft.lead:
            if names.kind(name) == "group":
                reading.problems.append(error(
                    doc.path, draft.line, None, "I108",
                    f"{label}的牵头单位“{name}”是分组（data/units.yaml 的 groups）；牵头单位须是具体单位，请把它移到责任单位，并写明牵头的单位",
                ))
    if not reading.drafts and not reading.failed:
        reading.problems.append(error(doc.path, None, None, "I102", f"{reading.origin or '文件'}有表头，但下面没有任务行；请确认选对了文件"))


# --- proposals for unknown names ------------------------------------------------------------------
@dataclass
class Unknown:
    """A name data/units.yaml does not know, where it stands, and what to propose for it."""

    name: str
    uses: list[NameUse]
    kind: str  # "unit" | "group": what the proposal adds
    id: str
    level: Level | None  # for a unit
    suggestions: list[str]


_COUNTY_LIKE = re.compile(r"(?:乡|镇|苏木|街道|旗|县|区|市)(?:人民政府)?$")


def unknown_names(drafts: list[Draft], directory: Directory | None) -> list[Unknown]:
    """Every name no unit or group of the directory carries, in the order first met, each with a
    proposed entry (a unit when it leads somewhere or reads as one unit; an open group else)."""
    found: dict[str, Unknown] = {}
    for draft in drafts:
        for use in draft.uses():
            if directory is not None and directory.lookup(use.name) is not None:
                continue
            key = NameSet.key(use.name)
            if key not in found:
                found[key] = Unknown(use.name, [], "unit", "", None, directory.suggestions(use.name, units_only=False) if directory else [])
            found[key].uses.append(use)
    taken = set(directory.units) | set(directory.groups) if directory else set()
    counters = {"unit": 0, "group": 0}
    for item in found.values():
        leads = any(u.field == "lead" for u in item.uses)
        item.kind = "group" if not leads and looks_like_group(item.name) else "unit"
        item.level = (Level.COUNTY if _COUNTY_LIKE.search(item.name) else Level.CITY) if item.kind == "unit" else None
        while True:
            counters[item.kind] += 1
            candidate = f"new-{item.kind}-{counters[item.kind]}"
            if candidate not in taken:
                break
        taken.add(candidate)
        item.id = candidate
    return list(found.values())


def unknown_problems(path: str, unknowns: list[Unknown]) -> list[Problem]:
    out = []
    for item in unknowns:
        hint = f"；是否是：{'、'.join(item.suggestions)}？若是，把“{item.name}”加到它的 aliases 中" if item.suggestions else ""
        for use in item.uses:
            role = "牵头单位" if use.field == "lead" else "责任单位"
            out.append(error(
                path, use.line, None, "I201",
                f"{use.where}（任务 {use.task}）的{role}“{item.name}”在 data/units.yaml 中找不到{hint}",
            ))
    return out


# --- tasks ----------------------------------------------------------------------------------------
@dataclass
class Built:
    tasks: list[Task]
    kept: list[int]  # tasks whose title, section, kind, deadlines, targets and note were kept


def build_tasks(drafts: list[Draft], existing: dict[int, Task] | None = None) -> Built:
    """The drafts as tasks. A task already in tasks.yaml with the same number and the same text
    keeps what was written there by hand (title, section, kind, deadlines, targets, note); lead and
    responsible always come from the file imported."""
    tasks: list[Task] = []
    kept: list[int] = []
    for draft in drafts:
        old = (existing or {}).get(draft.number)
        if old is not None and old.text == draft.text:
            kept.append(draft.number)
            tasks.append(old.model_copy(update={"lead": draft.lead, "responsible": draft.responsible}))
            continue
        note = f"原文另有时间节点：{'、'.join(draft.other_dates)}（完成时限取最后一个）" if draft.other_dates else None
        tasks.append(Task(
            id=draft.number,
            title=make_title(draft.text),
            text=draft.text,
            section=draft.section or NO_SECTION,
            kind=TaskKind.STANDING if draft.standing and not draft.deadlines else TaskKind.DELIVERABLE,
            lead=draft.lead,
            responsible=draft.responsible,
            deadlines=draft.deadlines,
            note=note,
        ))
    return Built(tasks, kept)
