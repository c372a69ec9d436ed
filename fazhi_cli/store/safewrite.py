"""Writing a file so that a crash, a kill or a clerk's Notepad never leaves it half written.

Three pieces, used together by every write (see `store.ledgeredit.edit_ledger`):

- `lock_for(path)`: the one lock object this process has for `path`. The lock is a separate
  hidden file beside the target (`ledgers/.kerqin.yaml.lock`; git ignores it through `*.lock`).
  It is created group-writable when its folder is (a shared workspace: another clerk must be able
  to take it too). It is removed on release, while still held: a process that was waiting on
  the removed file sees, once it gets it, that it has no name any more and takes the new one
  (filelock ≥ 4.3 checks this), so two writers never hold two different files. The target itself is never locked, because on Windows
  a lock on it would make `os.replace` fail. Waiting more than `LOCK_TIMEOUT` seconds raises
  `Busy`. A process killed while holding the lock loses it with its file handles.
- `atomic_write(path, data, expected_sha256=...)`: temp file in the same folder, fsync,
  check the file still has the hash that was read (a clerk may have saved it from Notepad in
  the meantime), `os.replace`, fsync the folder.
- `sha256_bytes(data)`.

A process killed mid-write leaves the old file intact and, at worst, an orphan temp file named
`.<name>.<random>.tmp` beside it. Its suffix is `.tmp`, so nothing reads it as a ledger
(`Workspace.ledger_files` only takes `.yaml`/`.yml`); `remove_orphan_temp_files` deletes such
files and `edit_ledger` calls it while holding the lock, when no other writer can be using them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock

LOCK_TIMEOUT = 15.0
# Windows: antivirus, the search indexer or OneDrive may hold a freshly written file for a moment.
REPLACE_RETRY_SECONDS = 3.0
NEW_FILE_MODE = 0o644
TEMP_SUFFIX = ".tmp"

# `expected_sha256=ABSENT`: the file did not exist when it was read and must still not exist.
ABSENT = "absent"

_RETRY_PERMISSION_ERRORS = os.name == "nt"
_FSYNC_DIRECTORY = os.name != "nt"

# Test seam for crash tests: when set, `atomic_write` calls it with the name of each step it
# reaches ("before-write", "after-write", "after-fsync", "after-replace"), so a test can kill
# the process at exactly that point. Always None in normal use.
crash_hook: Callable[[str], None] | None = None


def _reached(step: str) -> None:
    if crash_hook is not None:
        crash_hook(step)


class WriteError(Exception):
    """A write that did not happen; `.message` is a Chinese sentence for the user."""

    def __init__(self, message: str, path: Path | str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class Busy(WriteError):
    """Another process (another clerk's fazhi, a script) holds the lock for too long."""

    def __init__(self, path: Path | str | None = None):
        super().__init__("台账正被其他人或程序修改，请稍后重试", path)


class ChangedOnDisk(WriteError):
    """The file is no longer what was read: someone saved it in between. Nothing was written."""

    def __init__(self, path: Path | str | None = None):
        shown = f"“{path}”" if path is not None else "文件"
        super().__init__(
            f"{shown}在读取之后被改动过（例如有人在记事本、WPS 或其他编辑器中保存了它）；"
            "为避免覆盖别人的修改，本次没有写入。请重新运行该命令",
            path,
        )


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Locks


class TidyLock(filelock.FileLock):
    """A `filelock.FileLock` that removes its file on the last release, while still holding it
    (on Windows filelock removes it itself)."""

    def release(self, force: bool = False) -> None:
        if os.name != "nt" and self.is_locked and (force or self.lock_counter == 1):
            with contextlib.suppress(OSError):
                os.unlink(self.lock_file)
        super().release(force=force)


class LedgerLock(TidyLock):
    """The lock of one ledger; a timeout raises `Busy` (with its Chinese message)."""

    def acquire(self, *args, **kwargs):  # noqa: ANN002, ANN003 - same signature as FileLock.acquire
        try:
            return super().acquire(*args, **kwargs)
        except filelock.Timeout as exc:
            raise Busy(getattr(self, "target", None)) from exc


_locks: dict[str, LedgerLock] = {}
_locks_guard = threading.Lock()


def _forget_locks_after_fork() -> None:
    # filelock refuses to use a lock object inherited across fork: each process makes its own.
    global _locks_guard
    _locks.clear()
    _locks_guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


def lock_path(path: Path) -> Path:
    """The lock file for `path`: `.<name>.lock` beside the real file (symlinks resolved)."""
    real = Path(os.path.realpath(path))
    return real.with_name(f".{real.name}.lock")


def lock_mode(folder: Path) -> int:
    """0o664 when the folder is group-writable (a shared workspace), else 0o644."""
    try:
        shared = os.stat(folder).st_mode & 0o020
    except OSError:
        shared = 0
    return 0o664 if shared else 0o644


def lock_for(path: Path) -> LedgerLock:
    """The single lock object of this process for `path` (reentrant in one thread).

    A second FileLock object on the same file in the same process would wait for the first and
    time out, so every caller must go through here. Use it as `with lock_for(path): ...`;
    waiting longer than `LOCK_TIMEOUT` seconds raises `Busy`.
    """
    key = os.path.normcase(os.path.realpath(path))
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = LedgerLock(str(lock_path(path)), timeout=LOCK_TIMEOUT, mode=lock_mode(lock_path(path).parent))
            lock.target = Path(path)
            _locks[key] = lock
        return lock


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[LedgerLock]:
    """Hold `lock_for(path)`; `timeout` (seconds) overrides `LOCK_TIMEOUT` for this wait."""
    lock = lock_for(path)
    try:
        lock.acquire(timeout=LOCK_TIMEOUT if timeout is None else timeout)
    except OSError as exc:  # e.g. the folder is read-only: the lock file cannot be created
        raise WriteError(f"无法在“{lock_path(path).parent}”中建立锁文件：{exc.strerror or exc}", path) from exc
    try:
        yield lock
    finally:
        lock.release()


# ---------------------------------------------------------------------------------------------
# Temp files


def _temp_pattern(name: str) -> re.Pattern[str]:
    # tempfile's random part: 8 characters of [a-z0-9_]
    return re.compile(rf"^\.{re.escape(name)}\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}$")


def orphan_temp_files(path: Path) -> list[Path]:
    """Temp files `atomic_write` left beside `path` when its process was killed mid-write."""
    real = Path(os.path.realpath(path))
    pattern = _temp_pattern(real.name)
    try:
        names = os.listdir(real.parent)
    except OSError:
        return []
    return sorted(real.parent / n for n in names if pattern.match(n))


def remove_orphan_temp_files(path: Path) -> list[Path]:
    """Delete the orphans of `path`. Call it only while holding `lock_for(path)`."""
    removed = []
    for orphan in orphan_temp_files(path):
        with contextlib.suppress(OSError):
            orphan.unlink()
            removed.append(orphan)
    return removed


# ---------------------------------------------------------------------------------------------
# Atomic write


def _current_sha256(target: str) -> str:
    """Hash of the file as it is now, or ABSENT."""
    deadline = time.monotonic() + (REPLACE_RETRY_SECONDS if _RETRY_PERMISSION_ERRORS else 0)
    while True:
        try:
            with open(target, "rb") as handle:
                return sha256_bytes(handle.read())
        except FileNotFoundError:
            return ABSENT
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _replace(source: str, target: str) -> None:
    delay = 0.02
    deadline = time.monotonic() + REPLACE_RETRY_SECONDS
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if not _RETRY_PERMISSION_ERRORS or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _fsync_directory(directory: str) -> None:
    if not _FSYNC_DIRECTORY:
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP, errno.EACCES):
            raise
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, expected_sha256: str | None) -> None:
    """Replace the file at `path` with `data`, all or nothing.

    `expected_sha256` is the hash of the bytes the caller read (`ABSENT` when the file did not
    exist): if the file no longer has it at the moment of replacing, `ChangedOnDisk` is raised
    and nothing is written. `None` skips the check (for files nobody edits by hand). Symlinks are
    followed (the link stays a link). The new file keeps the old one's permission bits (0o644
    for a new file). Call it while holding `lock_for(path)`; other failures raise `WriteError`.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    name = os.path.basename(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    except OSError as exc:
        raise WriteError(f"无法读取“{path}”的属性：{exc.strerror or exc}", path) from exc
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory)
    except OSError as exc:
        raise WriteError(f"无法在“{directory}”中创建临时文件：{exc.strerror or exc}", path) from exc
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                os.chmod(temp, mode)
                _reached("before-write")
                handle.write(data)
                handle.flush()
                _reached("after-write")
                os.fsync(handle.fileno())
            _reached("after-fsync")
            if expected_sha256 is not None and _current_sha256(target) != expected_sha256:
                raise ChangedOnDisk(path)
            _replace(temp, target)
        except WriteError:
            raise
        except OSError as exc:
            raise WriteError(f"写入“{path}”失败，原文件未改动：{exc.strerror or exc}", path) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _reached("after-replace")
    _fsync_directory(directory)
