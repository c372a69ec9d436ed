"""An edit of one entry made on a window of the ledger (store/editwindow.py) writes exactly the
bytes the edit of the whole file writes, or is refused for the same reasons — over generated
ledgers with the constructs that make a window unsafe put in the edited entry, next to it and
around `tasks:` — and a window is used where it should be (so a big ledger does not cost a
whole-file round trip)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fazhi_cli.store import ledgeredit
from fazhi_cli.store.editwindow import entry_window
from fazhi_cli.store.ledgeredit import EditRefused, Scope, append_item, entry_map, render_edit, set_value
from fazhi_cli.store.yamlread import parse_yaml
from test_roundtrip_properties import SETTINGS, WILD, as_bytes, ledger, note_text

# Constructs whose meaning depends on what follows them, or that share lines with others.
AWKWARD = WILD + [
    "    progress:\n      - date: 2020-03-01\n        note: |\n          第一行\n          第二行",
    "    progress:\n      - date: 2020-03-01\n        note: |+\n          保留末尾空行\n",
    "    progress:\n      - date: 2020-03-01\n        note: >-\n          折叠\n          的文字",
    "    progress:\n      - date: 2020-03-01\n        note: |\n          # 不是注释\n          正文",
    "    progress: [{date: 2020-03-01, note: 流式}]",
    "    progress:\n      - {date: 2020-03-01,\n         note: 跨行的流式}",
    "    plan:\n      owner: '跨行的\n        单引号'",
]


def both(raw: bytes, mutate, task_id: int):
    """(windowed result, whole-file result): bytes, or the refusal's codes and lines."""
    out = []
    for windowed in (True, False):
        try:
            out.append(render_edit(raw, "g.yaml", mutate, Scope.entry(task_id), windowed=windowed))
        except EditRefused as exc:
            out.append(sorted((p.code, p.line) for p in exc.problems))
    return out


def mutations(note: str):
    def progress(entry):
        append_item(entry, "progress", {"date": dt.date(2020, 7, 31), "note": note})

    def plan(entry):
        if entry.get("plan") is None:
            set_value(entry, "plan", {})
        set_value(entry["plan"], "owner", note or "王五")

    def close(entry):
        append_item(entry, "log", {"date": dt.date(2020, 8, 1), "action": "apply", "evidence": ["通政发〔2020〕8号"]})

    return {"progress": progress, "plan": plan, "close": close}


@SETTINGS
@given(
    ledger(),
    st.lists(st.tuples(st.sampled_from(AWKWARD), st.integers(0, 3)), max_size=3),
    st.sampled_from(["progress", "plan", "close"]),
    note_text,
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", "settings:\n  x: 1", "# 结尾注释", "\n\n"]),
    st.data(),
)
def test_windowed_edit_writes_what_the_whole_file_edit_writes(generated, awkward, kind, note, crlf, bom, after, data):
    _, header, entries, trailer = generated
    entries = list(entries)
    for offset, (body, where) in enumerate(awkward):  # odd constructs among, and as, the entries
        task = 70 + offset
        chunk = [f"  {task}:"] + body.split("\n")
        entries.insert(min(where, len(entries)), (task, chunk))
    if not entries:
        return
    if header[-1] != "tasks:":
        header = header[:-1] + ["tasks:"]
    lines = header + [line for _, chunk in entries for line in chunk] + trailer + ([after] if after else [])
    text = "\n".join(lines) + "\n"
    parsed, problems = parse_yaml(text, "g.yaml")
    if parsed is None or problems:
        return  # (an awkward body the reader refuses at that place: nothing to edit)
    task_id = data.draw(st.sampled_from([tid for tid, _ in entries]))
    change = mutations(note)[kind]

    def mutate(root):
        change(entry_map(root, task_id))

    windowed, whole = both(as_bytes(text, crlf, bom), mutate, task_id)
    assert windowed == whole


def big_ledger(entries: int) -> str:
    lines = ["unit: kerqin", "tasks:"]
    for task in range(1, 46):
        lines.append(f"  # 第 {task} 项")
        lines.append(f"  {task}:")
        lines.append("    progress:")
        for n in range(entries // 45):
            lines.append(f"      - date: 2020-{n % 12 + 1:02d}-01")
            lines.append(f"        note: 第{n + 1}次推进")
        lines.append("")
    return "\n".join(lines) + "\n"


def test_a_big_ledger_is_edited_in_a_window_of_its_entry(monkeypatch):
    text = big_ledger(900)
    raw = text.encode("utf-8")
    parsed, _ = parse_yaml(text, "g.yaml")
    window = entry_window(parsed, text.split("\n")[:-1], 7)
    assert window is not None
    assert (window.entry_start, window.entry_stop) == (text.split("\n").index("  7:"), text.split("\n").index("  8:") - 2)
    loaded: list[int] = []
    real_load = ledgeredit._load

    def counting_load(source, shown, layout):
        loaded.append(len(source.lines))
        return real_load(source, shown, layout)

    monkeypatch.setattr(ledgeredit, "_load", counting_load)

    def mutate(root):
        append_item(entry_map(root, 7), "progress", {"date": dt.date(2020, 11, 30), "note": "新增"})

    windowed = render_edit(raw, "g.yaml", mutate, Scope.entry(7))
    assert len(loaded) == 1 and loaded[0] < 50  # ruamel read the window (~45 lines), not 1,900
    whole = render_edit(raw, "g.yaml", mutate, Scope.entry(7), windowed=False)
    assert loaded[1] == len(text.split("\n")) - 1
    assert windowed == whole
    assert windowed.decode().split("\n")[window.entry_stop : window.entry_stop + 2] == ["      - date: 2020-11-30", "        note: 新增"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("unit: kerqin\ntasks: {7: {}, 8: {}}\n", "flow tasks"),
        ("unit: kerqin\ntasks:\n  6: {}\n  8: {}\n", "the entry is missing"),
        ("unit: kerqin\n\"tasks\":\n  7: {}\n", "a quoted tasks key"),
        ("unit: kerqin\ntasks: # 任务\n  7: {progress: [], log: []}\n  8: {}\n", None),
    ],
)
def test_no_window_where_the_file_does_not_allow_one(text, reason):
    parsed, problems = parse_yaml(text, "g.yaml")
    assert not problems
    window = entry_window(parsed, text.split("\n")[:-1], 7)
    assert (window is None) == (reason is not None), reason


def test_a_mutate_reaching_beyond_its_entry_is_judged_on_the_whole_file():
    text = "unit: kerqin\ntasks:\n  7: {}\n  8:\n    plan:\n      owner: 赵六\n"

    def mutate(root):
        append_item(entry_map(root, 7), "progress", {"date": dt.date(2020, 7, 1), "note": "x"})
        set_value(root["tasks"][8]["plan"], "owner", "钱七")  # not in the window: KeyError there

    with pytest.raises(EditRefused) as info:
        render_edit(text.encode(), "g.yaml", mutate, Scope.entry(7))
    assert info.value.problems[0].code == "E401" and info.value.problems[0].line == 6
