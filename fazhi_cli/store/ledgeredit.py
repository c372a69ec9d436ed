"""Editing a ledger by program, changing nothing but what the edit is about.

Every write command goes through `edit_ledger(path, shown, mutate, scope=...)`:

1. Under the file's lock (`safewrite.lock_for`), read the bytes and hash them.
2. Decode (BOM, UTF-16, line endings: `store.decode`) and check the text with the guarded
   reader (`store.yamlread.parse_yaml`). A file with problems is never edited: the problems are
   raised as `EditRefused`.
3. Load it with ruamel's round-trip loader (quotes kept, no wrapping below 4096 columns,
   indentation guessed per file, `---` kept), dump it once unchanged, call `mutate(root)`, dump
   it again. For `Scope.entry(7)` this is done on a window of the file — its top-level lines
   and the lines of `tasks: 7` (`store.editwindow`) — when the window provably reads as that
   part of the file; the result is put back in place and checked on the whole file. So a write
   costs what its entry costs, not what the ledger costs; a file whose shape does not allow a
   window (flow style, the entry missing…) is edited whole.
4. Merge: the difference between the two dumps is the edit. It is applied to the file's own
   lines, so everything the edit does not touch stays byte for byte as the clerk wrote it, even
   where ruamel would restyle it (`~`, `[ a, b ]`, trailing spaces, a missing final newline,
   a comment ruamel drops...). An inserted block is placed before the blank lines and comments
   that precede the next item, so they stay with the item they belong to (ruamel attaches them
   to the previous node, see NOTES.md).
5. Guard: the merged text must pass the guarded reader, mean exactly what ruamel dumped and
   what the mutated data holds, and still decode (line length, size); the line diff against
   the original may only touch the lines `scope` allows (`Scope.entry(7)`: the lines of
   `tasks: 7`; `Scope.additions()`: insertions only) and, for an entry scope, the data outside
   that entry must be unchanged. Anything else raises `EditRefused` (E401: a line outside the
   scope would change; E402: the edit cannot be written faithfully) and writes nothing.
6. `validate(new_bytes)`, then `safewrite.atomic_write` with the hash read in step 1, so a save
   from Notepad in between raises `ChangedOnDisk` instead of being overwritten.

The mutate function gets the round-trip root (`CommentedMap`) and should use the helpers below
(`entry_map`, `append_item`, `set_value`), which build block-style nodes and quote strings
that would otherwise read back as something else. It may raise `EditRefused` itself to stop.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePath
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    ScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.util import load_yaml_guess_indent

from fazhi_cli.problems import Problem, error, has_errors
from fazhi_cli.store.decode import Decoded, decode, encode
from fazhi_cli.store.editwindow import NotBlock, entry_span, entry_window
from fazhi_cli.store.editwindow import indent as _indent
from fazhi_cli.store.editwindow import is_trivia as _is_trivia
from fazhi_cli.store.editwindow import task_key as _task_key
from fazhi_cli.store.interrupts import deferred
from fazhi_cli.store.safewrite import (
    ABSENT,
    Busy,
    ChangedOnDisk,
    WriteError,
    atomic_write,
    locked,
    remove_orphan_temp_files,
    sha256_bytes,
)
from fazhi_cli.store.source import Unreadable, file_kind_problem, read_regular
from fazhi_cli.store.yamlread import Parsed, parse_yaml, resolve_plain

__all__ = [
    "Busy",
    "ChangedOnDisk",
    "EditOutcome",
    "EditRefused",
    "Scope",
    "WriteError",
    "append_item",
    "edit_ledger",
    "entry_map",
    "render_edit",
    "ruamel_roundtrip",
    "set_value",
    "to_node",
]

DUMP_WIDTH = 4096
GUARD_CODE = "E401"  # a change outside the allowed scope
UNSAFE_CODE = "E402"  # the edit cannot be written without changing something it should not
MAX_GUARD_PROBLEMS = 5


# ---------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class Scope:
    """Which lines an edit may change."""

    kind: Literal["entry", "additions"]
    task_id: int | None = None

    @classmethod
    def entry(cls, task_id: int) -> Scope:
        """Only the lines of the entry `tasks: <task_id>` may change or appear (the entry may be
        inserted when missing; an empty or missing `tasks:` may become a block)."""
        return cls("entry", int(task_id))

    @classmethod
    def additions(cls) -> Scope:
        """Lines may only be added (`fazhi init`); nothing existing is removed or changed, except
        that an empty `{}`/`[]` may lose its braces when it gets its first item."""
        return cls("additions")

    def describe(self) -> str:
        if self.kind == "entry":
            return f"任务 {self.task_id} 的条目"
        return "新增的内容"


class EditRefused(WriteError):
    """The edit was not written; `problems` say why (file problems, or the guard's)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else None
        message = first.as_text() if first else "修改被拒绝，未写入任何内容"
        if len(self.problems) > 1:
            message += f"（另有 {len(self.problems) - 1} 个问题）"
        super().__init__(message, first.path if first else None)


@dataclass(frozen=True)
class EditOutcome:
    path: Path
    changed: bool
    old_bytes: bytes | None  # None: the file did not exist
    new_bytes: bytes
    warnings: tuple[Problem, ...] = field(default=())

    def diff(self) -> str:
        """Unified diff of the edit (text), for `--dry-run`-style display and logs."""
        old = _bytes_text(self.old_bytes) if self.old_bytes is not None else ""
        new = _bytes_text(self.new_bytes)
        return "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), str(self.path), str(self.path)
            )
        )


