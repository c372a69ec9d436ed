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
)
from ruamel.yaml.reader import ReaderError

from fazhi_cli.problems import Problem, error

MAX_DEPTH = 24
# Scalars plus collections. The shipped tasks.yaml has about 600; a ledger of a year's work a few
# thousand; a ledger of 10,000 progress entries about 60,000; data/units.yaml of 3,000 units about
# 39,000. Each node costs about two microseconds, so this keeps any one file under half a second
# (a 2 MB file of `[1,1,1,…]` holds a million nodes and took over 4 s before this limit).
MAX_NODES = 200_000
# Decimal integers longer than this stay text: int() refuses more than 4300 digits (ValueError).
MAX_INT_DIGITS = 1_000
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


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shorten(value: Any, limit: int = 40) -> str:
    """User text for a one-line message: line breaks shown as ↵, controls escaped, long text cut."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "…"
    return _UNPRINTABLE.sub(lambda m: "↵" if m.group() == "\n" else f"\\x{ord(m.group()):02x}", text)


class _Stop(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def parse_yaml(text: str, path: str) -> tuple[Parsed | None, list[Problem]]:
    """Parse normalised text into `Parsed`, or return located problems (never raises)."""
    tabs = _tab_problems(text, path)
    if tabs:
        return None, tabs
    bad = _bad_character(text, path)
    if bad:
        return None, [bad]
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.split("\n")
    ):
        return None, [error(path, 1, 1, "E004", "文件为空（没有任何内容），请按格式填写或从备份恢复")]
    builder = _Builder(path)
    try:
        builder.run(_events(text))
    except _Stop as stop:
        return None, [stop.problem]
    except MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, path, text)]
    except ReaderError as exc:  # normally caught by _bad_character first
        line, col = _line_col(text, exc.position)
        return None, [error(path, line, col, "E006", f"YAML 语法错误：不允许的字符（{exc.reason}）")]
    except YAMLError as exc:
        return None, [error(path, None, None, "E006", f"YAML 语法错误：{exc}")]
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:  # pragma: no cover - safety net
        # Never a traceback for a bad file: a reader bug must not hide the other files' problems.
        return None, [error(path, None, None, "E006", f"YAML 无法解析（{type(exc).__name__}: {exc}）")]
    if builder.documents == 0 or builder.result is _MISSING:
        return None, [error(path, 1, 1, "E004", "文件为空（没有任何内容），请按格式填写或从备份恢复")]
    return Parsed(builder.result, builder.value_pos, builder.key_pos), []


def _c_parser_class():
    try:
        from _ruamel_yaml import CParser
    except ImportError:  # pragma: no cover - depends on the installation
        try:
            from ruamel.yaml.clib._ruamel_yaml import CParser
        except ImportError:
            return None
    return CParser


_MISSING_PARSER = object()
_CParser: Any = _MISSING_PARSER


def _events(text: str):
    """The parser's `get_event`: returns each event, then None. The C parser is called directly
    (what `YAML(typ="safe").parse` runs, without its per-file loader class and generator); without
    the C extension, ruamel's own parse."""
    global _CParser
    if _CParser is _MISSING_PARSER:
        _CParser = _c_parser_class() if YAML(typ="safe").Parser.__name__ == "CParser" else None
    if _CParser is not None:
        return _CParser(text).get_event
    events = YAML(typ="safe").parse(text)  # pragma: no cover - without ruamel.yaml.clib
    return lambda: next(events, None)  # pragma: no cover


_OPENERS = {
    "while scanning a quoted scalar": "引号",
    "while parsing a flow sequence": "方括号",
    "while parsing a flow mapping": "花括号",
}


