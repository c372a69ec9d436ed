"""Kills and races: a ledger is always either the old or the new file, never a mix, and
concurrent writers lose nothing.

(a) A forked child edits the ledger and SIGKILLs itself at one step of `safewrite.atomic_write`
    (through `safewrite.crash_hook`): before the data is written to the temp file, after it is
    written, after the fsync, after `os.replace`. Every step is hit on purpose, so each is tested
    every run. After each kill the file is exactly the state before the edit (the first three
    steps) or after it (the last), and parses. A kill before `os.replace` leaves an orphan
    `.kerqin.yaml.XXXXXXXX.tmp`: it is not a `.yaml` file, so nothing reads it
    (`Workspace.ledger_files`), and the next `edit_ledger` deletes it while holding the lock
    (checked in a second child, which edits once, then dies in its second edit).
(b) 20 processes append to 20 different tasks of one ledger at the same moment.
(c) 10 processes append to the same task at the same moment.

Children are forked: they inherit the imported modules, so a child is editing within a
millisecond of starting.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store import safewrite
from fazhi_cli.store.ledgeredit import Scope, append_item, edit_ledger, entry_map, render_edit
from fazhi_cli.store.loader import load_model
from fazhi_cli.store.workspace import Workspace
from fazhi_cli.store.yamlread import parse_yaml

FORK = multiprocessing.get_context("fork")

BASE = """\
# yaml-language-server: $schema=../schemas/ledger.schema.json
# 科尔沁区工作台账
unit: kerqin
tasks:
  1:
    plan:
      leader: 张三
      owner: 李四
      due: 2020-06-30

  # 手写注释：第 7 项
  7:
    progress:
      - date: 2020-03-10
        note: 召开专题会议

  # 第 9 项在 7 之后
  9: {}
