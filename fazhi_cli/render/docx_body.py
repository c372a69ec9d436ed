"""The document language (see docx_writer) turned into WordprocessingML: the <w:body> content as
one XML string, written directly rather than through python-docx's objects, whose calls for
each row, cell and run made writing a big report slower than computing it.

Every piece of text and every attribute value is escaped here; nothing a template produced is
copied into the XML unescaped, so user text can never become markup or a field code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
H2_FONT = "楷体_GB2312"
TITLE_FONT = "方正小标宋简体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = 16  # 三号
TABLE_SIZE = 10.5  # 五号
SMALL_SIZE = 12  # 小四
TITLE_SIZE = 22  # 二号
PAGE_WIDTH_CM, LEFT_MARGIN_CM, RIGHT_MARGIN_CM = 21.0, 2.8, 2.6
ALIGN = {"left": "left", "center": "center", "right": "right", "justify": "both"}
CELL_MARGIN_TWIPS = 57  # 0.1 cm: a three-character header fits a 1.3 cm column

_LAYOUT_BREAK = re.compile(r"[ \t\r]*\n[ \t\r\n]*")
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")
_BREAK_RUN = "<w:r><w:br/></w:r>"


class DocxMarkupError(Exception):
    """The template produced something that is not the document language."""


def text_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr_escape(text: str) -> str:
    return text_escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def pt_twips(points: float) -> int:
    """Points to twips as python-docx rounds them (through whole EMUs)."""
    return int(round(int(points * 12700) / 635))


def cm_twips(cm: float) -> int:
    return int(round(int(cm * 360000) / 635))


@dataclass(frozen=True)
class Fonts:
    body: str = BODY_FONT
    heading: str = HEADING_FONT
    h2: str = H2_FONT
    title: str = TITLE_FONT

    @classmethod
    def of(cls, root: ET.Element) -> "Fonts":
        return cls(root.get("body-font", BODY_FONT), root.get("heading-font", HEADING_FONT),
                   root.get("h2-font", H2_FONT), root.get("title-font", TITLE_FONT))


def fonts_xml(east_asia: str) -> str:
    """Latin text in Times New Roman, Chinese in `east_asia` (w:eastAsia is what Word and WPS read)."""
    latin = attr_escape(LATIN_FONT)
    return (f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:cs="{latin}" w:eastAsia="{attr_escape(east_asia)}"'
            ' w:hint="eastAsia"/>')


class BodyWriter:
    """Writes the blocks of a <document> as XML strings into `out`; run properties are built once
    per distinct style (a big table repeats a handful of them thousands of times)."""

    def __init__(self, fonts: Fonts):
        self.fonts = fonts
        self.out: list[str] = []
        self._rpr: dict[tuple, str] = {}

    def body(self, root: ET.Element) -> str:
        for element in root:
            self.block(element)
        return "".join(self.out)

    # --- blocks ---------------------------------------------------------------------------------
    def block(self, el: ET.Element) -> None:
        tag = el.tag
        out = self.out
        if tag == "title":
            out.append('<w:p><w:pPr><w:spacing w:after="240" w:line="720" w:lineRule="exact"/><w:jc w:val="center"/></w:pPr>')
            self.inline(el, font=self.fonts.title, size=TITLE_SIZE)
            out.append("</w:p>")
        elif tag == "subtitle":
            out.append('<w:p><w:pPr><w:spacing w:after="240"/><w:jc w:val="center"/></w:pPr>')
            self.inline(el, font=self.fonts.h2, size=BODY_SIZE)
            out.append("</w:p>")
        elif tag in ("h1", "h2", "h3"):
            level = int(tag[1])
            out.append(f'<w:p><w:pPr><w:keepNext/><w:spacing w:before="120" w:line="560" w:lineRule="exact"/>'
                       f'<w:ind w:firstLine="{pt_twips(BODY_SIZE * 2)}"/><w:outlineLvl w:val="{level - 1}"/></w:pPr>')
            font = {1: self.fonts.heading, 2: self.fonts.h2, 3: self.fonts.body}[level]
            self.inline(el, font=font, size=BODY_SIZE, bold=level == 3)
            out.append("</w:p>")
        elif tag == "p":
            small = el.get("size") == "small"
            size = SMALL_SIZE if small else BODY_SIZE
            ppr = f'<w:spacing w:line="{400 if small else 560}" w:lineRule="exact"/>'
            indent = el.get("indent", "2")
            if indent.isdigit() and int(indent):
                ppr += f'<w:ind w:firstLine="{pt_twips(size * int(indent))}"/>'
            ppr += f'<w:jc w:val="{ALIGN.get(el.get("align", "justify"), "both")}"/>'
            out.append(f"<w:p><w:pPr>{ppr}</w:pPr>")
            self.inline(el, size=size)
            out.append("</w:p>")
        elif tag == "table":
            self.table(el)
        elif tag == "pagebreak":
            out.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        else:
            raise DocxMarkupError(f"不认识的元素 <{tag}>")

    def table(self, el: ET.Element) -> None:
        rows = [r for r in el if r.tag == "tr"]
        if not rows:
            return
        ncols = max(sum(_int(td.get("colspan", "1"), "colspan") for td in r if td.tag in ("td", "th")) for r in rows)
        if ncols <= 0:  # no cell at all: nothing to draw (a row without cells is not valid Word)
            for td in (td for tr in rows for td in tr if td.tag not in ("td", "th")):
                raise DocxMarkupError(f"<tr> 中只能有 <td>，遇到 <{td.tag}>")
            return
        widths = [_float(w, "widths") for w in el.get("widths", "").split(",") if w.strip()]
        if len(widths) != ncols or sum(widths) <= 0 or any(w < 0 for w in widths):
            widths = [1.0] * ncols
        usable = PAGE_WIDTH_CM - LEFT_MARGIN_CM - RIGHT_MARGIN_CM
        cm = [usable * w / sum(widths) for w in widths]
        grid = [cm_twips(c) for c in cm]
        size = SMALL_SIZE if el.get("size") == "normal" else TABLE_SIZE
        out = self.out
        out.append(
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
            f'<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="{CELL_MARGIN_TWIPS}" w:type="dxa"/>'
            f'<w:right w:w="{CELL_MARGIN_TWIPS}" w:type="dxa"/></w:tblCellMar><w:tblLook w:firstColumn="1" w:firstRow="1"'
            ' w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
        )
        out.extend(f'<w:gridCol w:w="{w}"/>' for w in grid)
        out.append("</w:tblGrid>")
        for tr in rows:
            head = tr.get("head") == "1"
            out.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if head else "<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            col = 0
            for td in tr:
                if td.tag not in ("td", "th"):
                    raise DocxMarkupError(f"<tr> 中只能有 <td>，遇到 <{td.tag}>")
                span = max(1, _int(td.get("colspan", "1"), "colspan"))
                if col >= ncols:
                    break
                end = min(ncols, col + span)
                tcpr = f'<w:tcW w:type="dxa" w:w="{cm_twips(sum(cm[col:end]))}"/>'
                if end - col > 1:
                    tcpr += f'<w:gridSpan w:val="{end - col}"/>'
                fill = td.get("fill") or ("F2F2F2" if head else None)
                if fill and _HEX.match(fill):
                    tcpr += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill.upper()}"/>'
                out.append(f'<w:tc><w:tcPr>{tcpr}<w:vAlign w:val="center"/></w:tcPr>')
                self.cell(td, size - 1 if head else size, bold=head or td.tag == "th", align=td.get("align", "center" if head else "left"))
                out.append("</w:tc>")
                col += span
            for rest in range(col, ncols):  # columns no <td> reached stay empty cells
                out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{grid[rest]}"/></w:tcPr><w:p/></w:tc>')
            out.append("</w:tr>")
        out.append("</w:tbl>")

    def cell(self, td: ET.Element, size: float, bold: bool, align: str) -> None:
        paragraphs = [c for c in td if c.tag == "p"]
        for part in paragraphs or [td]:
            jc = ALIGN.get(part.get("align", align), "left")
            self.out.append(f'<w:p><w:pPr><w:spacing w:line="240" w:lineRule="auto"/><w:jc w:val="{jc}"/></w:pPr>')
            self.inline(part, size=size, bold=bold)
            self.out.append("</w:p>")

    # --- inline ---------------------------------------------------------------------------------
    def inline(self, el: ET.Element, *, font: str | None = None, size: float = BODY_SIZE, bold: bool = False,
               italic: bool = False, mark: bool = False, color: str | None = None) -> None:
        style = (font, size, bold, italic, mark, color)
        if el.text:
            self.text(el.text, style)
        for child in el:
            tag = child.tag
            if tag == "br":
                self.out.append(_BREAK_RUN)
            elif tag == "b":
                self.inline(child, font=font, size=size, bold=True, italic=italic, mark=mark, color=color)
            elif tag == "i":
                self.inline(child, font=font, size=size, bold=bold, italic=True, mark=mark, color=color)
            elif tag == "mark":
                self.inline(child, font=font, size=size, bold=True, italic=italic, mark=True, color=color)
            elif tag == "color":
                value = child.get("value", "")
                self.inline(child, font=font, size=size, bold=True, italic=italic, mark=mark, color=value if _HEX.match(value) else None)
            elif tag == "p" and el.tag in ("td", "th"):
                self.inline(child, font=font, size=size, bold=bold, italic=italic, mark=mark, color=color)
            else:
                raise DocxMarkupError(f"<{el.tag}> 中不能有 <{tag}>")
            if child.tail:
                self.text(child.tail, style)

    def text(self, text: str, style: tuple) -> None:
        """Template line breaks are layout and are dropped; a value's own (U+2028) become <w:br/>."""
        text = _LAYOUT_BREAK.sub("", text)
        if not text:
            return
        out = self.out
        for index, part in enumerate(text.split("\u2028")):
            if index:
                out.append(_BREAK_RUN)
            if part:
                self.run(part, style)

    def run(self, text: str, style: tuple) -> None:
        """One run of `text` as it is (escaped); `style` is run_properties' arguments."""
        rpr = self._rpr.get(style)
        if rpr is None:
            rpr = self._rpr[style] = self.run_properties(*style)
        self.out.append(f'<w:r>{rpr}<w:t xml:space="preserve">{text_escape(text)}</w:t></w:r>')

    def run_properties(self, font: str | None, size: float, bold: bool, italic: bool, mark: bool, color: str | None) -> str:
        """<w:rPr> with its children in schema order; the body font is the Normal style's."""
        parts = ["<w:rPr>"]
        if font and font != self.fonts.body:
            parts.append(fonts_xml(font))
        if bold:
            parts.append("<w:b/>")
        if italic:
            parts.append("<w:i/>")
        if color:
            parts.append(f'<w:color w:val="{color.upper()}"/>')
        half_points = int(round(size * 2))
        parts.append(f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>')
        if mark:
            parts.append('<w:highlight w:val="yellow"/>')
        parts.append("</w:rPr>")
        return "".join(parts)


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DocxMarkupError(f"{name}=\"{value}\" 不是整数") from None


def _float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise DocxMarkupError(f"{name} 中的“{value.strip()}”不是数字") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DocxMarkupError(f"{name} 中的“{value.strip()}”不是数字")
    return number