def _bytes_text(data: bytes) -> str:
    decoded, _ = decode(data, "")
    return decoded.text if decoded is not None else data.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# The write path


def edit_ledger(
    path: Path,
    shown: str,
    mutate: Callable[[CommentedMap], None],
    *,
    scope: Scope,
    new_file_text: str | None = None,
    validate: Callable[[bytes], list[Problem]] | None = None,
    after_write: Callable[[EditOutcome], None] | None = None,
) -> EditOutcome:
    """Apply `mutate` to the ledger at `path` (`shown` is its name in messages), under its lock.

    A missing file is created from `new_file_text` (then edited) when given, else refused.
    `after_write(outcome)` runs after a write, still under the lock (the commit goes there).
    Raises `EditRefused` (problems), `Busy` (lock timeout), `ChangedOnDisk` (saved by someone
    else meanwhile) or `WriteError` (I/O); in all these cases nothing was written.
    """
    path = Path(path)
    kind = file_kind_problem(path) or (file_kind_problem(path.parent) if path.parent.is_symlink() else None)
    if kind is not None:  # never open a FIFO, device or symlink as a ledger
        raise EditRefused([error(shown, None, None, "E014", f"文件无法读取：{kind}")])
    if path.parent.exists() and not path.parent.is_dir():
        raise EditRefused([error(shown, None, None, "E014", f"“{path.parent.name}”是一个文件，不是文件夹；请改名或移走它")])
    if path.exists() and not os.stat(path).st_mode & 0o222:  # (mode bits: root bypasses os.access)
        raise EditRefused([error(shown, None, None, "E404", "台账文件是只读的，未作任何修改；如确需修改，请先取消文件的只读属性")])
    if new_file_text is None and not path.parent.is_dir():  # (taking the lock would create the folder)
        raise EditRefused([error(shown, None, None, "E001", "文件不存在")])
    if new_file_text is not None and not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"无法创建文件夹“{path.parent}”：{exc.strerror or exc}", path) from exc
    with locked(path):
        remove_orphan_temp_files(path)
        try:
            raw: bytes | None = read_regular(path)
        except FileNotFoundError:
            raw = None
        except Unreadable as exc:
            raise EditRefused([error(shown, None, None, exc.code, f"文件无法读取：{exc.reason}")]) from exc
        except OSError as exc:
            raise EditRefused([error(shown, None, None, "E001", f"文件无法读取：{exc.strerror or exc}")]) from exc
        expected = ABSENT if raw is None else sha256_bytes(raw)
        new_bytes = render_edit(raw, shown, mutate, scope, new_file_text=new_file_text)
        if raw is not None and new_bytes == raw:
            return EditOutcome(path, False, raw, raw)
        warnings: tuple[Problem, ...] = ()
        if validate is not None:
            problems = validate(new_bytes)
            if has_errors(problems):
                raise EditRefused([p for p in problems if p.is_error])
            warnings = tuple(problems)
        with deferred(f"{shown} 的这次修改已写完（中断时正在写入，fazhi 等写入和提交结束后才退出；运行 `git status` 可确认是否已提交）"):  # the write and its commit run to their end
            atomic_write(path, new_bytes, expected_sha256=expected)
            outcome = EditOutcome(path, True, raw, new_bytes, warnings)
            if after_write is not None:  # e.g. the git commit, while no other writer can change the file
                after_write(outcome)
        return outcome


def render_edit(
    raw: bytes | None,
    shown: str,
    mutate: Callable[[CommentedMap], None],
    scope: Scope,
    *,
    new_file_text: str | None = None,
    windowed: bool = True,
) -> bytes:
    """The bytes `edit_ledger` would write (no I/O, no lock); `raw` itself when nothing changes.

    `raw=None` means the file does not exist: `new_file_text` is used (UTF-8, `\\n` line ends).
    An edit of one entry is made on a window of the file (`store.editwindow`) when the file's
    shape allows it, so that its cost does not grow with the rest of the ledger (`windowed=False`
    edits the whole file, which must give the same bytes). Raises `EditRefused`.
    """
    source = _Source.read(raw, shown, new_file_text)
    edited = _edit_in_window(source, shown, mutate, scope) if windowed and scope.kind == "entry" else None
    if edited is None:
        edited = _edit(source, source, shown, mutate, scope)
    if edited is _UNCHANGED:
        return raw if raw is not None else encode(source.text, source.decoded)
    final_lines, origins, _ = edited
    text = _join(final_lines, source.final_newline)
    try:
        data = encode(text, source.decoded, _line_endings(source, final_lines, origins))
    except UnicodeEncodeError as exc:
        raise EditRefused(
            [error(shown, None, None, UNSAFE_CODE, f"修改后的内容含有无法保存的字符（{exc.reason}），未写入任何内容")]
        ) from exc
    # what is written must read back: line length, size (store.decode's limits)
    readable, problems = decode(data, shown)
    if readable is None:
        raise EditRefused(
            [error(shown, p.line, p.column, UNSAFE_CODE, f"修改后的文件将无法读取（{p.message}），未写入任何内容") for p in problems]
        )
    return data


_UNCHANGED: Any = object()


class _MutateRefused(EditRefused):
    """The mutate function itself refused (a rule, not the file's shape)."""


