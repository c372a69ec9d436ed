"""safewrite: one lock per path, atomic replace, hash check, cleanup on every failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fazhi_cli.store import safewrite
from fazhi_cli.store.safewrite import (
    ABSENT,
    Busy,
    ChangedOnDisk,
    WriteError,
    atomic_write,
    lock_for,
    lock_path,
    locked,
    orphan_temp_files,
    remove_orphan_temp_files,
    sha256_bytes,
)
from fazhi_cli.store.workspace import Workspace

OLD = "unit: kerqin\n".encode("utf-8")
NEW = "unit: kerqin\ntasks: {}\n".encode("utf-8")


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledgers" / "kerqin.yaml"
    path.parent.mkdir()
    path.write_bytes(OLD)
    return path


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name not in (path.name, f".{path.name}.lock"))


def test_sha256_bytes():
    assert sha256_bytes(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_atomic_write_replaces_content_when_hash_matches(ledger):
    atomic_write(ledger, NEW, expected_sha256=sha256_bytes(OLD))
    assert ledger.read_bytes() == NEW
    assert leftovers(ledger) == []


def test_atomic_write_new_file_gets_0644_and_absent_check(tmp_path):
    path = tmp_path / "new.yaml"
    old_umask = os.umask(0o077)
    try:
        atomic_write(path, NEW, expected_sha256=ABSENT)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == NEW
    assert os.stat(path).st_mode & 0o777 == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o664, 0o640])
def test_atomic_write_keeps_the_original_mode_not_mkstemps_0600(ledger, mode):
    os.chmod(ledger, mode)
    atomic_write(ledger, NEW, expected_sha256=None)
    assert os.stat(ledger).st_mode & 0o777 == mode


def test_changed_on_disk_when_hash_differs_file_untouched_no_temp(ledger):
    with pytest.raises(ChangedOnDisk) as info:
        atomic_write(ledger, NEW, expected_sha256=sha256_bytes(b"what was read earlier"))
    assert isinstance(info.value, WriteError)
    assert "本次没有写入" in info.value.message
    assert ledger.read_bytes() == OLD
    assert leftovers(ledger) == []


def test_changed_on_disk_when_file_appeared(ledger):
    with pytest.raises(ChangedOnDisk):
        atomic_write(ledger, NEW, expected_sha256=ABSENT)
    assert ledger.read_bytes() == OLD
    assert leftovers(ledger) == []


def test_changed_on_disk_when_file_vanished(ledger):
    expected = sha256_bytes(OLD)
    ledger.unlink()
    with pytest.raises(ChangedOnDisk):
        atomic_write(ledger, NEW, expected_sha256=expected)
    assert not ledger.exists()
    assert leftovers(ledger) == []


def test_no_check_when_expected_is_none(ledger):
    atomic_write(ledger, NEW, expected_sha256=None)
    assert ledger.read_bytes() == NEW


def test_symlinked_ledger_writes_the_real_file_and_keeps_the_link(tmp_path, ledger):
    link = tmp_path / "link.yaml"
    link.symlink_to(ledger)
    atomic_write(link, NEW, expected_sha256=sha256_bytes(OLD))
    assert link.is_symlink() and ledger.read_bytes() == NEW
    assert lock_for(link) is lock_for(ledger)


def test_replace_failure_raises_write_error_and_deletes_temp(ledger, monkeypatch):
    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safewrite.os, "replace", broken)
    with pytest.raises(WriteError) as info:
        atomic_write(ledger, NEW, expected_sha256=sha256_bytes(OLD))
    assert "原文件未改动" in info.value.message
    assert ledger.read_bytes() == OLD
    assert leftovers(ledger) == []


def test_interrupt_during_write_deletes_temp(ledger, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(safewrite.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(ledger, NEW, expected_sha256=None)
    assert ledger.read_bytes() == OLD
    assert leftovers(ledger) == []


def test_windows_permission_error_is_retried(ledger, monkeypatch):
    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(1)
        if len(calls) < 4:
            raise PermissionError(13, "The process cannot access the file (held by antivirus)")
        real_replace(src, dst)

    monkeypatch.setattr(safewrite, "_RETRY_PERMISSION_ERRORS", True)
    monkeypatch.setattr(safewrite.os, "replace", flaky)
    atomic_write(ledger, NEW, expected_sha256=sha256_bytes(OLD))
    assert len(calls) == 4 and ledger.read_bytes() == NEW
    assert leftovers(ledger) == []


def test_windows_permission_error_gives_up_after_the_retry_time(ledger, monkeypatch):
    def held(src, dst):
        raise PermissionError(13, "held")

    monkeypatch.setattr(safewrite, "_RETRY_PERMISSION_ERRORS", True)
    monkeypatch.setattr(safewrite, "REPLACE_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(safewrite.os, "replace", held)
    with pytest.raises(WriteError):
        atomic_write(ledger, NEW, expected_sha256=None)
    assert ledger.read_bytes() == OLD
    assert leftovers(ledger) == []


def test_permission_error_is_not_retried_on_posix(ledger, monkeypatch):
    calls = []

    def held(src, dst):
        calls.append(1)
        raise PermissionError(13, "denied")

    monkeypatch.setattr(safewrite.os, "replace", held)
    with pytest.raises(WriteError):
        atomic_write(ledger, NEW, expected_sha256=None)
    assert len(calls) == 1


def test_directory_is_fsynced_after_replace(ledger, monkeypatch):
    synced = []
    monkeypatch.setattr(safewrite, "_fsync_directory", lambda d: synced.append(d))
    atomic_write(ledger, NEW, expected_sha256=None)
    assert synced == [str(ledger.parent)]


def test_missing_folder_raises_write_error(tmp_path):
    with pytest.raises(WriteError) as info:
        atomic_write(tmp_path / "no-such-folder" / "kerqin.yaml", NEW, expected_sha256=None)
    assert "临时文件" in info.value.message


# --- locks ---------------------------------------------------------------------------------------


def test_one_lock_object_per_resolved_path(ledger, tmp_path):
    other_spelling = tmp_path / "ledgers" / ".." / "ledgers" / "kerqin.yaml"
    assert lock_for(ledger) is lock_for(other_spelling)
    assert lock_for(ledger) is not lock_for(tmp_path / "ledgers" / "horqin.yaml")


def test_lock_file_is_hidden_beside_the_ledger_never_the_ledger_itself(ledger):
    assert lock_path(ledger) == ledger.parent.resolve() / ".kerqin.yaml.lock"
    with lock_for(ledger):
        assert lock_path(ledger).exists()
        atomic_write(ledger, NEW, expected_sha256=sha256_bytes(OLD))  # replacing works while locked
    assert ledger.read_bytes() == NEW
    assert Workspace(ledger.parent.parent).ledger_files() == [ledger]


def test_lock_is_reentrant_in_one_thread(ledger):
    with lock_for(ledger), locked(ledger), lock_for(ledger):
        pass


def _hold_lock(path: Path):
    script = (
        "import sys, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); "
        "print('locked', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(lock_path(path))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_busy_with_chinese_message_when_lock_held_elsewhere(ledger):
    holder = _hold_lock(ledger)
    try:
        with pytest.raises(Busy) as info:
            with locked(ledger, timeout=0.2):
                pass  # pragma: no cover
        assert info.value.message == "台账正被其他人或程序修改，请稍后重试"
        assert isinstance(info.value, WriteError)
        with pytest.raises(Busy):  # plain `lock_for(path).acquire` raises Busy too
            lock_for(ledger).acquire(timeout=0.1)
    finally:
        holder.stdin.close()
        holder.wait(10)
    with locked(ledger, timeout=5):
        pass


def test_default_timeout_is_15_seconds(ledger):
    assert safewrite.LOCK_TIMEOUT == 15
    assert lock_for(ledger).timeout == 15


def test_forked_child_gets_its_own_lock_object(ledger):
    import multiprocessing

    parent_lock = lock_for(ledger)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child_locks, args=(ledger, parent_lock, queue))
    process.start()
    process.join(20)
    assert process.exitcode == 0
    assert queue.get(timeout=5) == "ok"


def _child_locks(path, parent_lock, queue):
    lock = lock_for(path)  # filelock refuses to use the inherited object in the child
    with lock:
        pass
    queue.put("ok" if lock is not parent_lock and lock_for(path) is lock else "same")


# --- orphans -------------------------------------------------------------------------------------


def test_orphan_temp_files_are_found_ignored_by_the_workspace_and_removed(ledger):
    import tempfile

    fd, orphan = tempfile.mkstemp(prefix=".kerqin.yaml.", suffix=".tmp", dir=ledger.parent)
    os.close(fd)
    unrelated = ledger.parent / ".kerqin.yaml.notes.tmp"
    unrelated.write_text("x")
    assert orphan_temp_files(ledger) == [Path(orphan)]
    assert Workspace(ledger.parent.parent).ledger_files() == [ledger]
    assert remove_orphan_temp_files(ledger) == [Path(orphan)]
    assert not Path(orphan).exists() and unrelated.exists()


def test_lock_file_is_group_writable_when_the_folder_is(tmp_path):
    import stat as _stat

    from fazhi_cli.store.safewrite import lock_path, locked

    for folder_mode, wanted in ((0o2775, 0o664), (0o755, 0o644)):
        folder = tmp_path / f"ledgers{folder_mode:o}"
        folder.mkdir()
        folder.chmod(folder_mode)
        target = folder / "kerqin.yaml"
        old = os.umask(0o022)
        try:
            with locked(target):
                mode = _stat.S_IMODE(os.stat(lock_path(target)).st_mode)
        finally:
            os.umask(old)
        assert mode == wanted
        assert not os.path.lexists(lock_path(target))  # removed after use


def test_lock_file_removal_never_lets_two_holders_in(tmp_path):
    """Lock files are removed on release; a process that waited on the removed file must not
    hold it together with one that locked the new file (20 processes × 20 increments)."""
    import multiprocessing

    from fazhi_cli.store.safewrite import lock_path

    counter = tmp_path / "counter.txt"
    counter.write_text("0")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_increment, args=(str(counter), 20)) for _ in range(20)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert counter.read_text() == str(20 * 20)
    assert not os.path.lexists(lock_path(counter))


def _increment(path: str, times: int) -> None:
    from fazhi_cli.store.safewrite import locked

    target = Path(path)
    for _ in range(times):
        with locked(target):
            value = int(target.read_text())
            target.write_text(str(value + 1))
