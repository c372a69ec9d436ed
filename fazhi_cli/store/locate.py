"""Map pydantic validation errors to located, Chinese `Problem`s.

An unknown key points at the key, a missing field at the mapping that lacks it, anything else
at the offending value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from fazhi_cli.problems import Problem, error
from fazhi_cli.store.yamlread import Parsed, shorten

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
    "invalid_key": "键应为文本",
}

_DATE_TYPES = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}


def _walk(parsed: Parsed, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Follow `loc` through the data; return the data path and whether it points at a key."""
    path, is_key, _ = _follow(parsed.data, loc)
    return path, is_key


def _follow(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool, int | None]:
    """`_walk`, plus the index in `loc` of the first part that is not in the data (or None)."""
    node = data
    path: tuple[Any, ...] = ()
    is_key = False
    skipped: int | None = None
    for index, part in enumerate(loc):
        if part == "[key]":
            is_key = True
            break
        if isinstance(node, dict):
            key = _coerce_key(node, part)
            if key is not _NOT_FOUND:
                path += (key,)
                node = node[key]
                continue
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path += (part,)
            node = node[part]
            continue
        # anything else is a union member name or a missing field: not part of the data path
        if skipped is None:
            skipped = index
    return path, is_key, skipped


# Errors saying "this is not a <type> at all"; in a union (`EvidenceFile | str`) the branches
# that fail this way are noise when another branch matched the type and failed deeper.
_MISMATCH_KINDS = {
    "string_type", "int_type", "int_parsing", "float_type", "float_parsing", "bool_type", "bool_parsing",
    "list_type", "dict_type", "model_type", "model_attributes_type", "date_type", "date_parsing",
}


