"""Generated ledgers: an unedited round trip is byte-identical, an edit of task N changes only
task N's lines (the blank lines and comments above every other entry stay with that entry).

Ledgers are generated as TEXT in the house style (2-space mappings, list dashes indented by 2,
CJK text, `#` comments on their own lines and at line ends, single/double quotes, blank lines,
`{}`/empty entries, flow evidence lists, optional `---`, LF/CRLF, with/without BOM).

What plain ruamel (0.19, our settings) does NOT reproduce, found while writing this and kept out of
the house style: `~`/`null` (written empty), spaces inside flow brackets `[ a ]`, flow lists over
several lines (joined), plain scalars over several lines (joined), extra spaces after `key:`,
trailing spaces, a missing final newline, `...`, comments before `---`, a comment between a key
and its value on the next line (dropped), `True` (becomes `true`), `- - x` nested lists,
a lone `-` line, escapes in double quotes (`"\\u4e2d"` becomes `"中"`), lines longer than 4096
characters with spaces (folded), files mixing indentations. `edit_ledger` keeps every one of
them byte for byte when the edit does not touch their lines (the second property below); when
the edit rewrites their lines they are rewritten in house style as part of the edit (a dropped
comment makes the edit refuse, E402).
"""

from __future__ import annotations

import codecs
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fazhi_cli.store.ledgeredit import Scope, append_item, entry_map, render_edit, ruamel_roundtrip
from fazhi_cli.store.yamlread import parse_yaml

HANZI = list("法治政府建设学法计划会议纪要科尔沁区司法局工作台账召开专题部署落实完成情况通辽")
cjk = st.text(alphabet=st.sampled_from(HANZI), min_size=1, max_size=10)
# quoted content may hold what plain text cannot
quoted_body = st.text(alphabet=st.sampled_from(HANZI + list(": #-[]{}@123")), min_size=1, max_size=10).filter(
    lambda s: s == s.strip()
)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2021, 12, 31)).map(dt.date.isoformat)


@st.composite
def scalar(draw) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "single", "double", "docno"]))
    if kind == "plain":
        return draw(cjk)
    if kind == "docno":
        return f"通司发〔{draw(st.integers(2019, 2021))}〕{draw(st.integers(1, 99))}号"
    body = draw(quoted_body)
    return f"'{body}'" if kind == "single" else f'"{body}"'


@st.composite
def eol(draw) -> str:
    return draw(st.sampled_from(["", "", "", f"  # {draw(cjk)}"]))


@st.composite
def comment_lines(draw, indent: int, max_size: int = 2) -> list[str]:
    return [" " * indent + f"# {c}" for c in draw(st.lists(cjk, max_size=max_size))]


@st.composite
def evidence_lines(draw, indent: int) -> list[str]:
    """`evidence:` at `indent` as a block list of document numbers / paths, or a flow list."""
    pad = " " * indent
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(["a.pdf", "纪要.pdf", "x/y.docx"]), min_size=1, max_size=3))
        return [f"{pad}evidence: [{', '.join('evidence/kerqin/' + n for n in names)}]"]
    lines = [f"{pad}evidence:"]
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(f"{pad}  - {draw(scalar())}")
        else:
            lines.append(f"{pad}  - path: evidence/kerqin/{draw(cjk)}.pdf")
            if draw(st.booleans()):
                lines.append(f"{pad}    sha256: {'0' * 64}")
    return lines


@st.composite
def list_item(draw, kind: str) -> list[str]:
    lines = [f"      - date: {draw(dates)}{draw(eol())}"]
    if kind == "progress":
        lines.append(f"        note: {draw(scalar())}{draw(eol())}")
    elif kind == "records":
        lines.append(f"        target: study")
        if draw(st.booleans()):
            lines.append(f"        value: {draw(st.integers(0, 100))}")
    else:
        lines.append(f"        action: {draw(st.sampled_from(['apply', 'confirm', 'reject']))}")
        if draw(st.booleans()):
            lines.append(f"        by: {draw(cjk)}")
    if draw(st.booleans()):
        lines.extend(draw(evidence_lines(8)))
    return lines