def _edit(
    source: _Source, layout: _Source, shown: str, mutate: Callable[[CommentedMap], None], scope: Scope
) -> tuple[list[str], list[int | None], Parsed] | Any:
    """ruamel's edit of `source` merged into its own lines: (lines, each line's origin, their
    parse), or
    _UNCHANGED. `layout` is the file whose indentation the dump follows (the whole file, when
    `source` is a window of it)."""
    yaml, root = _load(source, shown, layout)
    noop = _dump(yaml, root, shown)
    before = _EmptySnapshot.take(root)
    try:
        mutate(root)
    except EditRefused as exc:
        raise _MutateRefused([_with_path(p, shown) for p in exc.problems]) from exc
    before.restore(root, drop_new_entries=scope.kind == "entry")
    _unshare(root)
    new = _dump(yaml, root, shown)
    if new == noop:
        return _UNCHANGED
    new_lines, _ = _split(new)
    noop_lines, _ = _split(noop)
    new_parsed = _parse_or_refuse(new, shown, "修改后的内容未通过检查")
    final_lines, final_parsed, origins = _merge_checked(source, noop_lines, new_lines, new_parsed, shown)
    if not _same(root, final_parsed.data):  # ruamel wrote something that reads back differently
        raise EditRefused(
            [error(shown, None, None, UNSAFE_CODE, "修改后的内容读回时与要写入的不一致（YAML 写法的特殊情况），未写入任何内容")]
        )
    problems = _scope_problems(scope, source, final_lines, final_parsed, shown)
    if problems:
        raise EditRefused(problems)
    return final_lines, origins, final_parsed


def _edit_in_window(
    source: _Source, shown: str, mutate: Callable[[CommentedMap], None], scope: Scope
) -> tuple[list[str], list[int | None], Parsed | None] | Any | None:
    """`_edit` of the lines outside `tasks:` and the one entry, put back into the whole file and
    checked there; None when the window cannot be used or its edit was refused for a reason of
    the file's shape (the whole file is then edited, and any refusal says which line)."""
    window = entry_window(source.parsed, source.lines, scope.task_id)
    if window is None:
        return None
    text = window.text(source.lines)
    parsed, problems = parse_yaml(text, shown)
    if parsed is None or has_errors(problems) or repr(parsed.data) != repr(window.expected(source.parsed.data)):
        return None
    lines, _ = _split(text)
    part = _Source(Decoded(text, "utf-8", "\n", False), text, lines, True, parsed)
    try:
        edited = _edit(part, source, shown, mutate, scope)
    except _MutateRefused:
        raise
    except (EditRefused, LookupError, TypeError, AttributeError):
        # the file's shape, or a mutate looking beyond its entry: edit the whole file instead
        return None
    if edited is _UNCHANGED:
        return edited
    edited_lines, edited_origins, edited_parsed = edited
    spliced = window.splice(source.lines, edited_lines, edited_origins)
    if spliced is None:
        return None
    final_lines, origins = spliced
    # The lines outside the entry are the file's own; what remains to show is that the edited
    # entry reads the same in its place as in the window, and leaves what follows it as it was.
    entry = edited_parsed.data["tasks"].get(window.key)
    entry_lines = len(final_lines) - len(source.lines) + (window.entry_stop - window.entry_start)
    checked, problems = parse_yaml(window.check_text(final_lines, entry_lines), shown)
    if checked is None or has_errors(problems) or repr(checked.data) != repr(window.check_expected(source.parsed.data, entry)):
        return None
    return final_lines, origins, None


def _line_endings(source: _Source, final: list[str], origins: list[int | None]) -> list[str] | None:
    """Each final line's ending: an untouched line keeps its own, a changed one takes the ending
    of the line it replaces, a new one the file's dominant ending."""
    old = source.decoded.endings
    if old is None or all(e == source.decoded.newline for e in old):
        return None
    out = [old[i] if i is not None and i < len(old) else source.decoded.newline for i in origins]
    for j in range(1, len(out)):  # "\r" then an empty line ending "\n" would read back as one "\r\n"
        if out[j - 1] == "\r" and final[j] == "" and out[j] == "\n":
            if origins[j - 1] is not None and final[j - 1] == source.lines[origins[j - 1]]:
                out[j] = "\r"
            else:
                out[j - 1] = "\r\n"
    return out


def ruamel_roundtrip(text: str) -> str:
    """ruamel's load → dump of `text` with this module's settings and no edit or merge.

    For tests: house-style ledgers must come back identical, so that in them an edit's diff is
    exactly ruamel's diff.
    """
    source = _Source.read(text.encode("utf-8"), "<text>", None)
    yaml, root = _load(source, "<text>", source)
    return _dump(yaml, root, "<text>")


def _with_path(problem: Problem, shown: str) -> Problem:
    if problem.path:
        return problem
    return Problem(shown, problem.line, problem.column, problem.code, problem.message, problem.severity)


# ---------------------------------------------------------------------------------------------
# Reading


def _split(text: str) -> tuple[list[str], bool]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
        return lines, True
    return lines, False


def _join(lines: list[str], final_newline: bool) -> str:
    text = "\n".join(lines)
    return text + "\n" if final_newline and lines else text


@dataclass
class _Source:
    decoded: Decoded
    text: str
    lines: list[str]
    final_newline: bool
    parsed: Parsed

    @classmethod
    def read(cls, raw: bytes | None, shown: str, new_file_text: str | None) -> _Source:
        if raw is None:
            if new_file_text is None:
                raise EditRefused([error(shown, None, None, "E001", "文件不存在")])
            text = new_file_text.replace("\r\n", "\n").replace("\r", "\n")
            decoded = Decoded(text, "utf-8", "\n", False)
        else:
            maybe, problems = decode(raw, shown)
            if maybe is None:
                raise EditRefused(problems)
            decoded = maybe
        parsed, problems = parse_yaml(decoded.text, shown)
        if parsed is None or has_errors(problems):
            raise EditRefused(problems)
        if not isinstance(parsed.data, dict):
            raise EditRefused([error(shown, 1, 1, "E103", "台账的顶层应为“键: 值”的映射（unit、tasks）")])
        lines, final_newline = _split(decoded.text)
        return cls(decoded, decoded.text, lines, final_newline, parsed)