"""
BASE_BYTES = BASE.replace("\n", "\r\n").encode("utf-8")


def append_note(task_id: int, note_for):
    """A mutate appending a progress item whose note depends on the items already there."""

    def mutate(root):
        entry = entry_map(root, task_id)
        count = len(entry.get("progress") or [])
        append_item(entry, "progress", {"date": dt.date(2020, 7, 31), "note": note_for(count)})

    return mutate


def nth(count: int) -> str:
    return f"第{count}次追加"


def progress_notes(data: bytes, task_id: int) -> list[str]:
    parsed, problems = parse_yaml(data.decode("utf-8").replace("\r\n", "\n"), "k")
    assert problems == [], problems
    return [item["note"] for item in parsed.data["tasks"][task_id]["progress"]]


# --- (a) SIGKILL at each step of the atomic write ---------------------------------------------

STEPS = ("before-write", "after-write", "after-fsync", "after-replace")


def edit_and_die(path: Path, edits: int, step: str) -> int:
    """Fork a child that makes `edits` edits and SIGKILLs itself at `step` of the last one's write.

    Returns the child's wait status. A child that never reaches `step` exits with 0 (no kill: the
    seam is not on the write path) or 3 (an exception)."""
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 3
        try:
            writes = 0

            def hook(reached: str) -> None:
                nonlocal writes
                if reached == "before-write":
                    writes += 1
                if reached == step and writes == edits:
                    os.kill(os.getpid(), signal.SIGKILL)

            safewrite.crash_hook = hook
            for _ in range(edits):
                edit_ledger(path, "ledgers/kerqin.yaml", append_note(7, nth), scope=Scope.entry(7))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step_of_the_write_leaves_old_or_new_file(tmp_path, step):
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    path = ledgers / "kerqin.yaml"
    path.write_bytes(BASE_BYTES)
    # every state the file may be in: states[n] after n appends
    states = [BASE_BYTES]
    while len(states) <= 4:
        states.append(render_edit(states[-1], "k", append_note(7, nth), Scope.entry(7)))
    landed = step == "after-replace"  # whether the killed edit's bytes are in place

    def assert_after_kill(status: int, expected: int, what: str) -> None:
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"{what}: the child was not killed at {step} (wait status {status})"
        )
        data = path.read_bytes()
        assert data == states[expected], f"{what}: the file is not exactly state {expected}"
        assert len(progress_notes(data, 7)) - 1 == expected
        loaded = load_model(path, "ledgers/kerqin.yaml", Ledger, raw=data)
        assert loaded.problems == [] and loaded.model is not None
        orphans = safewrite.orphan_temp_files(path)
        extra = {p.name for p in ledgers.iterdir()} - {"kerqin.yaml", ".kerqin.yaml.lock"}
        assert extra == {p.name for p in orphans}, f"{what}: unexpected files: {extra}"
        # one temp file from the killed write, none once it was renamed into place; never more
        # (the earlier edits of the same child cleared what the previous kill left)
        assert len(orphans) == (0 if landed else 1), f"{what}: orphans {orphans}"
        if orphans:
            assert states[expected + 1].startswith(orphans[0].read_bytes())
        assert Workspace(tmp_path).ledger_files() == [path]

    # the first edit of a child, killed at `step`
    assert_after_kill(edit_and_die(path, 1, step), 1 if landed else 0, "first child")
    done = 1 if landed else 0
    # a child that edits once (clearing any orphan under the lock), then dies in its second edit
    assert_after_kill(edit_and_die(path, 2, step), done + (2 if landed else 1), "second child")
    done += 2 if landed else 1
    # the next edit in this process clears whatever orphan the last kill left
    edit_ledger(path, "k", append_note(7, nth), scope=Scope.entry(7))
    assert path.read_bytes() == states[done + 1]
    assert safewrite.orphan_temp_files(path) == []


# --- (b) and (c): many writers at once -----------------------------------------------------------


def _append_once(path: Path, task_id: int, note: str, barrier) -> None:
    barrier.wait(30)
    edit_ledger(path, "ledgers/kerqin.yaml", append_note(task_id, lambda count: note), scope=Scope.entry(task_id))


def run_at_once(path: Path, jobs: list[tuple[int, str]]) -> None:
    barrier = FORK.Barrier(len(jobs))
    children = [FORK.Process(target=_append_once, args=(path, task_id, note, barrier)) for task_id, note in jobs]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0] * len(jobs)


def test_20_processes_append_to_20_different_tasks_at_once(tmp_path):
    path = tmp_path / "kerqin.yaml"
    path.write_bytes(BASE_BYTES)
    jobs = [(task_id, f"单位进展{task_id}") for task_id in range(1, 21)]
    run_at_once(path, jobs)
    data = path.read_bytes()
    loaded = load_model(path, "kerqin.yaml", Ledger, raw=data)
    assert loaded.problems == [] and loaded.model is not None
    assert list(loaded.model.tasks) == list(range(1, 21))  # inserted in numeric order
    for task_id, note in jobs:
        assert progress_notes(data, task_id)[-1] == note
    assert progress_notes(data, 7) == ["召开专题会议", "单位进展7"]
    text = data.decode("utf-8")
    assert "\r\n  # 手写注释：第 7 项\r\n  7:\r\n" in text and "  # 第 9 项在 7 之后\r\n  9:\r\n" in text
    assert text.count("\n") == text.count("\r\n")
    assert safewrite.orphan_temp_files(path) == []


def test_10_processes_append_to_the_same_task_at_once(tmp_path):
    path = tmp_path / "kerqin.yaml"
    path.write_bytes(BASE_BYTES)
    jobs = [(9, f"同一任务第{i}人") for i in range(10)]
    run_at_once(path, jobs)
    data = path.read_bytes()
    notes = progress_notes(data, 9)
    assert sorted(notes) == sorted(note for _, note in jobs)
    loaded = load_model(path, "kerqin.yaml", Ledger, raw=data)
    assert loaded.problems == [] and loaded.model is not None
    # nothing else moved: the file is BASE with only task 9's lines different
    assert data.startswith(BASE_BYTES[: BASE_BYTES.index(b"  9: {}")])


def test_8_threads_of_one_process_share_the_one_lock_object(tmp_path):
    import threading

    path = tmp_path / "kerqin.yaml"
    path.write_bytes(BASE_BYTES)
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            edit_ledger(path, "k", append_note(9, lambda count: f"线程{i}"), scope=Scope.entry(9))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(progress_notes(path.read_bytes(), 9)) == sorted(f"线程{i}" for i in range(8))