@st.composite
def entry_body(draw) -> list[str]:
    lines: list[str] = []
    keys = draw(st.lists(st.sampled_from(["claimed", "plan", "progress", "records", "log"]), min_size=1, max_size=4, unique=True))
    for index, key in enumerate(keys):
        if index and draw(st.integers(0, 4)) == 0:
            lines.append("")
        lines.extend(draw(comment_lines(4, max_size=1)))
        if key == "claimed":
            lines.append(f"    claimed: {draw(dates)}{draw(eol())}")
        elif key == "plan":
            lines.append("    plan:")
            fields = draw(st.lists(st.sampled_from(["leader", "owner", "measures", "due"]), min_size=1, max_size=4, unique=True))
            for name in fields:
                value = draw(dates) if name == "due" else draw(scalar())
                lines.append(f"      {name}: {value}{draw(eol())}")
        else:
            lines.append(f"    {key}:")
            for _ in range(draw(st.integers(1, 2))):
                lines.extend(draw(list_item(key)))
    if draw(st.integers(0, 5)) == 0:
        lines.append(f"      # {draw(cjk)}")  # a trailing note indented under the entry: stays with it
    return lines


@st.composite
def ledger(draw):
    """(text, segments): segments[0] is the header, then one per entry (its leading blank lines and
    comments + its lines) keyed by task id, then the trailer."""
    header = ["---"] if draw(st.booleans()) else []  # comments above `---` are dropped by ruamel
    header.extend(draw(comment_lines(0)))
    header.append("unit: kerqin")
    header.extend(draw(comment_lines(0, max_size=1)))
    ids = sorted(draw(st.sets(st.integers(1, 60), max_size=6)))
    entries: list[tuple[int, list[str]]] = []
    if not ids:
        header.append(draw(st.sampled_from(["tasks: {}", "tasks:"])))
    else:
        header.append("tasks:")
    for position, task_id in enumerate(ids):
        lead: list[str] = []
        if position and draw(st.booleans()):
            lead.append("")
        lead.extend(draw(comment_lines(2)))
        form = draw(st.sampled_from(["block", "block", "block", "flow", "null"]))
        if form == "flow":
            body = [f"  {task_id}: {{}}{draw(eol())}"]
        elif form == "null":
            body = [f"  {task_id}:"]
        else:
            body = [f"  {task_id}:{draw(eol())}"] + draw(entry_body())
        entries.append((task_id, lead + body))
    trailer = ["", f"# {draw(cjk)}"] if draw(st.booleans()) else []
    lines = header + [line for _, chunk in entries for line in chunk] + trailer
    return "\n".join(lines) + "\n", header, entries, trailer


def as_bytes(text: str, crlf: bool, bom: bool) -> bytes:
    if crlf:
        text = text.replace("\n", "\r\n")
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def as_text(data: bytes) -> str:
    return data.removeprefix(codecs.BOM_UTF8).decode("utf-8").replace("\r\n", "\n")


note_text = st.text(
    alphabet=st.sampled_from(HANZI + list(": #'\"-[]{}*&!|>%@`,?0123456789.eE+yesnoTruFalNul~\\/\t\n ")),
    max_size=20,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledger(), st.booleans(), st.booleans())
def test_house_style_ledger_round_trips_byte_for_byte(generated, crlf, bom):
    text = generated[0]
    assert ruamel_roundtrip(text) == text
    raw = as_bytes(text, crlf, bom)
    assert render_edit(raw, "g.yaml", lambda root: None, Scope.entry(1)) == raw