def _parse_or_refuse(text: str, shown: str, what: str) -> Parsed:
    parsed, problems = parse_yaml(text, shown)
    if parsed is None or has_errors(problems):
        detail = "；".join(p.message for p in problems[:3])
        raise EditRefused([error(shown, None, None, UNSAFE_CODE, f"{what}（{detail}），未写入任何内容")])
    return parsed


def _make_yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = DUMP_WIDTH
    return yaml


_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?![0-9])")


class _GuessOnly:
    """Stands in for the loader in ruamel's indentation guesser, which then only guesses."""

    def load(self, text: str) -> None:
        return None


def _guess_indent(text: str) -> tuple[int | None, int | None]:
    """ruamel's guess of (indent, block sequence indent) for `text`; (None, None) when it fails."""
    try:
        _, indent, offset = load_yaml_guess_indent(text, yaml=_GuessOnly())
    except IndexError:  # its guesser indexes past the end of a line holding only `-`
        return None, None
    return indent, offset


def _load(source: _Source, shown: str, layout: _Source) -> tuple[YAML, CommentedMap]:
    """ruamel's round-trip load of `source`, set to dump with the indentation of `layout`."""
    yaml = _make_yaml()
    try:
        root = yaml.load(source.text)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a located refusal
        raise EditRefused(_load_failure(source, shown, exc)) from exc
    if not isinstance(root, CommentedMap):
        raise EditRefused([error(shown, 1, 1, "E103", "台账的顶层应为“键: 值”的映射（unit、tasks）")])
    sequence, offset = _guess_indent(layout.text)
    mapping = _guess_mapping_indent(layout.lines)
    if offset is None:
        offset, sequence = mapping, mapping + 2
    sequence = max(sequence or 0, offset + 2)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = _has_explicit_start(layout.lines)
    return yaml, root


def _load_failure(source: _Source, shown: str, exc: Exception) -> list[Problem]:
    problems = []
    for path, value in _walk_values(source.parsed.data, ()):
        if isinstance(value, str):
            match = _DATE_PREFIX.match(value)
            if match:
                try:
                    dt.date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    line, col = source.parsed.position(path) or (None, None)
                    problems.append(error(shown, line, col, "E104", f"日期“{value}”不存在，请改正后再运行"))
    if problems:
        return problems
    return [error(shown, None, None, UNSAFE_CODE, f"无法在保留原有格式的前提下读取此文件（{type(exc).__name__}: {exc}），未作修改")]


