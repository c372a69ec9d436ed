"""Reports from Jinja templates: Markdown, self-contained HTML, and .docx (through docx_writer).

Templates are looked up in the workspace's templates/ first, then in the ones shipped inside
fazhi_cli/templates/ (`shipped/NAME` always reaches a shipped one, so an override can extend it).
Names: `{template}.{family}.j2`, family md | html | docx — e.g. completion.html.j2.

User text can never act as code: the environment is sandboxed, and every `{{ value }}` goes
through the family's escaper (HTML/XML escaping, or Markdown escaping) — a note holding
`<script>`, `|` or `{{` comes out as those characters. A value is not evaluated again, so `{{`
inside a note stays text.

Templates cannot escape, hang or run away:
- workspace templates are read by WorkspaceLoader (store/templatefiles.py): regular files only,
  never through a symlink (even one staying inside the workspace), never a FIFO, a device or a
  folder, at most MAX_TEMPLATE_BYTES, UTF-8; `..` never leaves templates/;
- a template including or extending itself (or a cycle a → b → a), or a macro calling itself
  without end, is a clean error naming the templates (RecursionError never reaches the user);
- the sandbox refuses to build a string, list or number larger than MAX_VALUE_SIZE (`*`, `+`,
  `**`, `%`, `~`, string methods and filters such as center, indent, join, replace, batch),
  `range` over more than MAX_RANGE numbers, and output over MAX_OUTPUT_CHARS characters; and a
  render still running after RENDER_SECONDS stops (where the platform has SIGALRM, i.e. not on
  Windows). Each stops with a Chinese message naming the template and line.
"""

from __future__ import annotations

import os

import functools
import re
import signal
import threading
import traceback
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateRuntimeError,
)
from jinja2.compiler import CodeGenerator
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from fazhi_cli.render.report_fields import ReportContext
from fazhi_cli.store.templatefiles import TemplateFileError, read_template, template_present
from fazhi_cli.render.text import clean_text, cn_date
from fazhi_cli.render.records import plain, to_json

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


# --- limits -------------------------------------------------------------------------------------

MAX_OUTPUT_CHARS = 20_000_000  # a report's text; the whole city's Word report is well under 1 MB
MAX_VALUE_SIZE = 20_000_000  # characters of one string, items of one list a template builds
MAX_RANGE = 100_000  # numbers in one range()
RANGE_BUDGET = 1_000_000  # numbers in all the ranges of one report together (nested loops)
MAX_INT_BITS = 10_000  # about 3000 decimal digits
MAX_SIZE_ARGUMENT = MAX_RANGE  # a width or count given to center, indent, ljust, batch …
RENDER_SECONDS = 20.0  # one report's rendering, template compilation included

_SEQUENCES = (str, bytes, list, tuple)
# printf widths (%1000000s, %.9999999f) and str.format widths ({:>1000000}) of 7 digits or more
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:\d{7,}|\d*\.\d{7,})|\{[^{}]*:[^{}]*\d{7,}[^{}]*\}")


class TemplateLimit(TemplateRuntimeError):
    """A template asked for more than the sandbox gives (a value, a range, the output, the time)."""


class TemplateRefused(TemplateError):
    """A workspace template file that may not be used (a symlink, FIFO, folder, too big, not UTF-8)."""

    def __init__(self, problem: TemplateFileError):
        super().__init__(problem.message)
        self.code = problem.code
        self.path = problem.path


def _too_big(what: str) -> TemplateLimit:
    return TemplateLimit(f"{what}过大（上限 {MAX_VALUE_SIZE} 个字符或项），已停止生成；请检查模板中的乘法、拼接或循环")


def _bounded(value):
    """`value` when it is within the limits, else TemplateLimit."""
    if isinstance(value, _SEQUENCES) and len(value) > MAX_VALUE_SIZE:
        raise _too_big("字符串或列表")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"数值过大（超过 {MAX_INT_BITS} 位二进制），已停止生成")
    return value