def _syntax_problem(exc: MarkedYAMLError, path: str, text: str = "") -> Problem:
    """Where the parser gave up, except for an unclosed quote or bracket: there, where it opened."""
    what = (exc.problem or "").strip()
    problem, context = exc.problem_mark, exc.context_mark
    message = f"YAML 语法错误：{_explain(what)}"
    mark = problem or context
    opened = (exc.context or "") in _OPENERS
    if opened and context is not None and problem is not None and context.line != problem.line:
        if what.startswith("found unexpected end of stream"):
            mark = context
            message += f"；从这里开始的引号或括号直到文件末尾（第 {problem.line + 1} 行）都没有闭合"
        else:
            message += f"；这个{_OPENERS[exc.context]}从第 {context.line + 1} 行第 {context.column + 1} 列开始"
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    if mark is not None:
        message += full_width_hint(text.split("\n")[max(mark.line - 2, 0): mark.line + 1])
    return error(path, line, col, "E006", message)


_FULL_WIDTH_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:：#\"'][^:：#]*?)\s*(：)")


def full_width_hint(lines: list[str] | str) -> str:
    """When a line is written `分管领导：张三` (a full-width colon, as Chinese text has it), YAML
    does not see a key there: say so. Empty when no line looks like that."""
    for line in [lines] if isinstance(lines, str) else lines:
        match = _FULL_WIDTH_KEY.match(line)
        if match:
            from fazhi_cli.store.locate import CHINESE_FIELDS  # the fields' Chinese names

            name, value = match.group(1).strip(), line.partition("：")[2].strip()
            field = CHINESE_FIELDS.get(name)
            example = f"，字段名用英文：“{field}: {shorten(value)}”" if field else "，如“键: 值”"
            return f"；“{shorten(name)}：”用的是全角冒号“：”，YAML 不认作“键: 值”；请改成半角冒号加空格{example}"
    return ""


def _line_col(text: str, index: int | None) -> tuple[int | None, int | None]:
    if index is None or index < 0:
        return None, None
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


# Characters YAML forbids (C0/C1 controls other than tab and line feed, surrogates, U+FFFE/FFFF),
# and the extra line breaks YAML 1.1 honours but editors do not show as new lines (NEL, LS, PS):
# left in, they would shift every line number the parser reports after them.
_BAD_CHAR = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = {"\x85": "NEL", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def _bad_character(text: str, path: str) -> Problem | None:
    found = _BAD_CHAR.search(text)
    if found is None:
        return None
    char = found.group()
    line, col = _line_col(text, found.start())
    code_point = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        message = (
            f"含有特殊换行符 {code_point}（{_LINE_BREAKS[char]}，常见于从网页或 Word 复制的文字）；"
            "请删除它或改成普通换行"
        )
    else:
        message = f"含有不可见的控制字符 {code_point}（可能是从其他软件复制时带入的），请删除"
    return error(path, line, col, "E006", f"YAML 语法错误：{message}")


def _tab_problems(text: str, path: str) -> list[Problem]:
    problems = []
    if "\t" not in text:
        return problems
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
    "mapping values are not allowed": "此处不能出现“键: 值”（常见原因：值里有“: ”需要加引号，或缩进不对齐）",
    "mapping keys are not allowed": "此处不能出现“键: 值”（缩进不对齐）",
    "block sequence entries are not allowed": "此处不能出现列表项“- ”（缩进不对齐，或值里有“- ”需要加引号）",
    "did not find expected key": "缩进不对齐或缺少“键:”",
    "did not find expected ',' or ']'": "方括号列表没有正确结束（缺少 ] 或逗号）",
    "did not find expected ',' or '}'": "花括号没有正确结束（缺少 } 或逗号）",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合）",
    "did not find expected '-' indicator": "列表项缩进不对齐，每项应以“- ”开头",
    "found character that cannot start any token": "出现了不能开始任何内容的字符（如 @ 或 `），请给该值加引号",
    "could not find expected ':'": "缺少冒号“:”，或引号没有闭合",
    "found undefined alias": "使用了未定义的别名",
    "did not find expected node content": "缺少内容（常见原因：缩进不对齐，或逗号、括号多余）",
    "found unknown escape character": "双引号中的反斜杠转义无效（路径中的 \\ 请改用 / 或单引号）",
    "found unexpected ':'": "冒号位置不对（请给含冒号的值加引号）",
    "found unexpected document indicator": "行首出现了 --- 或 ...（请给该值加引号或缩进）",
    "found undefined tag handle": "使用了未定义的标签前缀",
    "found duplicate anchor": "锚点重复",
    "did not find expected comment or line break": "这一行在值结束后还有多余的内容（引号或括号之后只能换行或写 # 注释）",
    "did not find expected whitespace or line break": "此处应有空格或换行",
    "did not find expected alphabetic or numeric character": "& 或 * 之后应为字母或数字（如是普通文字，请给该值加引号）",
    "found unknown directive name": "以 % 开头的行是 YAML 指令，无法识别（如是内容，请给该值加引号）",
    "could not find expected directive name": "以 % 开头的行是 YAML 指令，无法识别（如是内容，请给该值加引号）",
    "found incompatible YAML document": "不支持的 YAML 版本（%YAML 指令）",
    "found duplicate %YAML directive": "%YAML 指令重复",
    "found an indentation indicator equal to 0": "多行文本（| 或 >）的缩进数字不能为 0",
    "did not find expected <document start>": "缩进不对齐，或顶层出现了多余的内容",
}