def _walk_values(node: Any, path: tuple) -> list[tuple[tuple, Any]]:
    out: list[tuple[tuple, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_walk_values(value, path + (key,)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_walk_values(value, path + (index,)))
    else:
        out.append((path, node))
    return out


def _guess_mapping_indent(lines: list[str]) -> int:
    """Indent of a mapping nested in a mapping (`plan:` → `  leader:`); 2 when there is none."""
    previous: str | None = None
    for line in lines:
        if _is_trivia(line):
            continue
        if previous is not None:
            head = previous.rstrip()
            if head.endswith(":") and not previous.lstrip().startswith(("- ", "-\t", "? ")):
                step = _indent(line) - _indent(previous)
                if step > 0 and not line.lstrip().startswith("- "):
                    return step
        previous = line
    return 2


def _has_explicit_start(lines: list[str]) -> bool:
    for line in lines:
        if _is_trivia(line) or line.startswith("%"):
            continue
        return line == "---" or line.startswith(("--- ", "---#"))
    return False


def _unshare(node: Any, seen: set[int] | None = None) -> None:
    """Copy containers that appear twice (a mutate reusing one dict): ruamel would write them as
    &anchor/*alias, which the reader forbids. (Telling ruamel to ignore aliases altogether
    would also make it write every empty value as `null`.)"""
    seen = set() if seen is None else seen
    items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
    for key, child in items:
        if isinstance(child, (dict, list)):
            if id(child) in seen:
                child = copy.deepcopy(child)
                node[key] = child
            seen.add(id(child))
            _unshare(child, seen)


def _dump(yaml: YAML, root: CommentedMap, shown: str) -> str:
    buffer = io.StringIO()
    try:
        yaml.dump(root, buffer)
    except Exception as exc:  # noqa: BLE001 - e.g. a value ruamel cannot represent
        raise EditRefused(
            [error(shown, None, None, UNSAFE_CODE, f"修改后的内容无法写成 YAML（{type(exc).__name__}: {exc}），未写入任何内容")]
        ) from exc
    return buffer.getvalue()


@dataclass
class _EmptySnapshot:
    """What was empty before mutate, so that `entry_map` calls that put nothing in leave no trace.

    `entry_map` must hand out a mapping even for `7:` (null) or a missing entry; if the
    mutate function then decides to change nothing, `7:` must not become `7: {}` and (for an
    entry scope) no empty `7: {}` may appear.
    """

    tasks_state: str  # "missing", "null" or "map"
    null_keys: set
    keys: set

    @classmethod
    def take(cls, root: CommentedMap) -> _EmptySnapshot:
        if "tasks" not in root:
            return cls("missing", set(), set())
        tasks = root["tasks"]
        if not isinstance(tasks, dict):
            return cls("null" if tasks is None else "other", set(), set())
        return cls("map", {k for k, v in tasks.items() if v is None}, set(tasks))

    def restore(self, root: CommentedMap, *, drop_new_entries: bool) -> None:
        tasks = root.get("tasks")
        if not isinstance(tasks, CommentedMap):
            return
        for key in list(tasks):
            value = tasks[key]
            if not (isinstance(value, CommentedMap) and not value):
                continue
            if key in self.null_keys:
                tasks[key] = None
            elif key not in self.keys and drop_new_entries:
                del tasks[key]
        if not tasks:
            if self.tasks_state == "missing":
                del root["tasks"]
            elif self.tasks_state == "null":
                root["tasks"] = None


def _same(mem: Any, got: Any) -> bool:
    """Does `got` (the written text as the reader sees it) hold the round-trip data `mem`?"""
    if isinstance(mem, dict):
        return isinstance(got, dict) and len(mem) == len(got) and all(k in got and _same(v, got[k]) for k, v in mem.items())
    if isinstance(mem, list):
        return isinstance(got, list) and len(mem) == len(got) and all(_same(a, b) for a, b in zip(mem, got))
    if mem is None or isinstance(mem, bool):
        return got is mem
    if isinstance(mem, dt.datetime):
        return isinstance(got, str)
    if isinstance(mem, dt.date):
        match = _DATE_PREFIX.match(got) if isinstance(got, str) else None
        return bool(match) and (int(match[1]), int(match[2]), int(match[3])) == (mem.year, mem.month, mem.day)
    if isinstance(mem, float):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and (got == mem or (got != got and mem != mem))
    if isinstance(mem, int):
        return type(got) is int and got == mem
    if isinstance(mem, str):
        return isinstance(got, str) and got == str(mem)
    return False


# ---------------------------------------------------------------------------------------------
# Merging ruamel's edit into the file's own lines


class _Conflict(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _merge_checked(
    source: _Source, noop: list[str], new: list[str], new_parsed: Parsed, shown: str
) -> tuple[list[str], Parsed, list[int | None]]:
    """Merge, then make sure the merged text means exactly what ruamel dumped."""
    wanted = repr(new_parsed.data)
    failure: Problem | None = None
    for slide in (True, False):
        try:
            lines, origins = _merge(source.lines, noop, new, slide=slide)
        except _Conflict as conflict:
            failure = error(shown, conflict.line, None, UNSAFE_CODE, conflict.message)
            continue
        parsed, problems = parse_yaml(_join(lines, True), shown)
        if parsed is not None and not has_errors(problems) and repr(parsed.data) == wanted:
            return lines, parsed, origins
        if failure is None:
            failure = error(
                shown, None, None, UNSAFE_CODE,
                "无法在不改动其他内容的前提下写入这项修改（文件中可能有特殊写法，如跨行的方括号列表）；"
                "未写入任何内容，请手工编辑或改成常规写法后重试",
            )
    assert failure is not None
    raise EditRefused([failure])


@dataclass
class _Region:
    x1: int
    x2: int
    y1: int
    y2: int


def _comment_part(line: str) -> str | None:
    stripped = line.strip()
    if stripped.startswith("#"):
        return stripped
    at = line.find(" #")
    return line[at:].strip() if at >= 0 else None


def line_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes from `a` to `b`, the common first and last lines matched directly: an
    edit of one task in a ledger of 10,000 entries compares a few lines, not the whole file (the
    matcher is quadratic in the lines it is given)."""
    m = min(len(a), len(b))
    lo = 0
    while lo < m and a[lo] == b[lo]:
        lo += 1
    hi = 0
    while hi < m - lo and a[len(a) - 1 - hi] == b[len(b) - 1 - hi]:
        hi += 1
    out: list[tuple[str, int, int, int, int]] = [("equal", 0, lo, 0, lo)] if lo else []
    middle = difflib.SequenceMatcher(None, a[lo : len(a) - hi], b[lo : len(b) - hi], autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in middle:
        op = (tag, i1 + lo, i2 + lo, j1 + lo, j2 + lo)
        if tag == "equal" and out and out[-1][0] == "equal":
            op = ("equal", out[-1][1], op[2], out[-1][3], op[4])
            out.pop()
        out.append(op)
    if hi:
        if out and out[-1][0] == "equal":
            _, i1, _, j1, _ = out.pop()
            out.append(("equal", i1, len(a), j1, len(b)))
        else:
            out.append(("equal", len(a) - hi, len(a), len(b) - hi, len(b)))
    return out


def _merge(orig: list[str], noop: list[str], new: list[str], *, slide: bool) -> tuple[list[str], list[int | None]]:
    """Apply the edit noop → new to `orig` (whose lines noop may restyle: the drift). Also
    returns, for each line, the orig line it keeps or replaces in place (None: a new line)."""
    n = len(noop)
    line_to_orig: list[int | None] = [None] * n
    region_of: list[_Region | None] = [None] * n
    orig_drift = [False] * len(orig)
    for tag, x1, x2, y1, y2 in line_opcodes(noop, orig):
        if tag == "equal":
            for k in range(x2 - x1):
                line_to_orig[x1 + k] = y1 + k
            continue
        region = _Region(x1, x2, y1, y2)
        for p in range(x1, x2):
            region_of[p] = region
        for y in range(y1, y2):
            orig_drift[y] = True

    def strictly_inside(boundary: int) -> _Region | None:
        # boundary b sits between noop[b-1] and noop[b]
        if 0 < boundary < n and region_of[boundary] is not None and region_of[boundary] is region_of[boundary - 1]:
            return region_of[boundary]
        return None

    hunks = [
        [a1, a2, c1, c2]
        for tag, a1, a2, c1, c2 in line_opcodes(noop, new)
        if tag != "equal"
    ]
    # Pure insertions go before the blank lines/comments that belong to what follows them.
    insertions: list[tuple[int, list[str]]] = []
    kept: list[list[int]] = []
    floor = 0
    for a1, a2, c1, c2 in hunks:
        if a1 == a2 and slide and strictly_inside(a1) is None:
            spot, lines = _slide(noop, a1, new[c1:c2], floor, region_of)
            insertions.append((spot, lines))
        else:
            kept.append([a1, a2, c1, c2])
        floor = a2
    # Replacements touching restyled lines take the whole restyled region with them.
    changed = True
    while changed:
        changed = False
        for hunk in kept:
            a1, a2 = hunk[0], hunk[1]
            if a1 == a2:
                region = strictly_inside(a1)
                if region is not None:
                    hunk[0], hunk[2] = region.x1, hunk[2] - (a1 - region.x1)
                    hunk[1], hunk[3] = region.x2, hunk[3] + (region.x2 - a1)
                    changed = True
                continue
            first, last = region_of[a1], region_of[a2 - 1]
            if first is not None and first.x1 < a1:
                hunk[0], hunk[2] = first.x1, hunk[2] - (a1 - first.x1)
                changed = True
            if last is not None and last.x2 > a2:
                hunk[1], hunk[3] = last.x2, hunk[3] + (last.x2 - a2)
                changed = True
        kept.sort()
        merged: list[list[int]] = []
        for hunk in kept:
            if merged and hunk[0] < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hunk[1])
                merged[-1][3] = max(merged[-1][3], hunk[3])
                changed = True
            else:
                merged.append(hunk)
        kept = merged

    # (orig start, orig end, lines, order) — insertions before a replacement at the same spot
    operations: list[tuple[int, int, int, list[str]]] = []
    for a1, a2, c1, c2 in kept:
        if a1 == a2:
            at = _anchor(a1, noop, line_to_orig, region_of)
            operations.append((at, at, 0, new[c1:c2]))
            continue
        start = line_to_orig[a1] if line_to_orig[a1] is not None else region_of[a1].y1
        end = line_to_orig[a2 - 1] + 1 if line_to_orig[a2 - 1] is not None else region_of[a2 - 1].y2
        replacement = new[c1:c2]
        joined = "\n".join(replacement)
        for y in range(start, end):
            comment = _comment_part(orig[y]) if orig_drift[y] else None
            if comment and comment not in joined:
                raise _Conflict(y + 1, f"第 {y + 1} 行的注释在这次修改中无法保留；请把它移到单独一行后重试")
        operations.append((start, end, 1, replacement))
    for spot, lines in insertions:
        at = _anchor(spot, noop, line_to_orig, region_of)
        operations.append((at, at, 0, lines))
    operations.sort(key=lambda op: (op[0], op[2]))
    out: list[str] = []
    origins: list[int | None] = []
    cursor = 0
    for start, end, _, lines in operations:
        if start < cursor:
            raise _Conflict(start + 1, f"第 {start + 1} 行附近的修改相互重叠，无法安全合并")
        out.extend(orig[cursor:start])
        origins.extend(range(cursor, start))
        out.extend(lines)
        origins.extend(start + k if start + k < end else None for k in range(len(lines)))
        cursor = end
    out.extend(orig[cursor:])
    origins.extend(range(cursor, len(orig)))
    return out, origins


def _anchor(boundary: int, noop: list[str], line_to_orig: list[int | None], region_of: list[_Region | None]) -> int:
    """Where in orig the noop boundary (before noop[boundary]) is: right after the line before."""
    if boundary == 0:
        return 0
    before = boundary - 1
    if line_to_orig[before] is not None:
        return line_to_orig[before] + 1
    region = region_of[before]
    assert region is not None
    return region.y2


def _slide(
    noop: list[str], at: int, lines: list[str], floor: int, region_of: list[_Region | None]
) -> tuple[int, list[str]]:
    """Move an insertion up past trailing blank lines/comments that belong to the next item.

    A comment belongs to the next item unless it is indented deeper than the next item's line.
    When the insertion is a sibling of the next item and a blank line separated the two, the
    new item gets a blank line before it too.
    """
    next_indent = 0
    for line in noop[at:]:
        if not _is_trivia(line):
            next_indent = _indent(line)
            break
    spot = at
    while spot > floor and _is_trivia(noop[spot - 1]) and region_of[spot - 1] is None:
        line = noop[spot - 1]
        if line.strip() and _indent(line) > next_indent:
            break
        spot -= 1
    if spot < at and spot > 0 and not noop[spot].strip() and lines and _indent(lines[0]) == next_indent:
        lines = [""] + lines
    return spot, lines


# ---------------------------------------------------------------------------------------------
# The scope guard


def _scope_problems(scope: Scope, source: _Source, final: list[str], parsed: Parsed, shown: str) -> list[Problem]:
    if scope.kind == "additions":
        return _additions_problems(source, final, parsed, shown)
    return _entry_problems(scope.task_id, source, final, parsed, shown)


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 40 else line[:39] + "…"


def _entry_lines(parsed: Parsed, lines: list[str], task_id: int) -> set[int]:
    """0-based lines of the entry `tasks: task_id` (key line to last content line), plus the
    blank lines right around it. Raises NotBlock when the entry shares a line with others."""
    key = _task_key(parsed.data.get("tasks"), task_id)
    if key is None:
        return set()
    start, end = entry_span(parsed, lines, key)
    allowed = set(range(start, end + 1))
    above = start - 1
    while above >= 0 and not lines[above].strip():
        allowed.add(above)
        above -= 1
    below = end + 1
    while below < len(lines) and not lines[below].strip():
        allowed.add(below)
        below += 1
    return allowed


def _tasks_line(parsed: Parsed) -> int | None:
    pos = parsed.key_pos.get(("tasks",))
    return pos[0] - 1 if pos else None


def _without_task(data: Any, task_id: int) -> str:
    plain = dict(data)
    tasks = plain.get("tasks")
    if isinstance(tasks, dict):
        key = _task_key(tasks, task_id)
        tasks = {k: v for k, v in tasks.items() if k != key}
    if not tasks:
        tasks = {}
    plain["tasks"] = tasks
    return repr(plain)


def _entry_problems(task_id: int, source: _Source, final: list[str], parsed: Parsed, shown: str) -> list[Problem]:
    try:
        old_allowed = _entry_lines(source.parsed, source.lines, task_id)
        new_allowed = _entry_lines(parsed, final, task_id)
    except NotBlock:
        return [
            error(
                shown, None, None, GUARD_CODE,
                f"任务 {task_id} 的条目与其他内容写在同一行（例如花括号写法），无法安全地自动修改；"
                "请改成每个任务各占一行的写法后重试",
            )
        ]
    old_tasks = source.parsed.data.get("tasks")
    if not old_tasks:  # missing, empty or `{}`: the `tasks:` line itself may appear or change
        for allowed, which in ((old_allowed, source.parsed), (new_allowed, parsed)):
            line = _tasks_line(which)
            if line is not None:
                allowed.add(line)
    problems: list[Problem] = []
    for tag, i1, i2, j1, j2 in line_opcodes(source.lines, final):
        if tag == "equal":
            continue
        for i in range(i1, i2):
            if i not in old_allowed:
                verb = "删除" if tag == "delete" else "改动"
                problems.append(
                    error(
                        shown, i + 1, None, GUARD_CODE,
                        f"这次修改只应涉及任务 {task_id} 的条目，却会{verb}第 {i + 1} 行“{_short(source.lines[i])}”；"
                        "为保护其他内容，未写入任何更改",
                    )
                )
        for j in range(j1, j2):
            if j not in new_allowed:
                problems.append(
                    error(
                        shown, min(i1 + 1, len(source.lines)), None, GUARD_CODE,
                        f"这次修改只应涉及任务 {task_id} 的条目，却会在第 {i1 + 1} 行处写入“{_short(final[j])}”；"
                        "为保护其他内容，未写入任何更改",
                    )
                )
        if len(problems) >= MAX_GUARD_PROBLEMS:
            return problems[:MAX_GUARD_PROBLEMS]
    if not problems and _without_task(source.parsed.data, task_id) != _without_task(parsed.data, task_id):
        problems.append(
            error(shown, None, None, GUARD_CODE, f"这次修改会改变任务 {task_id} 以外的内容；为保护其他内容，未写入任何更改")
        )
    return problems


_EMPTY_FLOW = re.compile(r"^(?P<head>.*?:)\s*(?:\{\}|\[\])\s*$")


def _only_lost_braces(old: str, new: str) -> bool:
    match = _EMPTY_FLOW.match(old)
    return bool(match) and new.rstrip() == match["head"]


def _contains(old: Any, new: Any) -> bool:
    """`new` holds everything `old` does (mappings by key, lists as ordered subsequences)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and _contains(v, new[k]) for k, v in old.items())
    if isinstance(old, list):
        if not isinstance(new, list):
            return False
        it = iter(new)
        return all(any(_contains(item, candidate) for candidate in it) for item in old)
    if old is None and isinstance(new, (dict, list)):
        return True  # `7:` (empty) that got content
    return repr(old) == repr(new)


def _additions_problems(source: _Source, final: list[str], parsed: Parsed, shown: str) -> list[Problem]:
    problems: list[Problem] = []
    for tag, i1, i2, j1, j2 in line_opcodes(source.lines, final):
        if tag in ("equal", "insert"):
            continue
        j = j1
        for i in range(i1, i2):
            while j < j2 and not (final[j] == source.lines[i] or _only_lost_braces(source.lines[i], final[j])):
                j += 1
            if j >= j2:
                problems.append(
                    error(
                        shown, i + 1, None, GUARD_CODE,
                        f"这次操作只应新增内容，却会改动或删除第 {i + 1} 行“{_short(source.lines[i])}”；未写入任何更改",
                    )
                )
                break
            j += 1
        if len(problems) >= MAX_GUARD_PROBLEMS:
            break
    if not problems and not _contains(source.parsed.data, parsed.data):
        problems.append(error(shown, None, None, GUARD_CODE, "这次操作只应新增内容，却会改变已有的内容；未写入任何更改"))
    return problems


# ---------------------------------------------------------------------------------------------
# Helpers for mutate functions


def _refuse(message: str) -> EditRefused:
    return EditRefused([error("", None, None, "E103", message)])


def _numeric(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key.strip())
    return None


def entry_map(root: CommentedMap, task_id: int, create: bool = True) -> CommentedMap | None:
    """The mapping of `tasks: <task_id>`, created when missing (unless `create=False`: None).

    `tasks` is created when missing. A new entry is inserted in numeric order among the
    existing task keys, as an empty block mapping (it shows as `{}` until something is put in
    it); blank lines and comments above the next entry stay above it. `7:` (empty) becomes a
    mapping; `7: {}` becomes block style so that keys put into it go on their own lines.

    Asking for an entry changes nothing by itself: when mutate returns, an entry it left empty
    goes back to `7:`, and a new entry left empty is dropped — except under
    `Scope.additions()` (`fazhi init`), where it is written as `7: {}`.
    """
    tasks = root.get("tasks")
    if tasks is None:
        if not create:
            return None
        tasks = CommentedMap()
        tasks.fa.set_block_style()
        root["tasks"] = tasks
    if not isinstance(tasks, CommentedMap):
        raise _refuse("台账中的“tasks”应为按任务编号排列的映射，请先改正（`fazhi check` 可帮助定位）")
    if tasks.fa.flow_style() and not tasks:
        tasks.fa.set_block_style()
    key = _task_key(tasks, task_id)
    if key is not None:
        value = tasks[key]
        if value is None:
            if not create:
                return None
            value = CommentedMap()
            value.fa.set_block_style()
            tasks[key] = value
        if not isinstance(value, CommentedMap):
            raise _refuse(f"台账中任务 {task_id} 的内容应为映射（plan、progress 等），请先改正")
        if value.fa.flow_style() and not value:
            value.fa.set_block_style()
        return value
    if not create:
        return None
    value = CommentedMap()
    value.fa.set_block_style()
    position = len(tasks)
    for index, existing in enumerate(tasks):
        number = _numeric(existing)
        if number is not None and number > task_id:
            position = index
            break
    tasks.insert(position, int(task_id), value)
    return value


def append_item(parent: CommentedMap, key: str, item: Any) -> Any:
    """Append `item` to the list `parent[key]` (created, block style, when missing or empty).

    Dicts and lists in `item` become block-style nodes; strings are quoted when they would
    otherwise read back as something else; dates stay dates (written 2020-07-31). Returns the
    node appended.
    """
    node = to_node(item)
    seq = parent.get(key)
    if seq is None:
        seq = CommentedSeq()
        seq.fa.set_block_style()
        set_value(parent, key, seq)
    elif not isinstance(seq, CommentedSeq):
        raise _refuse(f"台账中的“{key}”应为列表（每项以“- ”开头），请先改正")
    if seq.fa.flow_style() and (not seq or isinstance(node, (dict, list))):
        seq.fa.set_block_style()
    seq.append(node)
    return node


def set_value(parent: CommentedMap, key: str, value: Any) -> Any:
    """Set `parent[key]`: an existing key keeps its place (and its comments), a new key goes
    after the existing ones (before the blank lines/comments of whatever follows, see the
    module notes). Values are converted like `append_item`'s. Returns the node set."""
    if not isinstance(parent, CommentedMap):
        raise _refuse(f"无法设置“{key}”：其上级应为映射，请先改正台账")
    node = to_node(value)
    if parent.fa.flow_style() and (not parent or isinstance(node, (dict, list))):
        parent.fa.set_block_style()
    parent[key] = node
    return node


_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_LEADING_INDICATORS = tuple("{[*&!|>'\"%@`,]}#")
_NUMBER_LIKE = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|nan)$|^0[xob]", re.I)
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_SPECIAL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff\t\r]")


