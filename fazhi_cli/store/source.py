"""Where a workspace's files come from: a folder on disk, or a tree of a git commit.

The Book's loader reads through this one interface, so `--rev`, `history`, `audit` and a bare
central repository's hook read the plan and the ledgers exactly as `check` reads the work tree.
"""

from __future__ import annotations

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
    """One file exists but cannot be read (permissions, a directory in its place)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise Unreadable("这是一个目录，不是文件") from None
        except OSError as exc:
            raise Unreadable(exc.strerror or str(exc)) from None

    def ledger_paths(self) -> list[str]:
        return [self.ws.relative(p) for p in self.ws.ledger_files()]

    def exists(self, relative: str) -> bool:
        return (self.ws.root / relative).is_file()


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