def check_only_task_changed(text, header, entries, trailer, task_id, new_text, note):
    old_lines = text.split("\n")[:-1]
    new_lines = new_text.split("\n")[:-1]
    assert new_text.endswith("\n")
    before = [line for tid, chunk in entries if tid < task_id for line in chunk]
    after = [line for tid, chunk in entries if tid > task_id for line in chunk] + trailer
    head = list(header)
    if head[-1] in ("tasks: {}",):  # the first entry turns `tasks: {}` into a block
        head[-1] = "tasks:"
    prefix = head + before
    assert new_lines[: len(prefix)] == prefix
    if after:
        assert new_lines[len(new_lines) - len(after):] == after
    middle = new_lines[len(prefix): len(new_lines) - len(after)]
    own = dict(entries).get(task_id)
    if own is not None:  # the entry's own leading blank lines and comments are still above it
        key_line = next(i for i, line in enumerate(own) if line.startswith(f"  {task_id}:"))
        lead = own[:key_line]
        assert middle[: len(lead)] == lead
    assert any(line.startswith(f"  {task_id}:") for line in middle)
    # the data: only task N differs, by the one appended item
    old, _ = parse_yaml(text, "old")
    new, problems = parse_yaml(new_text, "new")
    assert problems == []
    old_tasks = dict(old.data.get("tasks") or {})
    new_tasks = dict(new.data["tasks"])
    old_entry = old_tasks.pop(task_id, None) or {}
    new_entry = new_tasks.pop(task_id)
    assert old_tasks == new_tasks
    assert {k: v for k, v in new_entry.items() if k != "progress"} == {k: v for k, v in old_entry.items() if k != "progress"}
    assert new_entry["progress"] == old_entry.get("progress", []) + [{"date": "2020-07-31", "note": note}]
    assert len(old_lines) < len(new_lines)


@SETTINGS
@given(ledger(), st.booleans(), st.booleans(), st.integers(1, 61), note_text, st.data())
def test_edit_of_task_n_changes_only_task_n_lines(generated, crlf, bom, new_id, note, data):
    text, header, entries, trailer = generated
    existing = [tid for tid, _ in entries]
    task_id = data.draw(st.sampled_from(existing)) if existing and data.draw(st.booleans()) else new_id
    raw = as_bytes(text, crlf, bom)

    def mutate(root):
        append_item(entry_map(root, task_id), "progress", {"date": dt.date(2020, 7, 31), "note": note})

    out = render_edit(raw, "g.yaml", mutate, Scope.entry(task_id))
    assert out.startswith(codecs.BOM_UTF8) == bom
    assert (b"\r\n" in out) == crlf and (out.count(b"\n") == out.count(b"\r\n") or not crlf)
    check_only_task_changed(text, header, entries, trailer, task_id, as_text(out), note)


# --- constructs plain ruamel restyles, in the entries the edit does not touch -------------------

WILD = [
    "    claimed: ~",
    "    claimed: null",
    "    plan:\n      owner:   李四   ",
    "    plan:\n      measures: 第一行\n        第二行",
    "    log:\n      - date: 2020-01-01\n        action: apply\n        evidence: [ a.pdf,\n            b.pdf ]",
    "    plan:\n      owner: \"\\u674e\\u56db\"",
    "    plan:\n      owner:\n        # 待定\n        李四",
    "    progress:\n    - date: 2020-01-01\n      note: 顶格的横线",
    "    plan: {owner: 李四, leader: 张三}",
    "    plan:\n      due: 2020-06-30   # 行尾注释前多了空格",
]


@SETTINGS
@given(ledger(), st.lists(st.sampled_from(WILD), min_size=1, max_size=3), st.integers(1, 61), note_text, st.booleans())
def test_restyled_constructs_elsewhere_are_kept_byte_for_byte(generated, wild, new_id, note, final_newline):
    text, header, entries, trailer = generated
    # put the wild bodies into entries 100, 101, ... (above none of the edited ones)
    wild_entries = [(100 + i, [f"  {100 + i}:"] + body.split("\n")) for i, body in enumerate(wild)]
    if not entries and header[-1] != "tasks:":
        header = header[:-1] + ["tasks:"]
    entries = entries + wild_entries
    text = "\n".join(header + [l for _, c in entries for l in c] + trailer) + "\n"
    task_id = new_id

    def mutate(root):
        append_item(entry_map(root, task_id), "progress", {"date": dt.date(2020, 7, 31), "note": note})

    raw = text.encode("utf-8") if final_newline else text.rstrip("\n").encode("utf-8")
    out = render_edit(raw, "g.yaml", mutate, Scope.entry(task_id))
    new_text = out.decode("utf-8")
    assert new_text.endswith("\n") == final_newline
    check_only_task_changed(text, header, entries, trailer, task_id, new_text if final_newline else new_text + "\n", note)


