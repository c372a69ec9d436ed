"""Reports from Jinja templates: Markdown, self-contained HTML, and .docx (through docx_writer).

Templates are looked up in the workspace's templates/ first, then in the ones shipped inside
fazhi_cli/templates/ (`shipped/NAME` always reaches a shipped one, so an override can extend it).
Names: `{template}.{family}.j2`, family md | html | docx — e.g. completion.html.j2.

User text can never act as code: the environment is sandboxed, and every `{{ value }}` goes
through the family's escaper (HTML/XML escaping, or Markdown escaping) — a note holding
`<script>`, `|` or `{{` comes out as those characters. A value is not evaluated again, so `{{`
inside a note stays text.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from fazhi_cli.render.report_fields import ReportContext
from fazhi_cli.render.text import clean_text, cn_date
from fazhi_cli.render.records import to_json

FORMATS = ("md", "html", "docx", "json")
FAMILY_OF = {"md": "md", "html": "html", "docx": "docx"}
EXTENSIONS = {"md": ".md", "html": ".html", "docx": ".docx", "json": ".json"}


class RenderError(Exception):
    """A template could not be found or failed; the message names the template file and line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- escaping, one per family ---------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=#]|\d+(?=[.)](?:\s|$)))")


def md_escape(value: object) -> str:
    """Markdown-safe text: markup characters backslash-escaped (`|` keeps tables whole, `<` keeps
    HTML out), a leading `#`, `-`, `+`, `=` or `1.` escaped, newlines as <br>."""
    text = clean_text(value)
    lines = []
    for line in text.split("\n"):
        line = _MD_SPECIAL.sub(r"\\\1", line)
        line = _MD_LINE_START.sub(_md_marker, line)
        lines.append(line)
    return "<br>".join(lines)


def _md_marker(m: re.Match) -> str:
    """`- x` → `\\- x`; `1. x` → `1\\. x` (the list marker is the punctuation after the digits)."""
    lead, marker = m.group(1), m.group(2)
    if marker[0].isdigit():
        return lead + marker + "\\"
    return lead + "\\" + marker


def html_escape(value: object) -> Markup:
    """HTML-escaped text; newlines become <br>."""
    return Markup("<br>").join(escape(line) for line in clean_text(value).split("\n"))


def xml_escape(value: object) -> Markup:
    """XML-escaped text for the docx template language; newlines become U+2028, which docx_writer
    turns into line breaks (template line breaks are layout and are dropped)."""
    return Markup(str(escape(clean_text(value))).replace("\n", "\u2028"))


def _finalizer(escaper):
    def finalize(value):
        if value is None:
            return Markup("")
        if isinstance(value, Markup):
            return value
        if isinstance(value, bool):
            value = "是" if value else "否"
        return Markup(escaper(value))

    return finalize


ESCAPERS = {"md": md_escape, "html": html_escape, "docx": xml_escape}


# --- environment --------------------------------------------------------------------------------


def environment(family: str, workspace_templates: Path | None) -> ImmutableSandboxedEnvironment:
    """A sandboxed Jinja environment for one format family; strict about undefined names."""
    shipped = PackageLoader("fazhi_cli", "templates")
    loaders = []
    if workspace_templates is not None and workspace_templates.is_dir():
        loaders.append(FileSystemLoader(str(workspace_templates)))
    loaders += [shipped, PrefixLoader({"shipped": shipped})]
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        finalize=_finalizer(ESCAPERS[family]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn_date"] = cn_date
    return env


def template_name(kind: str, family: str) -> str:
    return f"{kind}.{family}.j2"


def template_origin(kind: str, fmt: str, workspace_templates: Path | None) -> str | None:
    """The workspace file overriding the shipped template for this report and format, if any."""
    family = FAMILY_OF.get(fmt)
    if family is None or workspace_templates is None:
        return None
    path = workspace_templates / template_name(kind, family)
    return path.as_posix() if path.is_file() else None


def render_text(context: ReportContext, family: str, workspace_templates: Path | None) -> str:
    """Render the report's template of this family to text."""
    env = environment(family, workspace_templates)
    name = template_name(context.meta.kind, family)
    try:
        template = env.get_template(name)
        return template.render(**_top_level(context))
    except TemplateError as exc:
        raise RenderError(_describe(exc, name)) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise RenderError(_describe(exc, name)) from None


def render_report(context: ReportContext, fmt: str, workspace_templates: Path | None) -> bytes:
    """The report as bytes in `fmt` (md, html, docx, or json: the template context itself)."""
    if fmt == "json":
        return to_json(context.as_dict()).encode("utf-8")
    text = render_text(context, FAMILY_OF[fmt], workspace_templates)
    if fmt == "docx":
        from fazhi_cli.render.docx_writer import DocxMarkupError, build_docx

        try:
            return build_docx(text)
        except DocxMarkupError as exc:
            raise RenderError(f"模板 {template_name(context.meta.kind, 'docx')} 生成的文档结构有误：{exc}") from None
    return text.encode("utf-8")


def _top_level(context: ReportContext) -> dict:
    return {name: getattr(context, name) for name in context.__dataclass_fields__}


def _describe(exc: Exception, name: str) -> str:
    """Where a template failed: its file and line, from Jinja's rewritten traceback."""
    where = name
    lineno = getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None) or getattr(exc, "name", None)
    if lineno is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                filename, lineno = frame.filename, frame.lineno
                break
    if filename:
        where = Path(str(filename)).name if Path(str(filename)).is_absolute() else str(filename)
    if lineno:
        where += f" 第{lineno}行"
    message = getattr(exc, "message", None) or str(exc)
    if type(exc).__name__ == "TemplateNotFound":
        return f"找不到模板 {message}（工作区 templates/ 和内置模板中都没有）"
    return f"模板 {where} 出错：{message}"