def _explain(problem: str) -> str:
    for english, chinese in _EXPLAIN.items():
        if problem.startswith(english):
            return chinese
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


# First characters of a plain scalar that may resolve to something other than a string (the
# patterns above are anchored: null/bool start with ~ n N t T f F, numbers with a digit, sign or
# dot; "" and "\n" match _NULL's empty alternative). Anything else is text, like most values.
_MAY_RESOLVE = frozenset("~nNtTfF0123456789+-.\n")


def resolve_plain(value: str) -> Any:
    """YAML 1.2 core schema for plain scalars; dates and everything else stay strings."""
    if value:
        first = value[0]
        if first not in _MAY_RESOLVE:
            return value
        # Only one pattern can match a value starting with a letter (or ~).
        if first == "t" or first == "T":
            return True if _BOOL_TRUE.match(value) else value
        if first == "f" or first == "F":
            return False if _BOOL_FALSE.match(value) else value
        if first == "n" or first == "N" or first == "~":
            return None if _NULL.match(value) else value
        if "0" <= first <= "9":  # an int, octal/hex (after 0) or float; never null, bool, inf or nan
            if _INT.match(value):
                return int(value) if len(value) <= MAX_INT_DIGITS else value
            if first == "0":
                if _INT_OCT.match(value):
                    return int(value[2:], 8)
                if _INT_HEX.match(value):
                    return int(value[2:], 16)
            return float(value) if _FLOAT.match(value) else value
    if _NULL.match(value):
        return None
    if _BOOL_TRUE.match(value):
        return True
    if _BOOL_FALSE.match(value):
        return False
    if _INT.match(value):
        return int(value) if len(value) <= MAX_INT_DIGITS else value
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


_COLLECTION_TAGS = {MappingStartEvent: "tag:yaml.org,2002:map", SequenceStartEvent: "tag:yaml.org,2002:seq"}