# --- mixed LF / CRLF / CR-only line endings -------------------------------------------------------


def with_endings(text: str, endings: list[str]) -> bytes:
    lines = text.split("\n")[:-1]
    chosen = [endings[i % len(endings)] for i in range(len(lines))]
    for i in range(1, len(lines)):  # "\r" then an empty line ending "\n" would read as one "\r\n"
        if chosen[i - 1] == "\r" and lines[i] == "" and chosen[i] == "\n":
            chosen[i] = "\r"
    return "".join(line + chosen[i] for i, line in enumerate(lines)).encode("utf-8")


def split_keeping_endings(data: bytes) -> list[bytes]:
    import re

    return re.findall(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data)


@SETTINGS
@given(
    ledger(),
    st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=5),
    st.integers(1, 61),
    note_text,
    st.data(),
)
def test_edit_keeps_every_untouched_line_ending_byte_for_byte(generated, endings, new_id, note, data):
    """Whatever mix of LF, CRLF and CR-only the file has (CR-only included), the lines outside
    task N keep their bytes, endings and all; only task N's lines change."""
    text, header, entries, trailer = generated
    existing = [tid for tid, _ in entries]
    task_id = data.draw(st.sampled_from(existing)) if existing and data.draw(st.booleans()) else new_id
    raw = with_endings(text, endings)

    def mutate(root):
        append_item(entry_map(root, task_id), "progress", {"date": dt.date(2020, 7, 31), "note": note})

    out = render_edit(raw, "g.yaml", mutate, Scope.entry(task_id))
    old_lines, new_lines = split_keeping_endings(raw), split_keeping_endings(out)
    before = [line for tid, chunk in entries if tid < task_id for line in chunk]
    after = [line for tid, chunk in entries if tid > task_id for line in chunk] + trailer
    prefix = len(header) + len(before) - (1 if header[-1] == "tasks: {}" else 0)
    assert new_lines[:prefix] == old_lines[:prefix]
    if after:
        assert new_lines[len(new_lines) - len(after):] == old_lines[len(old_lines) - len(after):]
    normalised = out.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    check_only_task_changed(text, header, entries, trailer, task_id, normalised, note)


def test_cr_only_ledger_edit_keeps_cr_only():
    raw = b"unit: kerqin\rtasks:\r  7:\r    plan:\r      owner: \xe6\x9d\x8e\xe5\x9b\x9b\r  9: {}\r"

    def mutate(root):
        append_item(entry_map(root, 8), "progress", {"date": dt.date(2020, 7, 31), "note": "进展"})

    out = render_edit(raw, "g.yaml", mutate, Scope.entry(8))
    assert b"\n" not in out and out.startswith(raw[: raw.index(b"  9:")])
    assert out.endswith(b"  9: {}\r") and b"  8:\r" in out


def test_mixed_ledger_edit_of_task_8_keeps_tasks_7_and_9_bytes():
    raw = b"unit: kerqin\r\ntasks:\n  7:\r\n    plan:\n      owner: a\r\n  8:\n    plan:\r\n      owner: b\n  9:\r\n    plan:\n      owner: c\r\n"

    def mutate(root):
        append_item(entry_map(root, 8), "progress", {"date": dt.date(2020, 7, 31), "note": "进展"})

    out = render_edit(raw, "g.yaml", mutate, Scope.entry(8))
    assert out.startswith(b"unit: kerqin\r\ntasks:\n  7:\r\n    plan:\n      owner: a\r\n  8:\n    plan:\r\n      owner: b\n")
    assert out.endswith(b"  9:\r\n    plan:\n      owner: c\r\n")
