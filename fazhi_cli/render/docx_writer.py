"""A small document language rendered to .docx: real Word tables, A4 pages, Chinese fonts (East
Asian font set through w:eastAsia), a footer with page numbers.

The docx templates (`*.docx.j2`) produce this XML; every value in them is escaped, and text is
written as escaped text (docx_body), so nothing a unit typed can become markup or a field code.

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

python-docx builds only the package around the body (styles, settings, page setup, footer,
properties); the body itself is written as XML by docx_body and put into word/document.xml.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from fazhi_cli.render.docx_body import BODY_SIZE, LATIN_FONT, BodyWriter, DocxMarkupError, Fonts, text_escape
from fazhi_cli.render.package import fixed_zip
from fazhi_cli.render.text import clean_text

__all__ = ["DocxMarkupError", "build_docx"]

_BODY_OPEN = b"<w:body>"


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
    fonts = Fonts.of(root)
    body = BodyWriter(fonts).body(root)
    skeleton = _skeleton(root, fonts)
    return _with_body(skeleton, body.encode("utf-8"))


def _skeleton(root: ET.Element, fonts: Fonts) -> bytes:
    """The package with an empty body: A4 (GB/T 9704 公文 margins), the Normal style in the body
    font, Chinese theme language, properties, and the footer 第 N 页 / 共 M 页."""
    doc = Document()
    props = doc.core_properties
    props.title = root.get("title", "")
    props.author = "fazhi"
    props.last_modified_by = "fazhi"
    props.comments = root.get("footer", "")
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE)
    _set_fonts(normal.element.get_or_add_rPr(), fonts.body)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    _chinese_theme_language(doc)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    for name in ("Footer", "Header"):
        _set_fonts(doc.styles[name].element.get_or_add_rPr(), fonts.body)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    writer = BodyWriter(fonts)
    small = (None, 9, False, False, False, None)
    text = root.get("footer", "")
    if text:
        writer.run(text + "    ", small)
    writer.run("第 ", small)
    writer.out.append(_field("PAGE", 9))
    writer.run(" 页 / 共 ", small)
    writer.out.append(_field("NUMPAGES", 9))
    writer.run(" 页", small)
    for child in parse_xml(f"<w:p {nsdecls('w')}>{''.join(writer.out)}</w:p>"):
        footer._p.append(child)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _with_body(package: bytes, body: bytes) -> bytes:
    """The package with `body` put at the start of <w:body> (before the section properties, the
    only thing the skeleton's body holds), every member dated the same fixed time."""
    import zipfile

    document = zipfile.ZipFile(io.BytesIO(package)).read("word/document.xml")
    at = document.index(_BODY_OPEN) + len(_BODY_OPEN)
    return fixed_zip(package, {"word/document.xml": document[:at] + body + document[at:]})


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
    """A style's fonts: Latin in Times New Roman, Chinese in `east_asia`."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for name in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{name}"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _field(instruction: str, size: float) -> str:
    """A simple field (PAGE, NUMPAGES) — written here, never from user text."""
    return (f'<w:fldSimple w:instr="{text_escape(instruction)}"><w:r><w:rPr><w:sz w:val="{int(size * 2)}"/></w:rPr>'
            "<w:t>1</w:t></w:r></w:fldSimple>")