def _check_format(text, args=()) -> None:
    """A format string asks for no width or precision of 7 digits or more, literally or by `*`."""
    if not isinstance(text, str):
        return
    if _WIDE_FORMAT.search(text):
        raise TemplateLimit("格式字符串中的宽度或精度过大（不能超过 6 位数），已停止生成")
    if "*" in text:
        _check_sizes(args if isinstance(args, (tuple, list)) else (args,), {})


def _check_sizes(args, kwargs) -> None:
    """Numbers given as widths or counts stay below MAX_SIZE_ARGUMENT."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE_ARGUMENT:
            raise TemplateLimit(f"参数 {value} 过大（上限 {MAX_SIZE_ARGUMENT}），已停止生成")


def _check_join(separator, items) -> list:
    items = list(items)
    if len(items) > MAX_VALUE_SIZE:
        raise _too_big("列表")
    total = len(str(separator)) * max(len(items) - 1, 0) + sum(len(str(i)) for i in items)
    if total > MAX_VALUE_SIZE:
        raise _too_big("拼接结果")
    return items


def _check_replace(text, old, new, count=-1) -> None:
    text, old, new = str(text), str(old), str(new)
    times = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        times = min(times, count)
    if len(text) + times * max(len(new) - len(old), 0) > MAX_VALUE_SIZE:
        raise _too_big("替换结果")


def _bounded_range(env: "BoundedEnvironment"):
    def range_(*args: int) -> range:
        """range() of at most MAX_RANGE numbers, RANGE_BUDGET in one report."""
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateLimit(f"range 的范围过大（{len(numbers)} 个数，上限 {MAX_RANGE}），已停止生成")
        env.range_used += len(numbers)
        if env.range_used > RANGE_BUDGET:
            raise TemplateLimit(f"range 用得过多（一份报告中合计超过 {RANGE_BUDGET} 个数，多半是嵌套循环），已停止生成")
        return numbers

    return range_


# filters whose extra arguments are widths or counts that the result grows with
_SIZE_FILTERS = {"center", "indent", "batch", "slice"}
# str.format fields whose width comes from an argument: "{:>{}}".format(x, width)
_NESTED_FORMAT = re.compile(r"\{[^{}]*:[^{}]*\{")


def _bounded_filter(name: str, func):
    takes_first = getattr(func, "jinja_pass_arg", None) is not None  # context/environment first

    @functools.wraps(func)
    def run(*args, **kwargs):
        head, value, rest = (args[:1], args[1], args[2:]) if takes_first else ((), args[0], args[1:])
        if name in _SIZE_FILTERS:
            _check_sizes(rest, kwargs)
        elif name == "format":
            _check_format(value, rest)
        elif name == "join" and kwargs.get("attribute") is None and len(rest) < 2:
            value = _check_join(rest[0] if rest else kwargs.get("d", ""), value)
        elif name == "replace" and len(rest) >= 2:
            _check_replace(value, *rest[:3])
        return _bounded(func(*head, value, *rest, **kwargs))

    return run


class _BoundedGenerator(CodeGenerator):
    """Template code whose `~` (concatenation) results are size-checked like `+`."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.bounded(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with sizes bounded: no value, range or output beyond the limits above."""

    code_generator_class = _BoundedGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    range_used = 0

    @staticmethod
    def bounded(value):
        return _bounded(value)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and isinstance(times, int) and len(seq) * max(times, 0) > MAX_VALUE_SIZE:
                    raise _too_big("字符串或列表")
        elif operator == "+":
            if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES) and len(left) + len(right) > MAX_VALUE_SIZE:
                raise _too_big("字符串或列表")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                if right * abs(left).bit_length() > MAX_INT_BITS + 64:
                    raise TemplateLimit(f"乘方结果过大（超过 {MAX_INT_BITS} 位二进制），已停止生成")
        elif operator == "%":
            _check_format(left, right)
        return _bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - the sandbox's own signature
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # str.format comes wrapped
        if isinstance(owner, (str, bytes)):
            method = getattr(__obj, "__name__", "")
            if method in ("format", "format_map"):  # its arguments are values, not sizes …
                _check_format(owner)
                if isinstance(owner, str) and _NESTED_FORMAT.search(owner):  # … unless they are widths
                    _check_sizes(args, kwargs)
            else:
                if method == "join" and args:
                    args = (_check_join(owner, args[0]), *args[1:])
                elif method == "replace" and len(args) >= 2:
                    _check_replace(owner, *args[:3])
                _check_sizes(args, kwargs)
        return _bounded(super().call(__context, __obj, *args, **kwargs))


