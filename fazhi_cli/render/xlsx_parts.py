"""The small fixed parts of an .xlsx package (SpreadsheetML): content types, relationships,
document properties with a fixed time, the workbook (sheets, print titles, filter ranges) and a
styles part holding only the few cell formats xlsx_writer uses."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
FIXED_TIME = "2000-01-01T00:00:00Z"  # workbook timestamps: fixed, so the same data gives the same file
FONT = "宋体"
HEADER_FILL = "FFF2F2F2"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# cell formats (cellXfs): 0 the default, 1 the header row, 2 body text; 3 … body with a number format
HEADER_STYLE, BODY_STYLE, FIRST_NUMBER_STYLE = 1, 2, 3
# number formats Excel knows by id; any other gets an id from 164 on
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "0.00E+00": 11, "@": 49}

MAX_SHEET_NAME = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def sheet_names(titles: Sequence[str]) -> list[str]:
    """Names Excel accepts: none of : \\ / ? * [ ] (each becomes _), no ' at either end, at most 31
    characters, not blank, not "History" (reserved), and no two the same (case ignored): a
    repeated name gets (2), (3) …"""
    names: list[str] = []
    taken: set[str] = set()
    for title in titles:
        name = _SHEET_FORBIDDEN.sub("_", title).strip().strip("'").strip()[:MAX_SHEET_NAME] or "Sheet"
        if name.casefold() == "history":
            name += "_"
        base, n = name, 1
        while name.casefold() in taken:
            n += 1
            suffix = f"({n})"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def quote_sheet(name: str) -> str:
    """A sheet name as a formula reference writes it: in apostrophes, an apostrophe doubled."""
    return "'" + name.replace("'", "''") + "'"


def content_types(sheets: int) -> bytes:
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = [
        ("/xl/workbook.xml", f"{sml}.sheet.main+xml"),
        *((f"/xl/worksheets/sheet{i}.xml", f"{sml}.worksheet+xml") for i in range(1, sheets + 1)),
        ("/xl/styles.xml", f"{sml}.styles+xml"),
        ("/xl/sharedStrings.xml", f"{sml}.sharedStrings+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
    ]
    return (
        XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in parts)
        + "</Types>"
    ).encode("utf-8")


def root_rels() -> bytes:
    return (
        XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    ).encode("utf-8")


def core_props(title: str) -> bytes:
    return (
        XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + (f"<dc:title>{escape(title)}</dc:title>" if title else "")
        + "<dc:creator>fazhi</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_TIME}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_TIME}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode("utf-8")


def app_props() -> bytes:
    return (
        XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>fazhi</Application></Properties>"
    ).encode("utf-8")


def workbook(names: Sequence[str], filters: Sequence[str | None]) -> bytes:
    """The sheets in order; per sheet its print titles (the header row on every page) and, when
    it has a filter, the hidden _FilterDatabase name Excel keeps for it."""
    sheets = "".join(f'<sheet name="{escape_attr(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1))
    defined = []
    for index, (name, ref) in enumerate(zip(names, filters)):
        if ref:
            defined.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">{escape(quote_sheet(name))}!{ref}</definedName>')
        defined.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{escape(quote_sheet(name))}!$1:$1</definedName>')
    return (
        XML_HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets><definedNames>{''.join(defined)}</definedNames>"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    ).encode("utf-8")


def workbook_rels(sheets: int) -> bytes:
    rels = [f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, sheets + 1)]
    rels.append(f'<Relationship Id="rId{sheets + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>')
    rels.append(f'<Relationship Id="rId{sheets + 2}" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>')
    return (XML_HEAD + f'<Relationships xmlns="{PKG_REL_NS}">' + "".join(rels) + "</Relationships>").encode("utf-8")


def styles(formats: Sequence[str]) -> bytes:
    """Fonts: the default (Calibri 11, which sets the column width unit), 宋体 bold for the header
    row, 宋体 for the body. Cell formats as HEADER_STYLE …; then one per number format in
    `formats`, in that order, from FIRST_NUMBER_STYLE on."""
    custom, ids = [], []
    for code in formats:
        if code in BUILTIN_FORMATS:
            ids.append(BUILTIN_FORMATS[code])
        else:
            ids.append(164 + len(custom))
            custom.append(f'<numFmt numFmtId="{ids[-1]}" formatCode="{escape_attr(code)}"/>')
    body_alignment = '<alignment vertical="top" wrapText="1"/>'
    xfs = [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
        '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>',
        f'<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">{body_alignment}</xf>',
        *(f'<xf numFmtId="{i}" fontId="2" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyAlignment="1">'
          f"{body_alignment}</xf>" for i in ids),
    ]
    return (
        XML_HEAD + f'<styleSheet xmlns="{MAIN_NS}">'
        + (f'<numFmts count="{len(custom)}">{"".join(custom)}</numFmts>' if custom else "")
        + '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        f'<font><b val="1"/><name val="{FONT}"/></font><font><name val="{FONT}"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        f'<fill><patternFill patternType="solid"><fgColor rgb="{HEADER_FILL}"/><bgColor indexed="64"/></patternFill></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ).encode("utf-8")
