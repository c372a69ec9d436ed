"""Reading ledger versions by their parts (store/ledgerparts.py) gives exactly what reading each
file whole gives, or nothing (then history reads it whole): over generated ledgers and their
histories, the hostile corpus, the YAML test suite, hand-made edge cases and random edits."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store import decode as decode_module
from fazhi_cli.store import yamlread
from fazhi_cli.store.ledgerparts import LedgerParts, split_entry
from fazhi_cli.store.loader import load_model
from tests.conftest import REPO
from tests.test_benchmark_workspace import gen

CORPUS = REPO / "tests" / "corpus"
SUITE = REPO.parent / "shared" / "corpora" / "yaml-test-suite"
PATH = "ledgers/kerqin.yaml"


def whole(raw: bytes) -> Ledger | None:
    loaded = load_model(Path(PATH), PATH, Ledger, raw=raw)
    return loaded.model if loaded.model is not None and not any(p.is_error for p in loaded.problems) else None


def same(a: Ledger, b: Ledger) -> bool:
    """Equal models, with the same fields set (what was written, not defaulted)."""
    return a == b and a.model_dump(exclude_unset=True) == b.model_dump(exclude_unset=True)


def agree(versions: list[bytes], reader: LedgerParts | None = None) -> int:
    """Read the versions one after another by parts; each result is the whole read's, or None.
    Returns how many were read by parts."""
    reader = reader or LedgerParts()
    by_parts = 0
    for raw in versions:
        got = reader.read(raw, PATH)
        if got is None:
            continue
        expected = whole(raw)
        assert expected is not None, raw.decode("utf-8", "replace")[:2000]
        assert same(got, expected), raw.decode("utf-8", "replace")[:2000]
        by_parts += 1
    return by_parts


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("parts") / "ws"
    gen.make(root, 8, n_tasks=12, seed=3, commits=40)
    return root


@pytest.fixture(scope="module")
def base(workspace) -> bytes:
    """A generated ledger with plans, progress, records, log and extensions."""
    files = sorted((workspace / "ledgers").glob("*.yaml"), key=lambda p: len(p.read_bytes()))
    return files[-1].read_bytes()


def test_generated_ledgers_are_read_by_parts_as_whole(workspace):
    files = sorted((workspace / "ledgers").glob("*.yaml"))
    with_entries = [f for f in files if b"tasks: {}" not in f.read_bytes()]  # `tasks: {}` is read whole
    assert len(with_entries) > 5
    assert agree([f.read_bytes() for f in files]) == len(with_entries)


def test_a_generated_history_is_read_by_parts_as_whole(workspace):
    """Each version of the edited ledger, as the last one's successor."""
    ledger = next(p for p in (workspace / "ledgers").glob("*.yaml") if subprocess.run(
        ["git", "log", "--format=%H", "--", p.relative_to(workspace).as_posix()], cwd=workspace, capture_output=True, text=True
    ).stdout.count("\n") > 10)
    relative = ledger.relative_to(workspace).as_posix()
    shas = subprocess.run(["git", "log", "--reverse", "--format=%H", "--", relative], cwd=workspace, capture_output=True, text=True).stdout.split()
    versions = [subprocess.run(["git", "show", f"{sha}:{relative}"], cwd=workspace, capture_output=True).stdout for sha in shas]
    assert agree(versions) == len(versions)
    # backwards too, and each version after every other one
    assert agree(versions[::-1]) == len(versions)
    reader = LedgerParts()
    agree(versions[::3] + versions[1::3] + versions[2::3], reader)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.yaml")))
def test_the_hostile_corpus(base, name):
    raw = (CORPUS / name).read_bytes()
    agree([raw])
    agree([base, raw, base])  # as a successor of a valid ledger, and followed by one


def test_the_hostile_corpus_inside_an_entry(base):
    """Each corpus file's lines put into the middle of an entry of a valid ledger, indented as
    entry content, as a list item and at the entries' own indentation."""
    text = base.decode("utf-8")
    lines = text.split("\n")
    middle = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("      - "))
    for path in sorted(CORPUS.glob("*.yaml")):
        snippet = path.read_bytes().decode("utf-8", "replace").split("\n")
        for pad in ("  ", "    ", "      "):
            mutant = lines[:middle] + [pad + s for s in snippet] + lines[middle:]
            agree([base, "\n".join(mutant).encode("utf-8")])


def test_the_yaml_test_suite():
    if not SUITE.is_dir():
        pytest.skip("the YAML test suite is not in shared/corpora")
    reader = LedgerParts()
    for case in sorted(SUITE.iterdir()):
        source = case / "in.yaml"
        if source.is_file():
            raw = source.read_bytes()
            agree([raw], reader)
            agree([b"unit: kerqin\ntasks:\n" + b"\n".join(b"  " + line for line in raw.split(b"\n"))], reader)


