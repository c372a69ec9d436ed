"""The part of a ledger an edit of one task needs: its top-level lines and that task's entry.

A write touches one entry (`tasks: 7`), but ruamel's round trip of a whole ledger costs what the
file costs (about 1 s per 1,000 progress entries, two dumps included). `entry_window` cuts the
ledger's own lines down to everything outside `tasks:` plus the lines of the one entry; the edit
is made on that text and its changed lines are put back in place (`Window.splice`). The window is
used only when it provably means the same: it must read back as the file's data with `tasks`
holding just that entry (`Window.expected`), else the caller edits the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fazhi_cli.store.yamlread import Parsed

_TASKS_LINE = re.compile(r"^tasks[ \t]*:[ \t]*(#.*)?$")


class NotBlock(Exception):
    """The entry shares a line with other content (flow style), so it has no lines of its own."""


def task_key(tasks: Any, task_id: int) -> Any:
    """The key of `tasks` that means task `task_id` (`7` or `"7"`), else None."""
    if not isinstance(tasks, dict):
        return None
    if task_id in tasks and not isinstance(task_id, bool):
        return task_id
    for key in tasks:
        if isinstance(key, str) and key.strip() == str(task_id):
            return key
    return None


def is_trivia(line: str) -> bool:
    """A blank line or a comment line."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def indent(line: str) -> int:
    """The number of leading spaces."""
    return len(line) - len(line.lstrip(" "))


def entry_span(parsed: Parsed, lines: list[str], key: Any) -> tuple[int, int]:
    """0-based first and last line of the entry `tasks: key` (its key line to its last content
    line). Raises NotBlock when the entry shares a line with other content."""
    line, col = parsed.key_pos[("tasks", key)]
    start = line - 1
    if lines[start][: col - 1].strip():
        raise NotBlock
    following = [
        pos[0] - 1
        for path, pos in parsed.key_pos.items()
        if (len(path) == 1 or (len(path) == 2 and path[0] == "tasks" and path[1] != key)) and pos[0] - 1 > start
    ]
    if any(f == start for f in following):
        raise NotBlock
    end = (min(following) - 1) if following else len(lines) - 1
    # trailing blank lines and comments at the key's level belong to what follows; a deeper "#"
    # line may be the content of a block scalar (`note: |` then `  #`)
    while end > start and (not lines[end].strip() or (is_trivia(lines[end]) and indent(lines[end]) <= col - 1)):
        end -= 1
    return start, end


def _text(lines: list[str], rows: list[int]) -> str:
    return "".join(lines[row] + "\n" for row in rows)


@dataclass(frozen=True)
class Window:
    """Lines of the file kept for an edit of one entry: `head` (up to and including `tasks:`),
    the entry's lines `entry_start..entry_stop`, and `tail` (the top-level keys after `tasks`)."""

    key: Any
    head: int  # lines[:head]
    entry_start: int
    entry_stop: int  # lines[entry_start:entry_stop]
    tail: int  # lines[tail:]; len(lines) when none
    next_key: Any  # the entry after this one, None when it is the last
    next_stop: int  # the lines up to the next entry's end (or up to `tail`): lines[entry_stop:next_stop]

    def rows(self, total: int) -> list[int]:
        """The file's line numbers (0-based) of the window's lines, in order."""
        return [*range(self.head), *range(self.entry_start, self.entry_stop), *range(self.tail, total)]

    def text(self, lines: list[str]) -> str:
        return _text(lines, self.rows(len(lines)))

    def expected(self, data: dict) -> dict:
        """What the window's text must read back as: the file's data, `tasks` holding one entry."""
        return {name: ({self.key: value[self.key]} if name == "tasks" else value) for name, value in data.items()}

    def check_text(self, final: list[str], entry_lines: int) -> str:
        """The text that shows the edited entry (`entry_lines` long, in place in `final`) reads
        right in its place: the top-level lines, the entry, what follows it up to the end of
        the next entry (or up to the top-level keys after `tasks`), and those keys."""
        shift = entry_lines - (self.entry_stop - self.entry_start)
        stop = self.next_stop + shift
        return _text(final, [*range(self.head), *range(self.entry_start, stop), *range(self.tail + shift, len(final))])

    def check_expected(self, data: dict, entry: Any) -> dict:
        """What `check_text` must read back as: the file's data with `tasks` holding the edited
        entry and the next one as they are."""
        kept = {self.key: entry}
        if self.next_key is not None:
            kept[self.next_key] = data["tasks"][self.next_key]
        return {name: (kept if name == "tasks" else value) for name, value in data.items()}

    def splice(
        self, lines: list[str], edited: list[str], origins: list[int | None]
    ) -> tuple[list[str], list[int | None]] | None:
        """The file's lines with the window's edited entry put in place, and each line's origin
        (its index in `lines`, None for a new line). None when the edit changed anything outside
        the entry (the caller then edits the whole file)."""
        rows = self.rows(len(lines))
        head, tail = self.head, len(lines) - self.tail
        if len(edited) < head + tail or edited[:head] != lines[:head]:
            return None
        if tail and edited[len(edited) - tail:] != lines[self.tail:]:
            return None
        middle = slice(head, len(edited) - tail)
        entry_origins: list[int | None] = []
        for origin in origins[middle]:
            row = rows[origin] if origin is not None else None
            if row is not None and not self.entry_start <= row < self.entry_stop:
                return None
            entry_origins.append(row)
        final = [*lines[: self.entry_start], *edited[middle], *lines[self.entry_stop:]]
        final_origins: list[int | None] = [*range(self.entry_start), *entry_origins, *range(self.entry_stop, len(lines))]
        return final, final_origins


def entry_window(parsed: Parsed, lines: list[str], task_id: int) -> Window | None:
    """The window for an edit of task `task_id`, or None when the file is not in the plain shape
    it needs: a block `tasks:` line of its own at the top level and the entry on lines of its own."""
    data = parsed.data
    if not isinstance(data, dict) or list(data).count("tasks") != 1:
        return None
    key = task_key(data.get("tasks"), task_id)
    if key is None or ("tasks",) not in parsed.key_pos:
        return None
    tasks_line = parsed.key_pos[("tasks",)][0] - 1
    if parsed.key_pos[("tasks",)][1] != 1 or not _TASKS_LINE.match(lines[tasks_line]):
        return None
    try:
        start, end = entry_span(parsed, lines, key)
    except NotBlock:
        return None
    if start <= tasks_line:
        return None
    tail = min((pos[0] - 1 for path, pos in parsed.key_pos.items() if len(path) == 1 and pos[0] - 1 > tasks_line), default=len(lines))
    if tail <= end:
        return None
    keys = list(data["tasks"])
    at = keys.index(key)
    next_key, next_stop = None, tail
    if at + 1 < len(keys):
        next_key = keys[at + 1]
        try:
            next_start, next_end = entry_span(parsed, lines, next_key)
        except NotBlock:
            return None
        if not end < next_start <= next_end < tail:
            return None
        next_stop = next_end + 1
    return Window(key, tasks_line + 1, start, end + 1, tail, next_key, next_stop)