def _prune_unions(errors: list[dict], data: Any) -> list[dict]:
    """Keep, for each union value, only the branches that fit its type; merge them if none does."""
    branches: dict[tuple, dict[Any, list[dict]]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        _, _, skipped = _follow(data, loc)
        tagged = skipped is not None and not (err["type"] == "missing" and skipped == len(loc) - 1)
        if tagged:
            err["_union"] = (loc[:skipped], loc[skipped])
            branches.setdefault(loc[:skipped], {}).setdefault(loc[skipped], []).append(err)
    out: list[dict] = []
    merged: set[tuple] = set()
    for err in errors:
        if "_union" not in err:
            out.append(err)
            continue
        prefix, tag = err.pop("_union")
        groups = branches[prefix]
        mismatched = {
            t for t, errs in groups.items()
            if all(e["type"] in _MISMATCH_KINDS and len(e["loc"]) == len(prefix) + 1 for e in errs)
        }
        if len(groups) < 2:
            out.append(err)
        elif len(mismatched) < len(groups):
            if tag not in mismatched:
                out.append(err)
        elif prefix not in merged:
            merged.add(prefix)
            kinds = [errs[0]["type"] for errs in groups.values()]
            out.append({"type": "union_type", "loc": prefix, "input": err.get("input"), "ctx": {"kinds": kinds}})
    return out


_NOT_FOUND = object()


def _coerce_key(node: dict, part: Any) -> Any:
    """The dict key pydantic means by `part` (it shows keys as text: 7 becomes "7", None "None")."""
    if part in node:
        return part
    for key in node:
        if str(key) == str(part):
            return key
    return _NOT_FOUND


def _describe(data: Any, path: tuple[Any, ...]) -> str:
    """`tasks[3].lead[2]` for list items (1-based, as people count), `tasks.7.log[1]` for keys."""
    shown = ""
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            shown += f"[{part + 1}]"
        else:
            shown += f".{_short(part)}" if shown else _short(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return shown or "文件"


# A file that is wrong everywhere (say a list of 20,000 unknown keys) would print every one of
# them; past this many the rest are summed up in the last problem.
MAX_PROBLEMS_PER_FILE = 100


def problems_from_validation(exc: ValidationError, parsed: Parsed, path: str) -> list[Problem]:
    errors = _prune_unions(exc.errors(include_url=False), parsed.data)
    problems = _problems_from_errors(errors[:MAX_PROBLEMS_PER_FILE], parsed, path)  # one problem per error
    if len(errors) > MAX_PROBLEMS_PER_FILE:
        last = problems[-1]
        hidden = len(errors) - MAX_PROBLEMS_PER_FILE
        summary = f"{last.message}（此文件另有 {hidden} 个数据问题未列出，请先改正以上问题）"
        problems[-1] = error(path, last.line, last.column, last.code, summary)
    return problems


def _problems_from_errors(errors: list, parsed: Parsed, path: str) -> list[Problem]:
    problems = []
    for err in errors:
        kind = err["type"]
        loc = tuple(err["loc"])
        data_path, is_key = _walk(parsed, loc)
        if kind == "missing":
            pos = parsed.position(data_path)
            problems.append(_at(path, pos, "E101", f"{_describe(parsed.data, data_path)} 缺少必填字段“{loc[-1]}”"))
            continue
        if kind == "extra_forbidden":
            pos = parsed.position(data_path, key=True)
            key = data_path[-1] if data_path else loc[-1]
            problems.append(_at(path, pos, "E102", _unknown_key(key)))
            continue
        pos = parsed.position(data_path, key=is_key or kind == "invalid_key")
        where = _describe(parsed.data, data_path)
        if kind in _DATE_TYPES:
            value = err.get("input")
            problems.append(
                _at(path, pos, "E104", f"{where}：日期“{_short(value)}”无效，应为 YYYY-MM-DD 格式的真实日期（如 2020-07-31）")
            )
            continue
        problems.append(_at(path, pos, "E103", f"{where}：{_message(err)}{_full_width(err.get('input'))}"))
    return problems


# Field names as the plan's forms write them in Chinese (工作方案：分管领导、具体负责人 …).
CHINESE_FIELDS = {
    "分管领导": "leader",
    "负责领导": "leader",
    "具体负责人": "owner",
    "负责人": "owner",
    "具体措施": "measures",
    "工作措施": "measures",
    "措施": "measures",
    "计划完成时间": "due",
    "完成时间": "due",
    "完成时限": "due",
    "进展": "progress",
    "工作进展": "progress",
    "佐证材料": "evidence",
    "台账资料": "evidence",
    "日期": "date",
    "说明": "note",
    "备注": "note",
    "工作方案": "plan",
    "理由": "reason",
}


def _unknown_key(key: Any) -> str:
    text = str(key)
    name, colon, _ = text.partition("：")
    field = CHINESE_FIELDS.get(name.strip())
    if colon:
        fix = f"“{name.strip()}”后面用的是全角冒号“：”，YAML 不认作“键: 值”；请改成半角冒号加空格"
        if field:
            fix += f"，字段名用英文：“{field}: {_short(text.partition('：')[2].strip())}”"
        return f"未知字段“{_short(text)}”：{fix}"
    if field:
        return f"未知字段“{_short(text)}”，是否是 {field}？字段名用英文，请改成“{field}:”"
    return f"未知字段“{_short(text)}”（是否拼写错误？）；请对照格式说明修改或删除"


def _full_width(value: Any) -> str:
    """A text value written `分管领导：张三`: YAML read one text, not a key and a value."""
    if not isinstance(value, str) or "：" not in value:
        return ""
    name = value.partition("：")[0].strip()
    field = CHINESE_FIELDS.get(name)
    example = f"“{field}: {_short(value.partition('：')[2].strip())}”" if field else "“键: 值”"
    return f"（“{_short(name)}：”用的是全角冒号“：”，YAML 不认作键和值；请改成半角冒号加空格，如 {example}）"


def _message(err: dict) -> str:
    kind = err["type"]
    if kind in _TYPE_MESSAGES:
        text = _TYPE_MESSAGES[kind]
        if kind in ("string_type", "int_type", "float_type", "list_type", "dict_type", "model_type"):
            text += f"，实际是“{_short(err.get('input'))}”"
        return text
    if kind == "union_type":
        wanted = []
        for each in err["ctx"]["kinds"]:
            label = _TYPE_MESSAGES.get(each, each).removeprefix("应为")
            if label not in wanted:
                wanted.append(label)
        return f"应为{'或'.join(wanted)}，实际是“{_short(err.get('input'))}”"
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
    return shorten(value)


def _at(path: str, pos: tuple[int, int] | None, code: str, message: str) -> Problem:
    line, col = pos if pos else (None, None)
    # Messages from validators may quote the user's text: keep every problem on one line.
    return error(path, line, col, code, shorten(message, 1_000))


def validate(model: type[BaseModel], parsed: Parsed, path: str) -> tuple[BaseModel | None, list[Problem]]:
    """Validate parsed data against `model`, returning the instance or located problems."""
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, parsed, path)
