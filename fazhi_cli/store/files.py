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
    except (ValueError, OSError):
        return None


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
            ok = inside(self.root, path) == os.path.normpath(relative).replace(os.sep, "/") and path.is_file()
            self._hashes[relative] = file_sha256(path) if ok else None
        return self._hashes[relative]
