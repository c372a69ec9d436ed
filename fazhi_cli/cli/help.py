"""Help pages in Chinese: headings, placeholders, click's fixed phrases, one example per line.

Only public hooks are used: a command group class (`typer.Typer(cls=...)`), each command's
`context_class` (whose `formatter_class` writes the help), and each parameter's `metavar`.
Typer builds its click commands afresh on every run; `ChineseGroup` localizes the whole tree
when it is built (and again for any command it hands out, should commands be loaded lazily).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import typer
from typer.core import TyperGroup

HEADINGS = {"Usage": "用法", "Options": "选项", "Arguments": "参数", "Commands": "命令"}

# Placeholders by parameter name (`--unit 单位`); a parameter given its own `metavar=` keeps it.
METAVARS = {
    "unit": "单位",
    "lead": "单位",
    "task": "任务序号",
    "date": "日期",
    "as_of": "日期",
    "due": "日期",
    "new_due": "日期",
    "since": "日期或版本",
    "root": "目录",
    "output": "文件",
    "path": "文件",
    "install": "目录",
    "evidence": "材料",
    "by": "姓名",
    "leader": "姓名",
    "owner": "姓名",
    "measures": "措施",
    "note": "说明",
    "reason": "理由",
    "target": "目标",
    "value": "数值",
    "rev": "版本",
    "revisions": "版本范围",
    "submission": "报送编号",
    "user": "账号",
    "backfill_days": "天数",
}
# Fallback by type, for a parameter added later without a name above.
TYPE_METAVARS = {"str": "文本", "int": "整数", "float": "数字", "Path": "路径", "bool": "是或否"}

# click's and typer's fixed phrases in a help page.
PHRASES = {
    "Show this message and exit.": "显示本帮助并退出",
    "Show the version and exit.": "显示版本并退出",
    "Install completion for the current shell.": "为当前使用的命令行（bash、zsh、PowerShell 等）安装 Tab 自动补全",
    "Show completion for the current shell, to copy it or customize the installation.": "显示当前命令行的自动补全脚本，可复制后自行安装",
    "Install completion for the specified shell.": "为指定的命令行安装 Tab 自动补全",
    "Show completion for the specified shell, to copy it or customize the installation.": "显示指定命令行的自动补全脚本，可复制后自行安装",
}


def _extra(piece: str) -> str:
    """One part of typer's `[default: x; required]` suffix."""
    if piece == "required":
        return "必填"
    if piece.startswith("default: "):
        return "默认：" + piece.removeprefix("default: ")
    if piece.startswith("env var: "):
        return "环境变量：" + piece.removeprefix("env var: ")
    bounds = re.fullmatch(r"(?:(\S+)<=)?x(?:(<=|>=)(\S+))?", piece)
    if bounds and (bounds.group(1) or bounds.group(2)):
        low, sign, other = bounds.groups()
        if sign == ">=":
            return f"不小于 {other}"
        if low and sign == "<=":
            return f"{low} 到 {other}"
        if sign == "<=":
            return f"不大于 {other}"
        return f"不小于 {low}"
    return piece


def chinese_help_text(text: str) -> str:
    """A help record's text with click's phrases and the `[…]` suffix in Chinese."""
    text = PHRASES.get(text, text)
    match = re.search(r"\[([^\[\]]*)\]$", text)
    if match:
        pieces = [_extra(p) for p in match.group(1).split("; ")]
        text = text[: match.start()] + "［" + "；".join(pieces) + "］"
    return text


def _is_example(line: str) -> bool:
    return line.lstrip().startswith(("示例", "fazhi ", "$ "))


