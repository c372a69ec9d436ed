"""Where a workspace's files come from: a folder on disk, or a tree of a git commit.

The Book's loader reads through this one interface, so `--rev`, `history`, `audit` and a bare
central repository's hook read the plan and the ledgers exactly as `check` reads the work tree.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fazhi_cli.store.git import GitError, run_git, run_git_bytes
from fazhi_cli.store.workspace import Workspace

LEDGER_SUFFIXES = (".yaml", ".yml")


class SourceError(Exception):
    """The source cannot be read at all (a revision that does not exist, git failing)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreadable(Exception):
    """One file exists but cannot be read (permissions, a directory in its place); `code` E001,
    or E014 when the path is not a regular file (a symlink, FIFO, device, socket, directory)."""

    def __init__(self, reason: str, code: str = "E001"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def file_kind_problem(path: Path) -> str | None:
    """Why `path` may not be read as a workspace file, from `os.lstat` (nothing is opened, so a
    FIFO never blocks): a symlink or anything not a regular file. None when it is a regular file
    or absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"无法访问：{exc.strerror or exc}"
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "是符号链接；data/、ledgers/ 中不允许符号链接，请换成普通文件"
    if stat.S_ISREG(mode):
        return None
    kind = "目录" if stat.S_ISDIR(mode) else "命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode) else "设备文件"
    return f"这是一个{kind}，不是普通文件"


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file, opened without following a symlink and without blocking;
    Unreadable (E014) when it is not one, FileNotFoundError when absent."""
    why = file_kind_problem(path)
    if why is not None:  # a directory keeps E001 (as before); links, FIFOs, devices are E014
        raise Unreadable(why, "E001" if os.path.isdir(path) and not os.path.islink(path) else "E014")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped in between
            raise Unreadable("不是普通文件", "E014")
        return handle.read()


@dataclass
class FolderSource:
    """The work tree of a workspace."""

    ws: Workspace
    revision: str | None = None

    @property
    def root(self) -> Path | None:
        return self.ws.root

    def read(self, relative: str) -> bytes | None:
        """The file's bytes; None when it does not exist; Unreadable when it cannot be read."""
        path = self.ws.root / relative
        try:
            return read_regular(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def ledger_paths(self) -> list[str]:
        """The ledger files present; SourceError when ledgers/ cannot be listed (permissions)."""
        try:
            return [f"ledgers/{p.name}" for p in self.ws.ledger_files()]  # (ledgers/ is the root's own)
        except OSError as exc:
            raise SourceError(f"无法读取 ledgers/ 文件夹：{exc.strerror or exc}；请检查该文件夹的访问权限") from None

    def exists(self, relative: str) -> bool:
        path = self.ws.root / relative
        return path.is_file() and not path.is_symlink()


@dataclass
class TreeSource:
    """The files of one commit, read with git (works in bare repositories too)."""

    cwd: Path  # where to run git
    commit: str  # full commit id
    prefix: str = ""  # the workspace's folder inside the repository ("" or "sub/dir/")
    _files: dict[str, str] = field(default_factory=dict, repr=False)  # relative path → blob id
    _blobs: dict[str, bytes] = field(default_factory=dict, repr=False)

    root = None

    @property
    def revision(self) -> str:
        return self.commit[:9]

    @classmethod
    def open(cls, cwd: Path, revision: str, prefix: str = "") -> "TreeSource":
        rev = revision.strip()
        if not rev or rev.startswith("-"):
            raise SourceError(f"“{revision}”不是有效的提交号")
        try:
            found = run_git(cwd, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        except GitError as exc:
            raise SourceError(exc.message) from exc
        if found.returncode != 0:
            raise SourceError(f"找不到提交“{revision}”；请检查提交号或分支名（`git log --oneline` 可查看）")
        source = cls(cwd, found.stdout.strip(), prefix)
        source._list()
        return source

    def _list(self) -> None:
        tree = f"{self.commit}:{self.prefix}" if self.prefix else self.commit
        try:
            out = run_git_bytes(self.cwd, "ls-tree", "-r", "-z", "--full-tree", tree).stdout
        except GitError as exc:
            raise SourceError(exc.message) from exc
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, blob = meta.decode("ascii", "replace").split()
            if kind == "blob" and mode in ("100644", "100755"):
                self._files[name.decode("utf-8", "surrogateescape")] = blob
            elif kind == "blob":  # a symlink (120000) is never a workspace file
                self._files.setdefault(name.decode("utf-8", "surrogateescape"), "")

    def read(self, relative: str) -> bytes | None:
        blob = self._files.get(relative)
        if blob is None:
            return None
        if blob == "":
            raise Unreadable("提交中的这个路径是符号链接，不是文件")
        if blob not in self._blobs:
            self._fetch([blob])
        return self._blobs[blob]

    def prefetch(self, relatives: list[str]) -> None:
        """Read many files in one `git cat-file --batch`."""
        self._fetch([b for r in relatives if (b := self._files.get(r)) and b not in self._blobs])

    def _fetch(self, blobs: list[str]) -> None:
        wanted = sorted(set(blobs))
        if not wanted:
            return
        try:
            data = run_git_bytes(self.cwd, "cat-file", "--batch", input_bytes=("\n".join(wanted) + "\n").encode()).stdout
        except GitError as exc:
            raise SourceError(exc.message) from exc
        pos = 0
        for sha in wanted:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] == b"missing":
                self._blobs[sha] = b""
                continue
            size = int(header[2])
            self._blobs[sha] = data[pos : pos + size]
            pos += size + 1

    def ledger_paths(self) -> list[str]:
        out = []
        for name in sorted(self._files):
            pure = PurePosixPath(name)
            if len(pure.parts) == 2 and pure.parts[0] == "ledgers" and pure.suffix in LEDGER_SUFFIXES:
                out.append(name)
        return out

    def exists(self, relative: str) -> bool:
        return bool(self._files.get(relative))


class TreeFacts:
    """What `check` asks of evidence files (sha256, why one is missing), answered from a commit's
    tree instead of the work tree: for the server, which has no files on disk."""

    def __init__(self, source: TreeSource):
        self.source = source
        self._hashes: dict[str, str | None] = {}

    def sha256(self, relative: str) -> str | None:
        if relative not in self._hashes:
            blob = self.source._files.get(relative)
            self._hashes[relative] = hashlib.sha256(self.source.read(relative) or b"").hexdigest() if blob else None
        return self._hashes[relative]

    def missing(self, relative: str) -> str:
        if self.source._files.get(relative) == "":
            return "在提交中是符号链接，不是文件本身"
        return "不在这次提交中（文件没有一起提交？）"
