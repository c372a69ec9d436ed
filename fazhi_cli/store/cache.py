"""A cache of files already read and validated, kept outside the workspace and outside git: in the
user's cache folder (`$XDG_CACHE_HOME/fazhi` or `~/.cache/fazhi`; on Windows `%LOCALAPPDATA%\\fazhi`),
one folder per workspace.

An entry is found by the file's path and its bytes (SHA-256), and by the code that read it (the
reader's and the models' own source, the Python and pydantic versions): a file whose bytes changed,
a renamed file and a newer fazhi all miss, so an entry is never stale — whatever the clock, the
size or the inode say. One entry per path, overwritten on a miss, so the cache never grows beyond
the workspace's files. A cache that cannot be read or written is simply not used.

Entries are pickles, so they are never kept where a push or a pull could put a file: not in the
work tree (a committed `.fazhi/` would reach every clone), only in the user's own cache folder,
which only that user (who can change the installed fazhi itself) can write.
`FAZHI_NO_CACHE=1` turns the cache off; `FAZHI_CACHE_DIR` puts it elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

FORMAT = b"fazhi-cache-1"

# The code whose output an entry holds: changing any of these files changes every key.
_READER_SOURCES = (
    "problems.py",
    "models/common.py",
    "models/ledger.py",
    "models/plan.py",
    "store/decode.py",
    "store/yamlread.py",
    "store/locate.py",
    "store/loader.py",
    "store/cache.py",
    "book/load.py",
    "book/plan.py",
    "book/directory.py",
    "book/plancheck.py",
)
_fingerprint: bytes | None = None


def fingerprint() -> bytes:
    """What the cached values depend on besides the file itself."""
    global _fingerprint
    if _fingerprint is None:
        import pydantic

        package = Path(__file__).resolve().parents[1]
        digest = hashlib.sha256(FORMAT + sys.version.encode() + pydantic.VERSION.encode())
        for name in _READER_SOURCES:
            digest.update(name.encode() + b"\0" + (package / name).read_bytes())
        _fingerprint = digest.digest()
    return _fingerprint


def cache_home() -> Path:
    """The user's cache folder for fazhi."""
    if os.environ.get("FAZHI_CACHE_DIR"):
        return Path(os.environ["FAZHI_CACHE_DIR"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "fazhi" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fazhi"


class FileCache:
    """Validated files of one workspace, by path and content."""

    def __init__(self, root: Path | None) -> None:
        enabled = root is not None and os.environ.get("FAZHI_NO_CACHE", "") in ("", "0")
        self.folder = None
        if enabled:
            workspace = hashlib.sha256(str(Path(root).resolve()).encode("utf-8")).hexdigest()[:16]
            self.folder = cache_home() / "files" / workspace
        self._checked = False
        self.hits = 0
        self.misses = 0

    def _entry(self, relative: str) -> Path:
        return self.folder / (hashlib.sha256(relative.encode("utf-8")).hexdigest()[:32] + ".pickle")

    @staticmethod
    def _key(relative: str, raw: bytes) -> bytes:
        return hashlib.sha256(fingerprint() + relative.encode("utf-8") + b"\0" + raw).digest()

    def _usable(self) -> bool:
        """The folder is ours alone (made with mode 700; on POSIX, owned by this user and writable by
        no one else), else the cache is off: another user's pickle is never loaded."""
        if not self._checked:
            self._checked = True
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                if hasattr(os, "getuid"):
                    for folder in (self.folder, self.folder.parent, self.folder.parent.parent):
                        info = folder.stat()
                        if info.st_uid != os.getuid() or info.st_mode & 0o022:
                            self.folder = None
                            break
            except OSError:
                self.folder = None
        return self.folder is not None

    def get(self, relative: str, raw: bytes) -> Any | None:
        """The value stored for this path and these bytes, or None."""
        found = self._read(self._entry(relative) if self.folder else None, self._key(relative, raw))
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, relative: str, raw: bytes, value: Any) -> None:
        """Store the value (atomically: a reader sees the old entry or the new, never half)."""
        self._write(self._entry(relative) if self.folder else None, self._key(relative, raw), value)

    # --- content-addressed entries (a git blob's parse: any number of versions of one path) ----

    def _object(self, name: str) -> Path:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
        return self.folder / "objects" / digest[:2] / (digest[2:34] + ".pickle")

    def get_object(self, name: str) -> Any | None:
        """The value stored under `name` (e.g. a path and a git blob id: content that never
        changes under that name), or None."""
        return self._read(self._object(name) if self.folder else None, self._key(name, b""))

    def put_object(self, name: str, value: Any) -> None:
        self._write(self._object(name) if self.folder else None, self._key(name, b""), value)

    # --- one entry file --------------------------------------------------------------------

    def _read(self, target: Path | None, key: bytes) -> Any | None:
        if target is None or not self._usable():
            return None
        try:
            with open(target, "rb") as handle:
                stored, value = pickle.load(handle)
        except Exception:  # noqa: BLE001 - missing, unreadable, truncated or from another version: a miss
            return None
        return value if stored == key else None

    def _write(self, target: Path | None, key: bytes, value: Any) -> None:
        if target is None or not self._usable():
            return
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open(temporary, "wb") as handle:
                pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except Exception:  # noqa: BLE001 - read-only folder, full disk, unpicklable value: no cache
            try:
                temporary.unlink()
            except OSError:
                pass