class ChineseHelpFormatter(typer.Context.formatter_class):  # click's HelpFormatter
    """Chinese headings and usage prefix; example lines never run together."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = re.sub(r"\{([^{}|]+)\}", r"\1", args)  # typer writes a required argument as {task}
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        """Paragraphs wrapped by display width (a Chinese character takes two columns); a
        paragraph with examples, or marked with click's "\\b", is kept line by line."""
        indent = " " * self.current_indent
        for number, paragraph in enumerate(re.split(r"\n[ \t]*\n", text.strip("\n"))):
            if number:
                self.write("\n")
            lines = paragraph.split("\n")
            if lines[0].strip() == "\b" or any(_is_example(line) for line in lines):
                for line in lines:
                    if line.strip() != "\b":
                        self.write(f"{indent}{line}".rstrip() + "\n")
                continue
            inner = " " * (len(lines[0]) - len(lines[0].lstrip()))
            joined = ""
            for line in (line.strip() for line in lines):
                cjk_join = joined and (not joined[-1].isascii() or not line[:1].isascii())
                joined += line if not joined or cjk_join else " " + line
            for line in wrap(joined, max(self.width - len(indent) - len(inner), 20)):
                self.write(f"{indent}{inner}{line}\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        """Options and commands as two columns, aligned by display width (a Chinese character
        takes two columns), click's phrases in Chinese, no type after an argument's name."""
        rows = [(_argument_name(first), chinese_help_text(second)) for first, second in rows]
        if not rows:
            return
        first_col = min(max(width(first) for first, _ in rows), col_max) + col_spacing
        indent = " " * self.current_indent
        text_width = max(self.width - first_col - self.current_indent, 20)
        for first, second in rows:
            self.write(f"{indent}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


def width(text: str) -> int:
    """Columns a text takes in a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NO_LINE_START = set("、，。；：！？）」』”’》〕］")  # punctuation never starts a line
_NO_LINE_END = set("（「『“‘《〔［")  # … and an opening bracket never ends one


def wrap(text: str, columns: int) -> list[str]:
    """Break a text into lines of at most `columns` display columns: between any two Chinese
    characters, between words elsewhere (an over-long word gets a line of its own); a
    ［默认：…］ note stays whole."""
    tokens = re.findall(r"［[^［］]*］|[\x00-\x7f]+?(?= |$|[^\x00-\x7f])| |[^\x00-\x7f]", text)
    lines, line = [], ""
    for token in tokens:
        if line and width(line + token) > columns and token not in _NO_LINE_START:
            carried = ""
            while line and line[-1] in _NO_LINE_END:  # an opening bracket goes with what it opens
                line, carried = line[:-1], line[-1] + carried
            lines.append(line.rstrip())
            line = carried + token.lstrip()
        else:
            line += token
    lines.append(line.rstrip())
    return [each for each in lines if each] or [""]


def _argument_name(first: str) -> str:
    """An argument's row shows its placeholder only (typer adds a type such as <str>)."""
    if first.startswith("-"):
        return first
    return re.sub(r" <[^<>|]*>$", "", first)


class ChineseContext(typer.Context):
    formatter_class = ChineseHelpFormatter


def _type_name(param: Any) -> str:
    desc = getattr(param, "type_descriptor", None)
    annotation = getattr(desc, "annotation", None)
    return getattr(annotation, "__name__", "") if isinstance(annotation, type) else ""


def localize(command: Any) -> Any:
    """Give a command (and its subcommands) Chinese help: context, metavars, usage pieces."""
    command.context_class = ChineseContext
    if getattr(command, "rich_markup_mode", None) is not None:
        command.rich_markup_mode = None  # click-style help, written by ChineseHelpFormatter
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = "[选项]"
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = "命令 [参数]..."
    for param in command.params:
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        desc = getattr(param, "type_descriptor", None)
        if desc is not None and getattr(desc, "is_choice", False):
            continue  # table|json|csv: the choices themselves are the clearest placeholder
        param.metavar = METAVARS.get(param.name or "") or TYPE_METAVARS.get(_type_name(param), "值")
    for sub in getattr(command, "commands", {}).values():
        localize(sub)
    return command


class ChineseGroup(TyperGroup):
    """The `fazhi` group: every command under it gets Chinese help (see `localize`)."""

    context_class = ChineseContext

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        localize(self)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        return localize(command) if command is not None and command.context_class is not ChineseContext else command
