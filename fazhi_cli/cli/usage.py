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
    name = getattr(param, "metavar", None) or getattr(param, "human_readable_name", None) or getattr(param, "name", "") or ""
    return "参数 " + (name if re.search(r"[^\x00-\x7f]", name) else str(name).upper())


# pydantic's messages for an option's value (typer checks values with pydantic), in Chinese.
_PYDANTIC = [
    (r"Input should be greater than or equal to (\S+?)\.?$", "应不小于 {0}"),
    (r"Input should be greater than (\S+?)\.?$", "应大于 {0}"),
    (r"Input should be less than or equal to (\S+?)\.?$", "应不大于 {0}"),
    (r"Input should be less than (\S+?)\.?$", "应小于 {0}"),
    (r"Input should be a valid (?:integer|number).*", "应为数字"),
    (r"Input should be a valid boolean.*", "应为 true 或 false"),
    (r"Input should be a valid date.*", "应为 YYYY-MM-DD 格式的日期"),
    (r"String should have at least (\d+) characters?", "至少 {0} 个字符"),
    (r"Value must be an iterable\.", "应可重复给出多个值"),
]


def _value_problem(detail: str) -> str:
    for pattern, chinese in _PYDANTIC:
        match = re.match(pattern, detail)
        if match:
            return chinese.format(*match.groups())
    return detail


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
        path = re.match(r"(?:File|Directory|Path) '?(.+?)'? (does not exist|is a file|is a directory|is not readable|is not writable)\.?$", detail)
        if path:
            what = {"does not exist": "不存在", "is a file": "是文件，应为目录", "is a directory": "是目录，应为文件",
                    "is not readable": "无法读取", "is not writable": "无法写入"}[path.group(2)]
            detail = f"“{path.group(1)}”{what}"
        return f"{_name(param)} 的值无效：{_value_problem(detail)}"
    if "BadOptionUsage" in kinds:
        option = getattr(exc, "option_name", "") or ""
        if re.search(r"requires (an argument|\d+ arguments)", message):
            return f"选项 {option} 后面缺少要填的值（如 {option} {_example_value(option)}）"
        if "does not take a value" in message:
            return f"选项 {option} 是开关，不带值：只写 {option}，不要写 {option}=…"
    match = re.match(r"Argument '(.+?)' takes (\d+) values", message)
    if match:
        return f"参数 {match.group(1)} 需要 {match.group(2)} 个值"
    if message.startswith("Missing command"):
        return "缺少命令（如 request、approve、refuse）"
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


_EXAMPLE_VALUES = {"--unit": "科区", "-u": "科区", "--lead": "市司法局", "--date": "2020-07-31", "--as-of": "2020-07-31",
                   "--due": "2020-07-31", "--new-due": "2020-09-30", "--format": "json", "-f": "json"}


def _example_value(option: str) -> str:
    return _EXAMPLE_VALUES.get(option, "…")


def hint(exc: BaseException) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "fazhi"
    return f"运行 `{path} -h` 查看用法和示例。"
