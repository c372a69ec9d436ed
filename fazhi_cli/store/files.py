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
        self.root = root
        self._hashes: dict[str, str | None] = {}

    def sha256(self, relative: str) -> str | None:
        """The file's sha256, or None when it is not a regular file inside the work tree."""
        if relative not in self._hashes:
            path = self.root / relative
            ok = (
                inside(self.root, path) == os.path.normpath(relative).replace(os.sep, "/")
                and path.is_file()
                and not path.is_symlink()
            )
            self._hashes[relative] = file_sha256(path) if ok else None
        return self._hashes[relative]
