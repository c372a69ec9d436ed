"""Small facts about files in a work tree: a path's place inside it, a file's sha256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def inside(root: Path, path: Path) -> str | None:
    """`path` relative to `root` (forward slashes) when it lies inside it after resolving links,
    else None."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return None


def kind_of(path: Path) -> str | None:
    """What is at `path` when it is there but is not a regular file (without following a link
    loop or opening a FIFO): "目录", "命名管道（FIFO）", "设备文件", "符号链接循环"…; None otherwise."""
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "指向不存在文件的符号链接" if os.path.islink(path) else None
    except OSError as exc:
        return "符号链接循环" if os.path.islink(path) else f"无法访问的路径（{exc.strerror or exc}）"
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "目录"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    return "套接字" if stat.S_ISSOCK(mode) else "设备文件"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class FileFacts:
    """What the checks may ask of the work tree's files, answered from disk (and remembered):
    whether a workspace path is a regular file inside it, and its sha256."""

    def __init__(self, root: Path):
        self._why: dict[str, str] = {}
        self.root = root
        self._hashes: dict[str, str | None] = {}

    def sha256(self, relative: str) -> str | None:
        """The file's sha256, or None when it is not a readable regular file inside the work tree
        (`missing` says why)."""
        if relative not in self._hashes:
            path = self.root / relative
            try:
                self._hashes[relative] = file_sha256(path) if self._regular(relative) else None
            except OSError as exc:
                self._hashes[relative] = None
                self._why[relative] = f"无法读取（{exc.strerror or exc}）"
        return self._hashes[relative]

    def _regular(self, relative: str) -> bool:
        path = self.root / relative
        return inside(self.root, path) == os.path.normpath(relative).replace(os.sep, "/") and path.is_file() and not path.is_symlink()

    def missing(self, relative: str) -> str:
        """Why `sha256(relative)` is None, as a phrase: 不存在, 是目录, 无法读取（…）."""
        if relative in self._why:
            return self._why[relative]
        path = self.root / relative
        if os.path.islink(path):
            return "是符号链接，不是文件本身"
        kind = kind_of(path)
        return f"是{kind}，不是普通文件" if kind else "不存在（已被删除或移动？）"


class RecordedFileFacts(FileFacts):
    """FileFacts for a write: a file the ledger already recorded is taken at its recorded sha256
    while it is still a regular file there (`fazhi check` hashes it again); only the files a
    write adds are read, so a write does not re-read a unit's whole evidence folder."""

    def __init__(self, root: Path, recorded: dict[str, str]):
        super().__init__(root)
        self._recorded = recorded

    def sha256(self, relative: str) -> str | None:
        if relative not in self._hashes and relative in self._recorded and self._regular(relative):
            self._hashes[relative] = self._recorded[relative]
        return super().sha256(relative)