ENTRY = """\
  {n}:
    plan:
      leader: 张三
    progress:
      - date: 2020-0{m}-01
        note: 第{n}项进展
        evidence:
          - 通政发〔2020〕{n}号
      - date: 2020-0{m}-02
        note: 又一项
    log:
    - date: 2020-0{m}-03
      action: apply
      evidence:
      - 通政发〔2020〕{n}号
"""


def ledger_text(*entries: str, head: str = "unit: kerqin\ntasks:\n", tail: str = "") -> bytes:
    return (head + "".join(entries) + tail).encode("utf-8")


def entry(n: int, m: int = 3) -> str:
    return ENTRY.format(n=n, m=m)


EDGE_CASES = {
    "plain": ledger_text(entry(1), entry(2)),
    "unit after the tasks": ledger_text(entry(1), head="tasks:\n", tail="unit: kerqin\n"),
    "comments everywhere": ledger_text("  # 任务1\n", entry(1), "# at column 0\n", entry(2), "  # 任务3\n", head="# 台账\nunit: kerqin\ntasks:  # 任务\n"),
    "document markers": ledger_text(entry(1), head="---\nunit: kerqin\ntasks:\n", tail="...\n"),
    "a second document": ledger_text(entry(1), tail="---\nunit: kerqin\n"),
    "crlf": ledger_text(entry(1), entry(2)).replace(b"\n", b"\r\n"),
    "bom": b"\xef\xbb\xbf" + ledger_text(entry(1)),
    "no final newline": ledger_text(entry(1), entry(2)).rstrip(b"\n"),
    "empty entry": ledger_text("  5:\n", entry(1), "  6: null\n", "  7: {}\n"),
    "duplicate entry": ledger_text(entry(1), entry(1, 4)),
    "duplicate by value": ledger_text(entry(7), entry(7).replace("  7:", "  007:", 1)),
    "quoted key": ledger_text(entry(1), '  "2":\n    claimed: 2020-03-01\n'),
    "string key beside": ledger_text(entry(1), "  x:\n    claimed: 2020-03-01\n"),
    "entry key line in a quoted note": ledger_text(entry(1).replace("note: 又一项", 'note: "又一项\n  3: 不是条目"'), entry(2)),
    "entry key line in a single-quoted note": ledger_text(entry(1).replace("note: 又一项", "note: '又一项\n  3:\n    a: b'"), entry(2)),
    "keep chomping before the next entry": ledger_text(entry(1).replace("note: 又一项", "note: |+\n          又一项\n\n"), "\n  # c\n\n", entry(2)),
    "keep chomping at the end": ledger_text(entry(1), entry(2).replace("note: 又一项", "note: |+\n          又一项\n\n\n")),
    "folded note": ledger_text(entry(1).replace("note: 又一项", "note: >-\n          又一项\n          二\n")),
    "plain note over lines": ledger_text(entry(1).replace("note: 又一项", "note: 又一项\n          二\n  # 不是注释吗")),
    "flow entry": ledger_text("  1: {plan: {leader: 张三}}\n", entry(2)),
    "flow tasks": b"unit: kerqin\ntasks: {1: {claimed: 2020-03-01}}\n",
    "block sequence under tasks": ledger_text("- a\n", head="unit: kerqin\ntasks:\n"),
    "sequence at the entries' indentation": ledger_text(entry(1), "  - a\n"),
    "tasks twice": ledger_text(entry(1), tail="tasks:\n" + entry(2)),
    "unit twice": ledger_text(entry(1), tail="unit: other\n"),
    "anchor and alias": ledger_text(entry(1).replace("leader: 张三", "leader: &a 张三"), entry(2).replace("leader: 张三", "leader: *a")),
    "tag": ledger_text(entry(1).replace("leader: 张三", "leader: !!str 张三"), entry(2)),
    "odd tag": ledger_text(entry(1).replace("leader: 张三", "leader: !x 张三"), entry(2)),
    "directive": ledger_text(entry(1).replace("leader: 张三", "leader: !!str 张三"), head="%TAG !! tag:example.com,2000:\n---\nunit: kerqin\ntasks:\n"),
    "tab in a comment before the entries": ledger_text(entry(1), head="unit: kerqin\ntasks:\n  #\tx\n"),
    "tab in an item": ledger_text(entry(1).replace("note: 又一项", "note:\t又一项")),
    "control character": ledger_text(entry(1).replace("又一项", "又\x07一项")),
    "line separator": ledger_text(entry(1).replace("又一项", "又\u2028一项")),
    "odd indentation": ledger_text(entry(1), " 9:\n    claimed: 2020-03-01\n"),
    "deeper entry line": ledger_text(entry(1), "   9:\n    claimed: 2020-03-01\n"),
    "entries at 4": ledger_text(*(entry(n).replace("\n", "\n  ").replace("  " + str(n) + ":", "    " + str(n) + ":", 1).rstrip(" ") for n in (1, 2))),
    "item at the key's indentation": ledger_text("  1:\n    progress:\n    - date: 2020-03-01\n      note: 甲\n    - date: 2020-03-02\n      note: 乙\n    log:\n    - date: 2020-03-03\n      action: apply\n      evidence: [通政发〔2020〕1号]\n", entry(2)),
    "misaligned item": ledger_text(entry(1).replace("      - date: 2020-03-02", "     - date: 2020-03-02")),
    "item text at column zero": ledger_text(entry(1).replace("note: 又一项", 'note: "又一项\n  - x"')),
    "unknown field": ledger_text(entry(1).replace("leader:", "leeder:")),
    "bad date in an item": ledger_text(entry(1).replace("2020-03-02", "2020-02-30")),
    "not utf-8": ledger_text(entry(1)).replace("又一项".encode(), "又一项".encode("gb18030")),
    "nul": ledger_text(entry(1)).replace(b"\n    log", b"\x00\n    log"),
    "utf-16": b"\xff\xfe" + ledger_text(entry(1)).decode().encode("utf-16-le"),
    "empty file": b"",
    "only the top": b"unit: kerqin\ntasks:\n",
    "progress inline": ledger_text(entry(1).replace("    progress:\n", "    progress: # 进展\n")),
    "progress twice": ledger_text(entry(1).replace("    log:\n", "    progress:\n")),
    "list key after a comment": ledger_text(entry(1).replace("    progress:\n", "    progress:\n      # 进展\n\n")),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases(name):
    raw = EDGE_CASES[name]
    plain = EDGE_CASES["plain"]
    agree([raw])
    agree([plain, raw, plain, raw])  # each as the other's successor: the changed part read again


def test_the_simple_shapes_are_read_by_parts():
    """Guards that the fast path is taken at all where it should be."""
    for name in ("plain", "unit after the tasks", "comments everywhere", "crlf", "bom", "no final newline", "keep chomping at the end", "entries at 4", "item at the key's indentation", "empty entry"):
        assert LedgerParts().read(EDGE_CASES[name], PATH) is not None, name


def test_the_limits_of_a_whole_file_apply_to_the_sum_of_the_parts(monkeypatch):
    """Nodes, depth and line length: at the smallest limit the whole file is read with, the parts
    give it too; one below, neither does."""
    raw = ledger_text(*(entry(n) for n in range(1, 6)))
    for module, name in ((yamlread, "MAX_NODES"), (yamlread, "MAX_DEPTH"), (decode_module, "MAX_LINE_CHARS")):
        kept = getattr(module, name)
        value = 1
        while True:
            monkeypatch.setattr(module, name, value)
            if whole(raw) is not None:
                break
            value += 1
        assert same(LedgerParts().read(raw, PATH), whole(raw))
        monkeypatch.setattr(module, name, value - 1)
        assert whole(raw) is None and LedgerParts().read(raw, PATH) is None, name
        monkeypatch.setattr(module, name, kept)


def test_an_entry_is_split_at_its_lists_items():
    skeleton, inner, sections = split_entry(entry(4), 2)
    assert inner == 4
    assert [(name, line, indent, len(items)) for name, line, indent, items in sections] == [("progress", 4, 6, 2), ("log", 5, 4, 1)]
    assert skeleton == "  4:\n    plan:\n      leader: 张三\n    progress:\n    log:\n"
    assert "".join(sections[0][3]) + "".join(sections[1][3]) in entry(4).replace("    log:\n", "")


# Lines that stress the split: entry keys, list items and keys at every indentation, quotes,
# block scalars, flow, anchors, tabs, markers.
TRICKY = [
    "  9:", "  9: {}", "  09:", ' "9":', "   9:", " 9:", "9:", "  - x", "- x", "    - x", "      - date: 2020-05-01",
    "        note: 新", "    progress:", "    log:", "    progress: []", "tasks:", "unit: kerqin", "unit: other",
    '      note: "开', '闭"', "      note: '开", "闭'", "      note: |+", "      note: >", "          续", "",
    "  # c", "# c", "---", "...", "%TAG ! x", "  9: &a", "    leader: *a", "\t", "  [", "  ]", "    claimed: 2020-03-01",
    "    extensions:", "      - requested: 2020-04-01", "        reason: 需要", "        new_due: 2020-06-01",
]


def test_random_edits(base):
    rng = random.Random(12)
    lines = base.decode("utf-8").split("\n")
    reader = LedgerParts()
    read = 0
    for _ in range(400):
        mutant = list(lines)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(mutant))
            kind = rng.random()
            if kind < 0.4:
                mutant.insert(at, rng.choice(TRICKY))
            elif kind < 0.55:
                del mutant[at]
            elif kind < 0.7:
                mutant[at] = " " + mutant[at]
            elif kind < 0.8:
                mutant[at] = mutant[at][1:]
            else:  # move a block of lines (entries and items reordered)
                size = rng.randint(1, 12)
                block, mutant[at : at + size] = mutant[at : at + size], []
                target = rng.randrange(len(mutant) + 1)
                mutant[target:target] = block
        read += agree([base, "\n".join(mutant).encode("utf-8")], reader)
    assert read > 400  # most edits leave a readable ledger; the base is read by parts each time
