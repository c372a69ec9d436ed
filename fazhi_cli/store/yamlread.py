"""The one YAML reader: a guarded walk over the C parser's event stream that builds plain data.

Building the data ourselves from events (instead of ruamel's constructor) gives us, in one fast
pass: the position of every key and value, rejection of anchors/aliases, tags and extra
documents before anything is expanded, a depth limit (the C loader ignores `max_depth` and
crashes on deep nesting), duplicate-key detection, and dates kept as text so pydantic reports
`2020-02-30` with its line instead of a bare ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from fazhi_cli.problems import Problem, error

MAX_DEPTH = 24
Path = tuple[Any, ...]

_STANDARD_STR_TAG = "tag:yaml.org,2002:str"


def c_parser_available() -> bool:
    """True when ruamel.yaml.clib's C parser is the one reading files (about 5x faster)."""
    try:
        from _ruamel_yaml import CParser  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        try:
            from ruamel.yaml.clib._ruamel_yaml import CParser  # noqa: F401
        except ImportError:
            return False
    return YAML(typ="safe").Parser.__name__ == "CParser"


@dataclass
class Parsed:
    """Plain data (dict/list/str/int/float/bool/None) and where each piece came from (1-based)."""

    data: Any
    value_pos: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path, *, key: bool = False) -> tuple[int, int] | None:
        """Line and column of the value at `path` (or of its key), else of the nearest parent."""
        table = self.key_pos if key else self.value_pos
        if path in table:
            return table[path]
        for cut in range(len(path) - 1, -1, -1):
            prefix = path[:cut]
            if prefix in self.value_pos:
                return self.value_pos[prefix]
        return None


class _Stop(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def parse_yaml(text: str, path: str) -> tuple[Parsed | None, list[Problem]]:
    """Parse normalised text into `Parsed`, or return located problems (never raises)."""
    tabs = _tab_problems(text, path)
    if tabs:
        return None, tabs
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.split("\n")
    ):
        return None, [error(path, 1, 1, "E004", "文件为空（没有任何内容），请按格式填写或从备份恢复")]
    builder = _Builder(path)
    try:
        for event in YAML(typ="safe").parse(text):
            builder.feed(event)
    except _Stop as stop:
        return None, [stop.problem]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        what = (exc.problem or "").strip()
        return None, [error(path, line, col, "E006", f"YAML 语法错误：{_explain(what)}")]
    except YAMLError as exc:  # e.g. reader errors on control characters
        return None, [error(path, None, None, "E006", f"YAML 语法错误：{exc}")]
    if builder.documents == 0 or builder.result is _MISSING:
        return None, [error(path, 1, 1, "E004", "文件为空（没有任何内容），请按格式填写或从备份恢复")]
    return Parsed(builder.result, builder.value_pos, builder.key_pos), []


def _tab_problems(text: str, path: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        col = line.find("\t")
        if col >= 0:
            problems.append(
                error(path, number, col + 1, "E007", "含有制表符（Tab）；YAML 只能用空格缩进和分隔，请把 Tab 换成空格")
            )
            if len(problems) >= 20:
                break
    return problems


_EXPLAIN = {
    "mapping values are not allowed here": "此处不能出现“键: 值”（常见原因：冒号后缺空格，或缩进不对齐）",
    "did not find expected key": "缩进不对齐或缺少“键:”",
    "did not find expected ',' or ']'": "方括号列表没有正确结束（缺少 ] 或逗号）",
    "did not find expected ',' or '}'": "花括号没有正确结束（缺少 } 或逗号）",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合）",
    "did not find expected '-' indicator": "列表项缩进不对齐，每项应以“- ”开头",
    "found character that cannot start any token": "出现了不能开始任何内容的字符（如 @ 或 `），请给该值加引号",
    "could not find expected ':'": "缺少冒号“:”，或引号没有闭合",
    "found undefined alias": "使用了未定义的别名",
}


def _explain(problem: str) -> str:
    for english, chinese in _EXPLAIN.items():
        if problem.startswith(english):
            return f"{chinese}（{problem}）"
    return problem or "无法解析"


_MISSING = object()

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema for plain scalars; dates and everything else stay strings."""
    if _NULL.match(value):
        return None
    if _BOOL_TRUE.match(value):
        return True
    if _BOOL_FALSE.match(value):
        return False
    if _INT.match(value):
        return int(value)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


class _Builder:
    """Consumes parser events, builds the data, records positions, enforces the guards."""

    def __init__(self, path: str):
        self.path = path
        self.documents = 0
        self.result: Any = _MISSING
        self.value_pos: dict[Path, tuple[int, int]] = {}
        self.key_pos: dict[Path, tuple[int, int]] = {}
        # Stack frames: [container, path, pending_key, pending_key_pos]
        self.stack: list[list[Any]] = []

    def _where(self, event) -> tuple[int, int]:
        mark = event.start_mark
        return (mark.line + 1, mark.column + 1)

    def _stop(self, event, code: str, message: str) -> None:
        line, col = self._where(event)
        raise _Stop(error(self.path, line, col, code, message))

    def feed(self, event) -> None:
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._stop(event, "E011", "文件中有多个 YAML 文档（出现了第二个 ---）；每个文件只能有一个文档")
            return
        if isinstance(event, AliasEvent):
            self._stop(event, "E009", f"不允许使用 YAML 别名 *{event.anchor}；请直接写出内容")
        if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)):
            if event.anchor is not None:
                self._stop(event, "E009", f"不允许使用 YAML 锚点 &{event.anchor}；请直接写出内容")
            tag = event.tag
            if tag is not None and not (isinstance(event, ScalarEvent) and tag == _STANDARD_STR_TAG):
                if not (isinstance(event, MappingStartEvent) and tag == "tag:yaml.org,2002:map") and not (
                    isinstance(event, SequenceStartEvent) and tag == "tag:yaml.org,2002:seq"
                ):
                    self._stop(event, "E010", f"不允许使用 YAML 标签 {tag}（不会被执行）；请删除该标签")
        if isinstance(event, ScalarEvent):
            plain = event.implicit[0] and not event.style and event.tag is None
            self._add(resolve_plain(event.value) if plain else event.value, event)
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            if len(self.stack) >= MAX_DEPTH:
                self._stop(event, "E012", f"嵌套层数超过 {MAX_DEPTH} 层，文件结构不对")
            container: Any = {} if isinstance(event, MappingStartEvent) else []
            path = self._add(container, event)
            self.stack.append([container, path, _MISSING, None])
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self.stack.pop()
        elif isinstance(event, StreamEndEvent):
            return

    def _add(self, value: Any, event) -> Path:
        where = self._where(event)
        if not self.stack:
            self.result = value
            self.value_pos[()] = where
            return ()
        frame = self.stack[-1]
        container, parent = frame[0], frame[1]
        if isinstance(container, list):
            path = parent + (len(container),)
            container.append(value)
            self.value_pos[path] = where
            return path
        if frame[2] is _MISSING:  # this is a key
            if isinstance(value, (dict, list)):
                self._stop(event, "E006", "YAML 语法错误：键不能是列表或映射")
            if value in container:
                self._stop(event, "E008", f"重复的键“{value}”；同一层里每个键只能出现一次")
            frame[2], frame[3] = value, where
            return parent + (value,)
        key = frame[2]
        path = parent + (key,)
        container[key] = value
        self.key_pos[path] = frame[3]
        self.value_pos[path] = where
        frame[2] = _MISSING
        return path
