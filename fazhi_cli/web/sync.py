"""The central repository (docs/multi-unit.md): when the workspace's branch has an upstream, the
server pulls (fast-forward only) before each write and pushes after it. The central server's
guard still decides: a refused push is shown to the user with the `remote:` lines it printed, and
the local commit is taken back (`git reset --keep` to the commit before the write) — never forced.

Writes are taken one at a time while a central repository is in use, so a pull, a write and its
push are never interleaved with another request's. A push over a local path or file:// runs the
guard with this process's environment: it is given the logged-in user as REMOTE_USER, so the
guard judges the user, not the service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fazhi_cli.store.git import GitError, is_work_tree, run_git


@dataclass(frozen=True)
class Upstream:
    remote: str  # origin
    branch: str  # the local branch (main)
    merge: str  # the branch it tracks on the remote (refs/heads/main)

    @property
    def shown(self) -> str:
        return f"{self.remote}/{self.merge.removeprefix('refs/heads/')}"


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    lines: list[str] = field(default_factory=list)  # the remote's `remote:` lines


def upstream(root: Path) -> Upstream | None:
    """The remote branch the workspace's current branch tracks, if any."""
    if not is_work_tree(root):
        return None
    try:
        branch = run_git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
        if not branch:
            return None
        remote = run_git(root, "config", f"branch.{branch}.remote", check=False).stdout.strip()
        merge = run_git(root, "config", f"branch.{branch}.merge", check=False).stdout.strip()
    except GitError:
        return None
    if not remote or not merge or remote == ".":
        return None
    return Upstream(remote, branch, merge)


def head(root: Path) -> str | None:
    result = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False)
    return result.stdout.strip() or None


def remote_lines(text: str) -> list[str]:
    return [line.removeprefix("remote:").strip() for line in text.splitlines() if line.startswith("remote:") and line.removeprefix("remote:").strip()]


class Sync:
    """Pull, push and roll back for one workspace; `lock` serialises the writes."""

    def __init__(self, root: Path, enabled: bool | None = None):
        self.root = root
        self.lock = threading.Lock()
        found = upstream(root) if enabled is not False else None
        self.upstream = found

    @property
    def active(self) -> bool:
        return self.upstream is not None

    def head(self) -> str | None:
        return head(self.root)

    def pull(self) -> Outcome:
        up = self.upstream
        result = run_git(self.root, "pull", "--ff-only", "--quiet", up.remote, up.merge, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            return Outcome(False, f"无法从中心仓库（{up.shown}）同步最新数据，本次未作任何修改：{detail}")
        return Outcome(True)

    def push(self, identity: str) -> Outcome:
        up = self.upstream
        result = run_git(self.root, "push", "--porcelain", up.remote, f"HEAD:{up.merge}", check=False, env={"REMOTE_USER": identity})
        if result.returncode == 0:
            return Outcome(True)
        lines = remote_lines(result.stderr)
        detail = "" if lines else (result.stderr or result.stdout).strip()
        return Outcome(False, f"中心仓库（{up.shown}）拒绝了这次提交{('：' + detail) if detail else ''}", lines)

    def rollback(self, before: str) -> str | None:
        """Back to `before` (the commit before the write); a message when that failed."""
        result = run_git(self.root, "reset", "--quiet", "--keep", before, check=False)
        if result.returncode != 0:
            return f"本地提交未能撤回（git reset --keep {before[:10]} 失败：{(result.stderr or result.stdout).strip()}），请联系管理员"
        return None
