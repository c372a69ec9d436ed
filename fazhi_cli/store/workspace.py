"""Finding the workspace (like git finds its repository) and naming the files in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MARKER = Path("data") / "tasks.yaml"
# The folders of a workspace; each must be a real directory when present.
WORKSPACE_FOLDERS = ("data", "ledgers", "evidence", "templates", "schemas", "reports")


class WorkspaceNotFound(Exception):
    """No workspace at or above the starting directory; the CLI turns this into exit code 2."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def ledgers_dir(self) -> Path:
        return self.root / "ledgers"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def data_file(self, name: str) -> Path:
        return self.data_dir / f"{name}.yaml"

    def ledger_path(self, unit_id: str) -> Path:
        return self.ledgers_dir / f"{unit_id}.yaml"

    def relative(self, path: Path) -> str:
        """Path as shown to users: relative to the workspace, with forward slashes."""
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(Path(os.path.abspath(self.root))).as_posix()
        except ValueError:
            try:
                return path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                return path.as_posix()

    def folder_problems(self) -> list[tuple[str, str]]:
        """(folder, what it is) for each of the workspace's own folders that exists but is not a real
        directory inside the workspace: a file, a FIFO, a symlink (fazhi never follows a folder link
        out of the workspace, and refuses one inside it, so that every path it shows is real)."""
        out = []
        for name in WORKSPACE_FOLDERS:
            path = self.root / name
            if os.path.islink(path):
                out.append((name, "符号链接（fazhi 不经由链接读写工作区的文件夹）"))
            elif os.path.lexists(path) and not path.is_dir():
                out.append((name, "文件，不是文件夹"))
        return out

    def ledger_files(self) -> list[Path]:
        """Every `*.yaml`/`*.yml` entry of ledgers/ that is not a real directory: symlinks, FIFOs and
        devices are listed too, so that reading them reports them (E014) instead of skipping them."""
        if not self.ledgers_dir.is_dir() or self.ledgers_dir.is_symlink():
            return []
        with os.scandir(self.ledgers_dir) as entries:  # the entry kinds without a stat per file
            names = sorted(
                e.name for e in entries
                if e.name.endswith((".yaml", ".yml")) and e.name not in (".yaml", ".yml")
                and (e.is_symlink() or not e.is_dir())
            )
        return [self.ledgers_dir / name for name in names]


def find_workspace(root: str | os.PathLike | None = None, start: Path | None = None) -> Workspace:
    """`--root`, else `FAZHI_ROOT`, else the nearest directory upward holding data/tasks.yaml."""
    explicit = root or os.environ.get("FAZHI_ROOT")
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / MARKER).is_file():
            raise WorkspaceNotFound(f"“{path}”不是 fazhi 工作区（缺少 {MARKER.as_posix()}）")
        return Workspace(path.resolve())
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return Workspace(candidate)
    raise WorkspaceNotFound(
        f"在“{here}”及其上级目录中找不到 fazhi 工作区（缺少 {MARKER.as_posix()}）；"
        "请进入工作区目录，或用 --root 指定，或设置环境变量 FAZHI_ROOT"
    )