class WorkspaceLoader(BaseLoader):
    """The workspace's templates/ folder, read by store/templatefiles.py: a template that is not
    there falls through to the shipped ones; one that may not be used (a symlink — also one
    staying inside the workspace —, a FIFO, a device, a folder, too big, not UTF-8) stops the
    report (TemplateRefused) instead of being skipped or followed."""

    def __init__(self, root: Path):
        self.root = root

    def get_source(self, environment, template: str):
        pieces = split_template_path(template)  # `..` is TemplateNotFound
        if not pieces:
            raise TemplateNotFound(template)
        try:
            found = read_template(self.root, pieces)
        except TemplateFileError as exc:
            raise TemplateRefused(exc) from None
        if found is None:
            raise TemplateNotFound(template)
        text, shown = found
        return text, str(self.root / shown), lambda: True  # one environment per report: read once


# --- environment --------------------------------------------------------------------------------


def environment(family: str, workspace_templates: Path | None) -> BoundedEnvironment:
    """A sandboxed, bounded Jinja environment for one format family; strict about undefined names."""
    shipped = PackageLoader("fazhi_cli", "templates")
    loaders = []
    if workspace_templates is not None:
        loaders.append(WorkspaceLoader(workspace_templates.parent))
    loaders += [shipped, PrefixLoader({"shipped": shipped})]
    env = BoundedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        finalize=_finalizer(ESCAPERS[family]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters = {name: _bounded_filter(name, func) for name, func in env.filters.items()}
    env.globals["range"] = _bounded_range(env)
    env.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs
    return env


def template_name(kind: str, family: str) -> str:
    return f"{kind}.{family}.j2"


def template_origin(kind: str, fmt: str, workspace_templates: Path | None) -> str | None:
    """The workspace file overriding the shipped template for this report and format, if any."""
    family = FAMILY_OF.get(fmt)
    if family is None or workspace_templates is None:
        return None
    path = workspace_templates / template_name(kind, family)
    return path.as_posix() if template_present(workspace_templates.parent, path.name) else None


_ENVIRONMENTS: dict[tuple, BoundedEnvironment] = {}


def _templates_state(folder: Path | None) -> tuple:
    """What the workspace's templates/ holds, entry by entry (name, file kind, size, and the bytes'
    hash of each regular file): a compiled template is reused only while this is unchanged."""
    import hashlib
    import stat as stat_module

    if folder is None:
        return ()
    out = []
    try:
        for top, dirs, files in os.walk(folder):  # symlinked folders are not entered
            dirs.sort()
            for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(top, d))]):
                path = os.path.join(top, name)
                info = os.lstat(path)
                digest = ""
                if stat_module.S_ISREG(info.st_mode) and info.st_size <= 4 * 1024 * 1024:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                out.append((os.path.relpath(path, folder), info.st_mode, info.st_size, digest))
    except OSError:
        return (object(),)  # unreadable: never reused
    return tuple(out)


