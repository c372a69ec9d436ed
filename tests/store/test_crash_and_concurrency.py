"""Kills and races: a ledger is always either the old or the new file, never a mix, and
concurrent writers lose nothing.

(a) A child process appends to task 7 in a loop; the parent SIGKILLs it at random moments,
    200 times. After every kill the file is exactly one of the states the edits go through
    (state n = the first n appends), and parses. A kill between mkstemp and os.replace may
    leave an orphan `.kerqin.yaml.XXXXXXXX.tmp`: it is not a `.yaml` file, so nothing reads it
    (`Workspace.ledger_files`), and the next `edit_ledger` deletes it while holding the lock.
(b) 20 processes append to 20 different tasks of one ledger at the same moment.
(c) 10 processes append to the same task at the same moment.

Children are forked (multiprocessing "fork" context): they inherit the imported modules, so a
child is editing within a millisecond of starting, and 200 kills take a few seconds.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

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


# --- (a) SIGKILL at random moments --------------------------------------------------------------


def _append_forever(path: Path, ready) -> None:
    ready.set()
    while True:
        edit_ledger(path, "ledgers/kerqin.yaml", append_note(7, nth), scope=Scope.entry(7))


def test_sigkill_at_random_moments_200_times_leaves_old_or_new_file(tmp_path):
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    path = ledgers / "kerqin.yaml"
    path.write_bytes(BASE_BYTES)
    # every state the file may be in: states[n] after n appends
    states = [BASE_BYTES]

    def state(n: int) -> bytes:
        while len(states) <= n:
            states.append(render_edit(states[-1], "k", append_note(7, nth), Scope.entry(7)))
        return states[n]

    rng = random.Random(20200731)
    kills = 200
    orphans_seen = 0
    edits_seen = 0
    started = time.monotonic()
    for kill in range(kills):
        if kill % 10 == 0:  # start over now and then so the file stays small and edits stay fast
            path.write_bytes(BASE_BYTES)
        before = path.read_bytes()
        ready = FORK.Event()
        child = FORK.Process(target=_append_forever, args=(path, ready))
        child.start()
        assert ready.wait(10)
        # one edit takes 10-30 ms here: kill anywhere in the first two or three
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        data = path.read_bytes()
        n = len(progress_notes(data, 7)) - 1  # minus the item BASE has
        assert data == state(n), f"kill {kill}: the file is not exactly state {n}"
        old_n = len(progress_notes(before, 7)) - 1
        assert n >= old_n
        edits_seen += n - old_n
        extra = {p.name for p in ledgers.iterdir()} - {"kerqin.yaml", ".kerqin.yaml.lock"}
        orphans = safewrite.orphan_temp_files(path)
        assert extra == {p.name for p in orphans}, f"unexpected files: {extra}"
        orphans_seen += len(orphans)
        assert Workspace(tmp_path).ledger_files() == [path]
    elapsed = time.monotonic() - started
    assert edits_seen >= 10, "the children hardly ever got to write: the kills test nothing"
    # the next edit clears whatever orphans the last kill left
    edit_ledger(path, "k", append_note(7, nth), scope=Scope.entry(7))
    assert safewrite.orphan_temp_files(path) == []
    print(f"\n{kills} kills in {elapsed:.1f} s: {edits_seen} completed edits, {orphans_seen} orphan temp files seen")


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
