"""Reading many versions of a ledger by its parts: each task entry, and each item of an entry's
progress, records, log and extensions, is parsed and validated once per distinct text.

Consecutive versions of a ledger differ in a few lines, yet each is the whole file: reading every
version whole costs time quadratic in the length of the history. A ledger in the usual block
style is split at its `tasks:` entries (lines `  12:` at one indentation) and, inside an entry
that changed, at its lists' items (`      - date: …`); each piece is parsed alone, looked up by
its text, and the ledger is put together from the pieces' validated models. Against the version
of the same file read before, only the lines between their common beginning and common end are
looked at again.

The result is the full reader's (store/loader.py `load_model`) exactly, or None: then the caller
reads the file whole. None is returned for anything not in that simple shape (flow style, YAML
directives, lines the split cannot place, a piece that does not parse alone into exactly the one
key or item it should, at the place it should) and for anything invalid, so the full reader gives
every problem with its own words and position. The limits the full reader applies to a whole file
(decoding, line length, number of nodes, depth) are checked on the sums of the pieces' figures.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from fazhi_cli.models.ledger import Entry, Ledger
from fazhi_cli.store import decode as decode_module
from fazhi_cli.store import yamlread
from fazhi_cli.store.yamlread import parse_yaml

# Patterns over the file's bytes (UTF-8: every byte they look at is ASCII).
_TASKS_LINE = re.compile(rb"^tasks:(?:[ ]+#[^\n]*)?[ ]*$", re.M)
_COLUMN_ZERO = re.compile(rb"\n[^ \n#]")  # the end of a line before content (not a comment) at column 0
_FIRST_INDENTED = re.compile(rb"\n( +)(?=[^ \n#])")
_SIMPLE_KEY = re.compile(rb"[A-Za-z_][A-Za-z0-9_-]*:(?:[ \n]|\Z)")
_ENTRY_PATTERNS: dict[int, re.Pattern] = {}

_DUMMY_UNIT = "a"  # a valid unit id, for validating one entry as a ledger's `tasks` would
_MISSING: Any = object()

# Lists of an entry whose items are read one by one (the field is list[Model]).
_ITEM_MODELS: dict[str, type[BaseModel]] = {
    name: Entry.model_fields[name].annotation.__args__[0] for name in ("progress", "records", "log", "extensions")
}


@dataclass(frozen=True)
class _Piece:
    """One piece as the full reader reads it in place: its key (an entry's task key), its value
    (the validated Entry, item model, or plain data), and its figures: YAML nodes, the deepest
    collection level (the piece's root at 0) and the longest line."""

    key: Any
    value: Any
    nodes: int
    level: int
    width: int


@dataclass(frozen=True)
class _Layout:
    """Where a version's parts are: the `tasks:` entries' region, their indentation, each entry's
    start, and the pieces read (the file less its entries, then one per entry)."""

    body: bytes  # the file's bytes, line endings made \n, without a UTF-8 BOM
    region: tuple[int, int]
    indent: int
    starts: list[int]
    skeleton: _Piece
    pieces: list[_Piece]


def _entry_pattern(indent: int) -> re.Pattern:
    if indent not in _ENTRY_PATTERNS:
        _ENTRY_PATTERNS[indent] = re.compile(rb"\n {%d}(\d+):(?=[ \n]|\Z)" % indent)
    return _ENTRY_PATTERNS[indent]


def ledger_body(raw: bytes) -> bytes | None:
    """The bytes whose UTF-8 text `decode` gives for this file (BOM dropped, line endings made
    \\n); None for what it would not accept as it is (UTF-16, NUL, too large …: the full reader
    says what). Whether the bytes are UTF-8 is checked piece by piece, as each is decoded."""
    if len(raw) > decode_module.MAX_FILE_BYTES:
        return None
    body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in body:
        return None
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return body


def measure(data: Any) -> tuple[int, int]:
    """(nodes, deepest collection level) of parsed data, as the reader counts them: every scalar
    (keys included) and collection is a node; the root collection is at level 0 (-1: none)."""
    nodes, level = 0, -1
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if type(value) is dict:
            level = max(level, depth)
            nodes += len(value)  # the keys
            stack.extend((v, depth + 1) for v in value.values())
        elif type(value) is list:
            level = max(level, depth)
            stack.extend((v, depth + 1) for v in value)
    return nodes, level


def _width(text: str) -> int:
    return max(map(len, text.split("\n")))


def _parse(text: str):
    parsed, problems = parse_yaml(text, "<part>")
    return None if problems else parsed


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _validate_entry(key: Any, value: Any) -> Any:
    """The entry (None for an empty one) as the ledger's `tasks` field validates it; _MISSING when
    it does not validate."""
    try:
        ledger = Ledger.model_validate({"unit": _DUMMY_UNIT, "tasks": {key: value}})
    except ValidationError:
        return _MISSING
    return next(iter(ledger.tasks.values())) if len(ledger.tasks) == 1 else _MISSING


class LedgerParts:
    """Versions of ledgers read by their parts, each distinct piece of text once. One reader
    serves one run (a history): it keeps every piece it read."""

    def __init__(self) -> None:
        self._skeletons: dict[bytes, _Piece | None] = {}
        self._chunks: dict[bytes, _Piece | None] = {}
        self._items: dict[tuple[str, str], _Piece | None] = {}
        self._heads: dict[str, _Piece | None] = {}  # entries less their items
        self._last: dict[str, _Layout] = {}  # per path, the version read last

    def read(self, raw: bytes, path: str) -> Ledger | None:
        """The ledger these bytes hold, exactly as `load_model` validates it; None when the file is
        not in the simple shape or not valid (read it whole)."""
        body = ledger_body(raw)
        if body is None:
            return None
        last = self._last.get(path)
        layout = self._layout(body, last)
        if layout is None:
            return None
        tasks: dict[Any, Entry | None] = {}
        skeleton = layout.skeleton
        nodes, level, width = skeleton.nodes, skeleton.level, skeleton.width
        for piece in layout.pieces:
            if piece.key in tasks:
                return None  # a duplicate key (E008)
            tasks[piece.key] = piece.value
            nodes += piece.nodes - 1  # the entry's own root mapping is the `tasks` mapping
            level = max(level, piece.level + 1)
            width = max(width, piece.width)
        if nodes > yamlread.MAX_NODES or level >= yamlread.MAX_DEPTH or width > decode_module.MAX_LINE_CHARS:
            return None
        data = dict(skeleton.value)
        data["tasks"] = tasks
        try:
            ledger = Ledger.model_validate(data)
        except ValidationError:
            return None
        self._last[path] = layout
        return ledger

    # --- where the parts are -----------------------------------------------------------------

    def _layout(self, body: bytes, last: _Layout | None) -> _Layout | None:
        if last is not None:
            if body == last.body:
                return last
            found = self._changed(body, last)
            if found is not None:
                return found
        split = split_ledger(body)
        if split is None:
            return None
        region, indent, starts = split
        skeleton = self._skeleton(body[: region[0]] + body[region[0] : starts[0]] + body[region[1] :], body.count(b"\n", 0, region[0]) - 1)
        if skeleton is None:
            return None
        pieces = self._pieces(body, starts, region[1], indent, {p.key for p in last.pieces} if last is not None else set())
        if pieces is None:
            return None
        return _Layout(body, region, indent, starts, skeleton, pieces)

    def _changed(self, body: bytes, last: _Layout) -> _Layout | None:
        """The layout of a version from the last one's: the entries wholly before the first changed
        line or wholly after the last are the same; the lines between are split again. None when the
        change reaches beyond the entries (the file's beginning, its end, or a line at column 0)."""
        window = changed_window(last.body, body, last.starts, last.region[1])
        if window is None:
            return None
        first, after, start, stop = window
        delta = len(body) - len(last.body)
        if _COLUMN_ZERO.search(body, start, stop):
            return None
        found = [m.start() + 1 for m in _entry_pattern(last.indent).finditer(body, start - 1, stop)]
        if not found or found[0] != start:
            return None
        starts = last.starts[:first] + found + [s + delta for s in last.starts[after:]]
        known = {p.key for p in last.pieces}
        middle = self._pieces(body, found + [stop], stop, last.indent, known, count=len(found))
        if middle is None:
            return None
        pieces = last.pieces[:first] + middle + last.pieces[after:]
        region = (last.region[0], last.region[1] + delta)
        return _Layout(body, region, last.indent, starts, last.skeleton, pieces)

    def _pieces(self, body: bytes, starts: list[int], end: int, indent: int, known: set, count: int | None = None) -> list[_Piece] | None:
        """The entries starting at `starts` (the last one ends at `end`), each looked up by its bytes;
        an entry not seen before whose key the last version had is read by its items."""
        out = []
        for index in range(len(starts) if count is None else count):
            stop = starts[index + 1] if index + 1 < len(starts) else end
            chunk = body[starts[index] : stop]
            piece = self._chunks.get(chunk, _MISSING)
            if piece is _MISSING:
                piece = None
                text = _decoded(chunk)
                if text is not None:
                    digits = text[indent : text.index(":")]
                    if int(digits) in known:  # an entry that changed: most of its items are known
                        piece = self._entry_by_items(text, indent)
                    if piece is None:
                        piece = _read_chunk(text, indent)
                self._chunks[chunk] = piece
            if piece is None:
                return None
            out.append(piece)
        return out

    # --- the pieces ----------------------------------------------------------------------------

    def _skeleton(self, data: bytes, tasks_line: int) -> _Piece | None:
        """The file less its task entries: `tasks:` must be a key of the top mapping, on its own
        line (`tasks_line`, 0-based), with nothing under it; no YAML directive (%TAG …) may change
        how the entries read."""
        if data in self._skeletons:
            return self._skeletons[data]
        piece = None
        text = _decoded(data)
        parsed = _parse(text) if text is not None and not text.startswith("%") and "\n%" not in text else None
        if (
            parsed is not None
            and type(parsed.data) is dict
            and "tasks" in parsed.data
            and parsed.data["tasks"] is None
            and parsed.key_pos.get(("tasks",)) == (tasks_line + 1, 1)
        ):
            nodes, level = measure(parsed.data)
            piece = _Piece(None, parsed.data, nodes, level, _width(text))
        self._skeletons[data] = piece
        return piece

    def _entry_by_items(self, chunk: str, indent: int) -> _Piece | None:
        """One entry read by its items (each list item looked up by its text), or None."""
        split = split_entry(chunk, indent)
        if split is None:
            return None
        skeleton_text, inner, sections = split
        head = self._entry_skeleton(skeleton_text, indent)
        if head is None:
            return None
        key, body, positions = head.value
        nodes, level, width = head.nodes, head.level, head.width
        body = dict(body)
        for name, line, item_indent, texts in sections:
            if positions.get(name) != (line, inner + 1) or body.get(name, _MISSING) is not None:
                return None
            values = []
            for text in texts:
                piece = self._item(name, text, item_indent)
                if piece is None:
                    return None
                values.append(piece.value)
                nodes += piece.nodes - 1  # the item's own root sequence is the section's list
                level = max(level, piece.level + 2)
                width = max(width, piece.width)
            body[name] = values
        entry = _validate_entry(key, body)
        if entry is _MISSING:
            return None
        return _Piece(key, entry, nodes, level, width)

    def _entry_skeleton(self, text: str, indent: int) -> _Piece | None:
        """An entry less its lists' items: one key, on the first line, holding a mapping; its value
        is (the key, the mapping, where each of the mapping's keys is)."""
        if text in self._heads:
            return self._heads[text]
        piece = None
        parsed = _parse(text)
        if parsed is not None and type(parsed.data) is dict and len(parsed.data) == 1:
            key = next(iter(parsed.data))
            body = parsed.data[key]
            if parsed.key_pos.get((key,)) == (1, indent + 1) and type(body) is dict:
                positions = {name: parsed.key_pos.get((key, name)) for name in body}
                nodes, level = measure(parsed.data)
                piece = _Piece(key, (key, body, positions), nodes, level, _width(text))
        self._heads[text] = piece
        return piece

    def _item(self, name: str, text: str, indent: int) -> _Piece | None:
        """One list item (`- date: …` and the lines under it), validated by its list's model."""
        cache_key = (name, text)
        if cache_key in self._items:
            return self._items[cache_key]
        piece = None
        parsed = _parse(text)
        if parsed is not None and type(parsed.data) is list and len(parsed.data) == 1 and parsed.value_pos.get(()) == (1, indent + 1):
            try:
                value = _ITEM_MODELS[name].model_validate(parsed.data[0])
            except ValidationError:
                value = None
            if value is not None:
                nodes, level = measure(parsed.data)
                piece = _Piece(None, value, nodes, level, _width(text))
        self._items[cache_key] = piece
        return piece


def _read_chunk(chunk: str, indent: int) -> _Piece | None:
    """One entry parsed whole: exactly one key, on the chunk's first line, at its indentation."""
    parsed = _parse(chunk)
    if parsed is None or type(parsed.data) is not dict or len(parsed.data) != 1:
        return None
    key = next(iter(parsed.data))
    if parsed.key_pos.get((key,)) != (1, indent + 1):
        return None
    entry = _validate_entry(key, parsed.data[key])
    if entry is _MISSING:
        return None
    nodes, level = measure(parsed.data)
    return _Piece(key, entry, nodes, level, _width(chunk))


# --- splitting -----------------------------------------------------------------------------------


def split_ledger(body: bytes) -> tuple[tuple[int, int], int, list[int]] | None:
    """The region of the `tasks:` entries (from the line after `tasks:` to the first line of
    content at column 0), the entries' indentation and where each entry starts; None when the file
    is not in the simple shape (the first line of content in the region must start an entry)."""
    found = _TASKS_LINE.search(body)
    if found is None or found.end() >= len(body):
        return None
    start = found.end() + 1
    after = _COLUMN_ZERO.search(body, start - 1)
    end = after.start() + 1 if after is not None else len(body)
    if after is not None and not _SIMPLE_KEY.match(body, end):
        return None
    first = _FIRST_INDENTED.search(body, start - 1, end)
    if first is None:
        return None
    indent = len(first.group(1))
    starts = [m.start() + 1 for m in _entry_pattern(indent).finditer(body, start - 1, end)]
    if not starts or starts[0] != first.start() + 1:
        return None
    return (start, end), indent, starts


def _common_prefix(a: bytes, b: bytes, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def changed_window(old: bytes, new: bytes, starts: list[int], end: int) -> tuple[int, int, int, int] | None:
    """Which of the old version's entries (starting at `starts`, the last ending at `end`) are the
    same in the new one: (the index of the first entry to split again, the index of the first one
    after them that is the same, where in `new` those to split again begin and end). Every line
    wholly inside the common beginning or the common end of the two is the same line; the entries
    made only of such lines stay, and where they start stays an entry's start. None when the change
    is outside the entries."""
    prefix = _common_prefix(old, new, min(len(old), len(new)))
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    line = new.rfind(b"\n", 0, prefix) + 1  # the first line not wholly in the common beginning
    if line <= starts[0] or line > end:
        return None
    first = bisect.bisect_right(starts, line - 1) - 1  # the entry holding the last same line
    newline = new.find(b"\n", len(new) - suffix)
    if newline < 0:
        return None
    delta = len(new) - len(old)
    same = newline + 1 - delta  # in `old`, lines starting here or later are the same lines
    after = bisect.bisect_left(starts, same)
    if after >= len(starts):
        return None
    return first, after, starts[first], starts[after] + delta


_INNER = re.compile(r"\n( +)(?=[^ \n#])")  # the next line of content, and its indentation
_SECTION_PATTERNS: dict[int, re.Pattern] = {}
_SHALLOW_PATTERNS: dict[int, re.Pattern] = {}


def _section_pattern(indent: int) -> re.Pattern:
    """A list's key alone on its line, at the entry's keys' indentation."""
    if indent not in _SECTION_PATTERNS:
        names = "|".join(_ITEM_MODELS)
        _SECTION_PATTERNS[indent] = re.compile(r"\n {%d}(%s):[ ]*(?=\n|\Z)" % (indent, names))
    return _SECTION_PATTERNS[indent]


def _shallow_pattern(indent: int) -> re.Pattern:
    """A line of content indented `indent` spaces or fewer (its indentation as group 1)."""
    if indent not in _SHALLOW_PATTERNS:
        _SHALLOW_PATTERNS[indent] = re.compile(r"\n( {0,%d})(?=[^ \n#])" % indent)
    return _SHALLOW_PATTERNS[indent]


def _is_item(text: str, at: int) -> bool:
    """A `-` at `at` that starts a list item (followed by a space or the line's end)."""
    return text[at : at + 1] == "-" and text[at + 1 : at + 2] in ("", " ", "\n")


def split_entry(chunk: str, indent: int) -> tuple[str, int, list[tuple[str, int, int, list[str]]]] | None:
    """An entry's text as (its text less its lists' items, the indentation of its keys, and per
    list split: its name, the line of its key in that text, the items' indentation, each item's
    text); None when the entry does not start with its key alone on a line. A list is split when
    its key (`progress:` …) is alone on its line at the entry's keys' indentation and its first
    line of content is an item (`- `) at that indentation or deeper; it runs to the next line of
    content indented less than its items, or as much but not an item."""
    end = chunk.find("\n")
    if end < 0 or not chunk[:end].rstrip(" ").endswith(":"):
        return None
    first = _INNER.search(chunk, end)
    if first is None or len(first.group(1)) <= indent:
        return None
    inner = len(first.group(1))
    kept: list[str] = []  # the text less the items, in pieces
    sections: list[tuple[str, int, int, list[str]]] = []
    done = 0  # chunk[:done] is accounted for
    lines = 1  # lines in the kept text so far (counting the one being written)
    for key in _section_pattern(inner).finditer(chunk, end):
        if key.start() + 1 < done:
            continue
        begin = _INNER.search(chunk, key.end())
        if begin is None or len(begin.group(1)) < inner or not _is_item(chunk, begin.end()):
            continue
        items_indent = len(begin.group(1))
        stop = len(chunk)
        starts = [begin.start() + 1]
        for line in _shallow_pattern(items_indent).finditer(chunk, begin.end()):
            if len(line.group(1)) < items_indent or not _is_item(chunk, line.end()):
                stop = line.start() + 1
                break
            starts.append(line.start() + 1)
        kept.append(chunk[done : starts[0]])
        lines += kept[-1].count("\n")
        key_line = lines - chunk.count("\n", key.start() + 1, starts[0])
        items = [chunk[a:b] for a, b in zip(starts, starts[1:] + [stop])]
        sections.append((key.group(1), key_line, items_indent, items))
        done = stop
    kept.append(chunk[done:])
    return "".join(kept), inner, sections