class _Builder:
    """Consumes parser events, builds the data, records positions, enforces the guards."""

    def __init__(self, path: str):
        self.path = path
        self.documents = 0
        self.nodes = 0
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

    def run(self, next_event) -> None:
        """Feed every event `next_event()` returns until it returns None.

        The same checks in the same order as `feed` (which handles one event), written as one
        loop over local names: this runs for every node of every file."""
        value_pos = self.value_pos
        key_pos = self.key_pos
        stack = self.stack
        stop = self._stop
        resolve = resolve_plain
        scalar_kind, mapping_kind, sequence_kind = ScalarEvent, MappingStartEvent, SequenceStartEvent
        end_kinds = (MappingEndEvent, SequenceEndEvent)
        std_str = _STANDARD_STR_TAG
        missing = _MISSING
        nodes = self.nodes
        try:
            while True:
                event = next_event()
                if event is None:
                    return
                kind = type(event)
                if kind is scalar_kind:
                    if event.anchor is not None:
                        self.nodes = nodes
                        self._check_node(event)
                    nodes += 1
                    if nodes > MAX_NODES:
                        self.nodes = nodes - 1
                        self._check_node(event)
                    if event.ctag is None:
                        value = resolve(event.value) if event.implicit[0] and not event.style else event.value
                    else:
                        if event.tag != std_str:
                            self._bad_tag(event)
                        value = event.value
                elif kind is mapping_kind or kind is sequence_kind:
                    if event.anchor is not None:
                        self.nodes = nodes
                        self._check_node(event)
                    nodes += 1
                    if nodes > MAX_NODES:
                        self.nodes = nodes - 1
                        self._check_node(event)
                    if event.ctag is not None and event.tag != _COLLECTION_TAGS[kind]:
                        self._bad_tag(event)
                    if len(stack) >= MAX_DEPTH:
                        stop(event, "E012", f"嵌套层数超过 {MAX_DEPTH} 层，文件结构不对")
                    value = {} if kind is mapping_kind else []
                elif kind in end_kinds:
                    stack.pop()
                    continue
                else:
                    self.nodes = nodes
                    self.feed(event)
                    continue
                # _add, inline
                mark = event.start_mark
                where = (mark.line + 1, mark.column + 1)
                if stack:
                    frame = stack[-1]
                    container = frame[0]
                    if type(container) is list:
                        path = frame[1] + (len(container),)
                        container.append(value)
                        value_pos[path] = where
                    elif frame[2] is missing:  # this is a key
                        if kind is not scalar_kind:
                            stop(event, "E006", "YAML 语法错误：键不能是列表或映射")
                        if value in container:
                            stop(event, "E008", f"重复的键“{shorten(value)}”；同一层里每个键只能出现一次")
                        frame[2] = value
                        frame[3] = where
                        path = frame[1] + (value,)
                    else:
                        key = frame[2]
                        path = frame[1] + (key,)
                        container[key] = value
                        key_pos[path] = frame[3]
                        value_pos[path] = where
                        frame[2] = missing
                else:
                    self.result = value
                    value_pos[()] = where
                    path = ()
                if kind is not scalar_kind:
                    stack.append([value, path, missing, None])
        finally:
            self.nodes = nodes

    def feed(self, event) -> None:
        kind = type(event)
        if kind is ScalarEvent:
            self._check_node(event)
            if event.tag is not None and event.tag != _STANDARD_STR_TAG:
                self._bad_tag(event)
            plain = event.implicit[0] and not event.style and event.tag is None
            self._add(resolve_plain(event.value) if plain else event.value, event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            self._check_node(event)
            if event.tag is not None and event.tag != _COLLECTION_TAGS[kind]:
                self._bad_tag(event)
            if len(self.stack) >= MAX_DEPTH:
                self._stop(event, "E012", f"嵌套层数超过 {MAX_DEPTH} 层，文件结构不对")
            container: Any = {} if kind is MappingStartEvent else []
            path = self._add(container, event)
            self.stack.append([container, path, _MISSING, None])
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self.stack.pop()
        elif kind is AliasEvent:
            self._stop(event, "E009", f"不允许使用 YAML 别名 *{shorten(event.anchor)}；请直接写出内容")
        elif kind is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self._stop(event, "E011", "文件中有多个 YAML 文档（出现了第二个 ---）；每个文件只能有一个文档")

    def _check_node(self, event) -> None:
        if event.anchor is not None:
            self._stop(event, "E009", f"不允许使用 YAML 锚点 &{shorten(event.anchor)}；请直接写出内容")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._stop(
                event, "E005", f"文件内容过多（超过 {MAX_NODES} 个值），不像是手工维护的方案或台账，请确认是否选错了文件"
            )

    def _bad_tag(self, event) -> None:
        self._stop(event, "E010", f"不允许使用 YAML 标签 {shorten(event.tag, 80)}（不会被执行）；请删除该标签")

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
                self._stop(event, "E008", f"重复的键“{shorten(value)}”；同一层里每个键只能出现一次")
            frame[2], frame[3] = value, where
            return parent + (value,)
        key = frame[2]
        path = parent + (key,)
        container[key] = value
        self.key_pos[path] = frame[3]
        self.value_pos[path] = where
        frame[2] = _MISSING
        return path