def cached_environment(family: str, workspace_templates: Path | None) -> BoundedEnvironment:
    """The environment of `environment()`, kept while the workspace's templates are unchanged (a
    server or a test making many reports compiles each template once)."""
    key = (family, str(workspace_templates), _templates_state(workspace_templates))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        if len(_ENVIRONMENTS) >= 16:
            _ENVIRONMENTS.clear()
        env = _ENVIRONMENTS[key] = environment(family, workspace_templates)
    env.range_used = 0  # the range budget is per report
    return env


def render_text(context: ReportContext, family: str, workspace_templates: Path | None) -> str:
    """Render the report's template of this family to text, within the limits above."""
    env = cached_environment(family, workspace_templates)
    name = template_name(context.meta.kind, family)
    try:
        with _deadline(RENDER_SECONDS):
            template = env.get_template(name)
            return _collect(template.generate(**_top_level(context)))
    except TemplateRefused as exc:
        raise RenderError(_describe(exc, name) if _template_frames(exc) else f"不能使用工作区模板：{exc.message}") from None
    except RecursionError as exc:
        raise RenderError(_describe_recursion(exc, name)) from None
    except MemoryError:
        raise RenderError(f"模板 {name} 生成时内存不足，已停止；请检查模板中的循环和拼接") from None
    except TemplateError as exc:
        raise RenderError(_describe(exc, name)) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError) as exc:
        raise RenderError(_describe(exc, name)) from None


def _collect(chunks) -> str:
    """The rendered text, stopping once it passes MAX_OUTPUT_CHARS."""
    out, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise TemplateLimit(f"生成的内容过长（超过 {MAX_OUTPUT_CHARS} 个字符），已停止生成；请检查模板中的循环")
        out.append(chunk)
    return "".join(out)


class _deadline:
    """TemplateLimit once `seconds` have passed (SIGALRM, main thread only; elsewhere no limit).
    An alarm already set by someone else is left alone."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        if (
            hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        ):
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def _expired(self, signum, frame):
        raise TemplateLimit(f"模板运行超过 {self.seconds:g} 秒，已停止生成；请检查模板中的循环")

    def __exit__(self, *exc_info):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def render_report(context: ReportContext, fmt: str, workspace_templates: Path | None) -> bytes:
    """The report as bytes in `fmt` (md, html, docx, or json: the template context itself)."""
    if fmt == "json":
        return to_json(plain(context), compact=True).encode("utf-8")
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


def _template_frames(exc: BaseException) -> list[tuple[str, int]]:
    """(template file, line) of each template frame in the traceback, outermost first; read from
    the frames themselves (no source line is looked up, so no file is opened)."""
    out = []
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.endswith(".j2"):
            out.append((filename, lineno))
    return out


def _shown(filename: str) -> str:
    return Path(filename).name if Path(filename).is_absolute() else filename


def _describe(exc: Exception, name: str) -> str:
    """Where a template failed: its file and line, from Jinja's rewritten traceback."""
    where = name
    lineno = getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None) or getattr(exc, "name", None)
    if lineno is None:
        frames = _template_frames(exc)
        if frames:
            filename, lineno = frames[-1]
    if filename:
        where = _shown(str(filename))
    if lineno:
        where += f" 第{lineno}行"
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, OverflowError):
        message = "数值过大，超出范围"
    if type(exc).__name__ == "TemplateNotFound":
        return f"找不到模板 {message}（工作区 templates/ 和内置模板中都没有）"
    return f"模板 {where} 出错：{message}"


def _describe_recursion(exc: RecursionError, name: str) -> str:
    """A template including or extending itself, a cycle a → b → a, or a macro without end."""
    chain: list[str] = []
    for filename, lineno in _template_frames(exc):
        shown = f"{_shown(filename)} 第{lineno}行"
        if shown in chain:
            break
        chain.append(shown)
    where = " → ".join(chain) if chain else name
    return (
        f"模板 {where} 出错：模板嵌套过深——包含（include）或继承（extends）了自身、相互包含、"
        "宏无限调用自身，或表达式嵌套层数过多；请检查这些模板"
    )
