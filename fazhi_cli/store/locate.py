"""Map pydantic validation errors to located, Chinese `Problem`s.

An unknown key points at the key, a missing field at the mapping that lacks it, anything else
at the offending value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from fazhi_cli.problems import Problem, error
from fazhi_cli.store.yamlread import Parsed

_TYPE_MESSAGES = {
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（每项以“- ”开头）",
    "dict_type": "应为映射（“键: 值”的形式）",
    "model_type": "应为映射（“键: 值”的形式）",
    "model_attributes_type": "应为映射（“键: 值”的形式）",
    "string_too_short": "不能为空",
    "too_short": "项数不足",
    "none_required": "应为空",
}

_DATE_TYPES = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}


def _walk(parsed: Parsed, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Follow `loc` through the data; return the data path and whether it points at a key."""
    node = parsed.data
    path: tuple[Any, ...] = ()
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            break
        if isinstance(node, dict):
            key = _coerce_key(node, part)
            if key is not None:
                path += (key,)
                node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path += (part,)
            node = node[part]
        # anything else is a union member name or similar: not part of the data path
    return path, is_key


def _coerce_key(node: dict, part: Any) -> Any:
    if part in node:
        return part
    for key in node:
        if str(key) == str(part):
            return key
    return None


def _describe(path: tuple[Any, ...]) -> str:
    shown = []
    for part in path:
        shown.append(f"[{part + 1}]" if isinstance(part, int) and shown else str(part))
    return ".".join(shown).replace(".[", "[") or "文件"


def problems_from_validation(exc: ValidationError, parsed: Parsed, path: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = tuple(err["loc"])
        data_path, is_key = _walk(parsed, loc)
        if kind == "missing":
            pos = parsed.position(data_path)
            problems.append(_at(path, pos, "E101", f"{_describe(data_path)} 缺少必填字段“{loc[-1]}”"))
            continue
        if kind == "extra_forbidden":
            pos = parsed.position(data_path, key=True)
            problems.append(
                _at(path, pos, "E102", f"未知字段“{data_path[-1] if data_path else loc[-1]}”（是否拼写错误？）；请对照格式说明修改或删除")
            )
            continue
        pos = parsed.position(data_path, key=is_key)
        where = _describe(data_path)
        if kind in _DATE_TYPES:
            value = err.get("input")
            problems.append(
                _at(path, pos, "E104", f"{where}：日期“{value}”无效，应为 YYYY-MM-DD 格式的真实日期（如 2020-07-31）")
            )
            continue
        problems.append(_at(path, pos, "E103", f"{where}：{_message(err)}"))
    return problems


def _message(err: dict) -> str:
    kind = err["type"]
    if kind in _TYPE_MESSAGES:
        text = _TYPE_MESSAGES[kind]
        if kind in ("string_type", "int_type", "float_type", "list_type", "dict_type", "model_type"):
            text += f"，实际是“{_short(err.get('input'))}”"
        return text
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"取值“{_short(err.get('input'))}”无效，应为 {expected}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(err.get("ctx", {}).values()), "")
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        return f"取值“{_short(err.get('input'))}”超出范围，应 {sign} {bound}"
    if kind == "string_pattern_mismatch":
        return f"格式不对：“{_short(err.get('input'))}”"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return str(err.get("msg", kind))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _at(path: str, pos: tuple[int, int] | None, code: str, message: str) -> Problem:
    line, col = pos if pos else (None, None)
    return error(path, line, col, code, message)


def validate(model: type[BaseModel], parsed: Parsed, path: str) -> tuple[BaseModel | None, list[Problem]]:
    """Validate parsed data against `model`, returning the instance or located problems."""
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, parsed, path)
