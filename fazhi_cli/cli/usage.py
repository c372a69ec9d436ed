"""Command-line usage errors (missing option, unknown command …) told in Chinese, not in English.

Typer raises click's usage errors (vendored in recent typer releases), so they are recognised by
their class names and attributes rather than by importing click.
"""

from __future__ import annotations

import difflib
import re
from typing import Any


def _kinds(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_usage_error(exc: BaseException) -> bool:
    return "UsageError" in _kinds(exc)


def is_help_request(exc: BaseException) -> bool:
    """`fazhi` or a command group run with no arguments: show its help."""
    return "NoArgsIsHelpError" in _kinds(exc)


def _name(param: Any) -> str:
    if param is None:
        return "参数"
    opts = getattr(param, "opts", None)
    if opts and getattr(param, "param_type_name", "") == "option":
        return "选项 " + " / ".join(opts)
    name = getattr(param, "human_readable_name", None) or getattr(param, "name", "") or ""
    return "参数 " + str(name).upper()


def explain(exc: BaseException) -> str:
    """One Chinese sentence for a usage error."""
    kinds = _kinds(exc)
    message = str(getattr(exc, "message", "") or "")
    if "MissingParameter" in kinds:
        return f"缺少{_name(getattr(exc, 'param', None))}"
    if "NoSuchOption" in kinds:
        text = f"没有选项 {getattr(exc, 'option_name', '')}"
        possibilities = getattr(exc, "possibilities", None)
        if possibilities:
            text += f"；是否是：{'、'.join(sorted(possibilities))}？"
        return text
    if "BadParameter" in kinds:
        param = getattr(exc, "param", None)
        choices = getattr(getattr(param, "type", None), "choices", None)
        if choices:
            return f"{_name(param)} 的值无效，应为以下之一：{'、'.join(map(str, choices))}"
        detail = re.sub(r"^Value error, ", "", message)
        one_of = re.match(r"'(.*)' is not one of (.+?)\.?$", detail)
        if one_of:
            options = "、".join(o.strip().strip("'") for o in one_of.group(2).split(","))
            return f"{_name(param)} 的值“{one_of.group(1)}”无效，应为以下之一：{options}"
        if re.search(r"valid (float|integer|number)|parse string as a number", detail):
            detail = "应为数字"
        return f"{_name(param)} 的值无效：{detail}"
    match = re.match(r"No such command '(.+?)'", message)
    if match:
        wrong = match.group(1)
        text = f"没有命令“{wrong}”"
        ctx = getattr(exc, "ctx", None)
        command = getattr(ctx, "command", None)
        if command is not None and hasattr(command, "list_commands"):
            close = difflib.get_close_matches(wrong, command.list_commands(ctx), n=3)
            if close:
                text += f"；是否是：{'、'.join(close)}？"
        return text
    match = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.+)\)", message)
    if match:
        return f"多余的参数：{match.group(1)}（含空格的内容请用引号括起来）"
    return message or type(exc).__name__


def hint(exc: BaseException) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "fazhi"
    return f"运行 `{path} -h` 查看用法和示例。"