def _needs_quotes(text: str) -> bool:
    if not text or text != text.strip():
        return True
    if ": " in text or "#" in text or text.endswith(":"):
        return True
    if text.startswith(_LEADING_INDICATORS) or text.startswith(("- ", "? ", ": ")) or text in ("-", "?", ":"):
        return True
    if text.lower() in _YAML11_WORDS or not isinstance(resolve_plain(text), str):
        return True
    return bool(_NUMBER_LIKE.match(text) or _DATE_LIKE.match(text) or _SEXAGESIMAL.match(text))


def quote_string(text: str) -> str:
    """The string as a node that reads back as this very string (quoted only when needed)."""
    if isinstance(text, ScalarString):
        return text
    if "\n" in text:
        # `|` or `|-` only: a kept final blank line (`|+`) would swallow the blank line that
        # may follow it in the file (ruamel writes such a file, which then reads back wrong)
        body_ok = not _SPECIAL_CHARS.search(text) and not text[0].isspace() and not text.endswith("\n\n")
        if body_ok and all(line == line.rstrip() for line in text.split("\n")):
            return LiteralScalarString(text)
        return DoubleQuotedScalarString(text)
    if _SPECIAL_CHARS.search(text):
        return DoubleQuotedScalarString(text)
    if _needs_quotes(text):
        return SingleQuotedScalarString(text)
    return text


def to_node(value: Any) -> Any:
    """Plain Python data as ruamel round-trip nodes in block style (dicts, lists, pydantic
    models, enums, paths, dates, numbers, strings)."""
    if isinstance(value, (CommentedMap, CommentedSeq, ScalarString)):
        return value
    if hasattr(value, "model_dump") and callable(value.model_dump):
        value = value.model_dump(mode="python", exclude_none=True)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Mapping):
        node = CommentedMap()
        node.fa.set_block_style()
        for key, item in value.items():
            node[key.value if isinstance(key, Enum) else key] = to_node(item)
        return node
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq()
        seq.fa.set_block_style()
        seq.extend(to_node(item) for item in value)
        return seq
    if isinstance(value, PurePath):
        return quote_string(value.as_posix())
    if isinstance(value, str):
        return quote_string(value)
    if value is None or isinstance(value, (bool, int, float, dt.date)):
        return value
    raise TypeError(f"cannot write {type(value).__name__} into a ledger")
