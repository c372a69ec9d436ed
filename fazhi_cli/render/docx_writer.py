"""A small document language rendered to .docx with python-docx: real Word tables, A4 pages,
Chinese fonts (East Asian font set through w:eastAsia), a footer with page numbers.

The docx templates (`*.docx.j2`) produce this XML; every value in them is escaped, and text is
written with python-docx as text, so nothing a unit typed can become markup or a field code.

    <document title="…" footer="…" body-font="仿宋_GB2312" heading-font="黑体" title-font="宋体">
      <title>…</title> <subtitle>…</subtitle>
      <h1>一、…</h1> <h2>（一）…</h2> <h3>1. …</h3>
      <p align="left|center|right|justify" indent="0|2" size="small|normal">text <b>…</b>
         <i>…</i> <mark>to be written by the clerk</mark> <color value="C00000">…</color> <br/></p>
      <table widths="1,4,2" size="small|normal">
        <tr head="1"><td>…</td></tr>
        <tr><td align="center" colspan="2" fill="FDE2E2">… <br/> …</td></tr>
      </table>
      <pagebreak/>
    </document>

Line breaks in the template are layout and are dropped; a value's own line breaks arrive as
U+2028 (see documents.xml_escape) and become Word line breaks.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from fazhi_cli.render.text import clean_text

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
H2_FONT = "楷体_GB2312"
TITLE_FONT = "方正小标宋简体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = 16  # 三号
TABLE_SIZE = 10.5  # 五号
SMALL_SIZE = 12  # 小四
TITLE_SIZE = 22  # 二号
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_LAYOUT_BREAK = re.compile(r"[ \t\r]*\n[ \t\r\n]*")
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


class DocxMarkupError(Exception):
    """The template produced something that is not the document language."""


def build_docx(markup: str) -> bytes:
    """Turn the document language into .docx bytes."""
    markup = clean_text(markup)
    try:
        root = ET.fromstring(markup)
    except ET.ParseError as exc:
        line = exc.position[0] if hasattr(exc, "position") else "?"
        raise DocxMarkupError(f"第{line}行：{exc}") from None
    if root.tag != "document":
        raise DocxMarkupError("根元素应为 <document>")
    writer = _Writer(root)
    return writer.save()


class _Writer:
    def __init__(self, root: ET.Element):
        self.root = root
        self.body_font = root.get("body-font", BODY_FONT)
        self.heading_font = root.get("heading-font", HEADING_FONT)
        self.h2_font = root.get("h2-font", H2_FONT)
        self.title_font = root.get("title-font", TITLE_FONT)
        self.doc = Document()
        self._setup()

    # --- document setup ---------------------------------------------------------------------
    def _setup(self) -> None:
        doc = self.doc
        props = doc.core_properties
        props.title = self.root.get("title", "")
        props.author = "fazhi"
        props.last_modified_by = "fazhi"
        props.comments = self.root.get("footer", "")
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        # GB/T 9704 公文 margins: top 3.7, bottom 3.5, left 2.8, right 2.6 cm.
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        section.footer_distance = Cm(2.2)
        normal = doc.styles["Normal"]
        normal.font.size = Pt(BODY_SIZE)
        _set_fonts(normal.element.get_or_add_rPr(), self.body_font)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        normal.element.get_or_add_rPr().append(lang)
        _chinese_theme_language(doc)
        normal.paragraph_format.space_before = Pt(0)
        normal.paragraph_format.space_after = Pt(0)
        for name in ("Footer", "Header"):
            _set_fonts(doc.styles[name].element.get_or_add_rPr(), self.body_font)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        text = self.root.get("footer", "")
        if text:
            self._run(footer, text + "    ", size=9)
        self._run(footer, "第 ", size=9)
        _field(footer, "PAGE", 9)
        self._run(footer, " 页 / 共 ", size=9)
        _field(footer, "NUMPAGES", 9)
        self._run(footer, " 页", size=9)

    def save(self) -> bytes:
        first = True
        for element in self.root:
            self._block(element, first)
            first = False
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return fixed_zip(buffer.getvalue())

    # --- blocks -----------------------------------------------------------------------------
    def _block(self, el: ET.Element, first: bool) -> None:
        tag = el.tag
        doc = self.doc
        if tag == "title":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(12)
            p.paragraph_format.line_spacing = Pt(36)
            self._inline(p, el, font=self.title_font, size=TITLE_SIZE, bold=False)
        elif tag == "subtitle":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(12)
            self._inline(p, el, font=self.h2_font, size=BODY_SIZE)
        elif tag in ("h1", "h2", "h3"):
            p = doc.add_paragraph()
            fmt = p.paragraph_format
            fmt.space_before = Pt(6)
            fmt.line_spacing = Pt(28)
            fmt.first_line_indent = Pt(BODY_SIZE * 2)
            fmt.keep_with_next = True
            level = int(tag[1])
            _outline(p, level - 1)
            font = {1: self.heading_font, 2: self.h2_font, 3: self.body_font}[level]
            self._inline(p, el, font=font, size=BODY_SIZE, bold=level == 3)
        elif tag == "p":
            p = doc.add_paragraph()
            small = el.get("size") == "small"
            size = SMALL_SIZE if small else BODY_SIZE
            fmt = p.paragraph_format
            fmt.line_spacing = Pt(20) if small else Pt(28)
            indent = el.get("indent", "2")
            if indent.isdigit() and int(indent):
                fmt.first_line_indent = Pt(size * int(indent))
            p.alignment = ALIGN.get(el.get("align", "justify"), WD_ALIGN_PARAGRAPH.JUSTIFY)
            self._inline(p, el, size=size)
        elif tag == "table":
            self._table(el)
        elif tag == "pagebreak":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            raise DocxMarkupError(f"不认识的元素 <{tag}>")

    def _table(self, el: ET.Element) -> None:
        rows = [r for r in el if r.tag == "tr"]
        if not rows:
            return
        widths = [float(w) for w in el.get("widths", "").split(",") if w.strip()]
        ncols = max(sum(int(td.get("colspan", "1")) for td in r if td.tag in ("td", "th")) for r in rows)
        if len(widths) != ncols:
            widths = [1.0] * ncols
        usable = 21.0 - 2.8 - 2.6
        cm = [usable * w / sum(widths) for w in widths]
        size = SMALL_SIZE if el.get("size") == "normal" else TABLE_SIZE
        table = self.doc.add_table(rows=0, cols=ncols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _cell_margins(table, Cm(0.1).twips)
        grid = table._tbl.tblGrid
        for col, gc in zip(cm, grid.findall(qn("w:gridCol"))):
            gc.set(qn("w:w"), str(int(Cm(col).twips)))
        for tr in rows:
            head = tr.get("head") == "1"
            row = table.add_row()
            trpr = row._tr.get_or_add_trPr()
            cant = OxmlElement("w:cantSplit")
            trpr.append(cant)
            if head:
                header = OxmlElement("w:tblHeader")
                trpr.append(header)
            col = 0
            cells = row.cells
            for td in tr:
                if td.tag not in ("td", "th"):
                    raise DocxMarkupError(f"<tr> 中只能有 <td>，遇到 <{td.tag}>")
                span = max(1, int(td.get("colspan", "1")))
                if col >= ncols:
                    break
                cell = cells[col]
                if span > 1:
                    cell = cell.merge(cells[min(ncols, col + span) - 1])
                cell.width = Cm(sum(cm[col : col + span]))
                fill = td.get("fill") or ("F2F2F2" if head else None)
                if fill and _HEX.match(fill):
                    _shade(cell, fill)
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                self._cell(cell, td, size - 1 if head else size, bold=head or td.tag == "th", align=td.get("align", "center" if head else "left"))
                col += span

    def _cell(self, cell, td: ET.Element, size: float, bold: bool, align: str) -> None:
        paragraphs = [c for c in td if c.tag == "p"]
        targets = paragraphs or [td]
        first = cell.paragraphs[0]
        for index, part in enumerate(targets):
            p = first if index == 0 else cell.add_paragraph()
            p.alignment = ALIGN.get(part.get("align", align), WD_ALIGN_PARAGRAPH.LEFT)
            p.paragraph_format.line_spacing = 1.0
            self._inline(p, part, size=size, bold=bold)

    # --- inline -----------------------------------------------------------------------------
    def _inline(self, p, el: ET.Element, *, font: str | None = None, size: float = BODY_SIZE, bold: bool = False,
                italic: bool = False, mark: bool = False, color: str | None = None) -> None:
        style = dict(font=font, size=size, bold=bold, italic=italic, mark=mark, color=color)
        if el.text:
            self._text(p, el.text, **style)
        for child in el:
            if child.tag == "br":
                p.add_run().add_break()
            elif child.tag == "b":
                self._inline(p, child, **{**style, "bold": True})
            elif child.tag == "i":
                self._inline(p, child, **{**style, "italic": True})
            elif child.tag == "mark":
                self._inline(p, child, **{**style, "mark": True, "bold": True})
            elif child.tag == "color":
                value = child.get("value", "")
                self._inline(p, child, **{**style, "color": value if _HEX.match(value) else None, "bold": True})
            elif child.tag == "p" and el.tag in ("td", "th"):
                self._inline(p, child, **style)
            else:
                raise DocxMarkupError(f"<{el.tag}> 中不能有 <{child.tag}>")
            if child.tail:
                self._text(p, child.tail, **style)

    def _text(self, p, text: str, **style) -> None:
        text = _LAYOUT_BREAK.sub("", text)
        if not text:
            return
        parts = text.split("\u2028")
        for index, part in enumerate(parts):
            if index:
                p.add_run().add_break()
            if part:
                self._run(p, part, **style)

    def _run(self, p, text: str, *, font: str | None = None, size: float = BODY_SIZE, bold: bool = False,
             italic: bool = False, mark: bool = False, color: str | None = None):
        """A run built directly as XML (python-docx's property setters are slow on big tables);
        rPr children in schema order. The text is set as an element's text: never parsed."""
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        if font and font != self.body_font:
            _set_fonts(rpr, font)
        if bold:
            rpr.append(OxmlElement("w:b"))
        if italic:
            rpr.append(OxmlElement("w:i"))
        if color:
            el = OxmlElement("w:color")
            el.set(qn("w:val"), color.upper())
            rpr.append(el)
        for tag in ("w:sz", "w:szCs"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(int(round(size * 2))))
            rpr.append(el)
        if mark:
            el = OxmlElement("w:highlight")
            el.set(qn("w:val"), "yellow")
            rpr.append(el)
        run.append(rpr)
        t = OxmlElement("w:t")
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        t.text = text
        run.append(t)
        p._p.append(run)
        return run


def fixed_zip(data: bytes) -> bytes:
    """The same package with fixed member timestamps: the same data gives the same bytes, so a
    report regenerated with --rev can be compared with the one handed in."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _chinese_theme_language(doc) -> None:
    """The document's East Asian theme language is zh-CN (python-docx's template says ja-JP, which
    makes LibreOffice and Word pick Japanese glyph forms for shared characters)."""
    settings = doc.settings.element
    found = settings.find(qn("w:themeFontLang"))
    if found is None:
        found = OxmlElement("w:themeFontLang")
        settings.append(found)
    found.set(qn("w:val"), "en-US")
    found.set(qn("w:eastAsia"), "zh-CN")


def _set_fonts(rpr, east_asia: str) -> None:
    """Latin text in Times New Roman, Chinese in `east_asia` (w:eastAsia is what Word and WPS read)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _cell_margins(table, twips: int) -> None:
    """Narrow left/right cell margins, so a three-character header fits a 1.3 cm column."""
    tblpr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(twips)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    look = tblpr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        tblpr.append(margins)


def _outline(p, level: int) -> None:
    ppr = p._p.get_or_add_pPr()
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level))
    ppr.append(outline)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill.upper())
    tcpr.append(shd)


def _field(p, instruction: str, size: float) -> None:
    """A simple field (PAGE, NUMPAGES) — written by us, never from user text."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
