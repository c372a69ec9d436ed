"""The workspace as it was at a git commit (`fazhi report --rev`), and the revision a report shows.

`checkout_revision` extracts `data/`, `ledgers/` and `templates/` of that commit (`git archive`)
into a folder, so a report submitted months ago can be rendered again from exactly its data.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from fazhi_cli.store.git import GIT_MISSING, GitError, git_available, run_git, run_git_bytes

PARTS = ("data", "ledgers", "templates")


class RevisionError(Exception):
    """The revision cannot be read (no git, not a repository, unknown commit)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _prefix(root: Path) -> str | None:
    """The workspace's folder inside its repository ("" at the top), None when not in git."""
    if not git_available():
        return None
    result = run_git(root, "rev-parse", "--is-inside-work-tree", "--show-prefix", check=False)
    if result.returncode != 0:
        return None
    lines = result.stdout.splitlines()
    if not lines or lines[0].strip() != "true":
        return None
    return lines[1].strip() if len(lines) > 1 else ""


def current_revision(root: Path) -> str | None:
    """Short commit id of HEAD, marked when data/, ledgers/ or templates/ have uncommitted changes;
    None when the workspace is not in a git repository (or has no commit yet)."""
    if _prefix(root) is None:
        return None
    head = run_git(root, "rev-parse", "--short", "HEAD", check=False)
    if head.returncode != 0:
        return None
    dirty = run_git(root, "status", "--porcelain", "--", *PARTS, check=False).stdout.strip()
    return head.stdout.strip() + ("（含未提交修改）" if dirty else "")


def checkout_revision(root: Path, revision: str, target: Path) -> str:
    """Extract data/, ledgers/ and templates/ as of `revision` into `target`; returns the short id."""
    if not git_available():
        raise RevisionError(GIT_MISSING)
    prefix = _prefix(root)
    if prefix is None:
        raise RevisionError("工作区不在 git 仓库中，无法使用 --rev；--rev 按 git 提交还原当时的数据")
    rev = revision.strip()
    if not rev or rev.startswith("-"):
        raise RevisionError(f"“{revision}”不是有效的提交号")
    resolved = run_git(root, "rev-parse", "--verify", "--quiet", "--short", f"{rev}^{{commit}}", check=False)
    if resolved.returncode != 0:
        raise RevisionError(f"找不到提交“{revision}”；请检查提交号或分支名（`git log --oneline` 可查看）")
    short = resolved.stdout.strip()
    tree = f"{short}:{prefix}" if prefix else short
    listing = run_git(root, "ls-tree", "--name-only", tree, check=False)
    if listing.returncode != 0:
        raise RevisionError(f"提交 {short} 中没有这个工作区")
    present = [p for p in PARTS if p in listing.stdout.splitlines()]
    if "data" not in present:
        raise RevisionError(f"提交 {short} 中没有 data/ 目录，不是 fazhi 工作区的提交")
    try:
        archive = run_git_bytes(root, "archive", "--format=tar", tree, "--", *present).stdout
    except GitError as exc:
        raise RevisionError(exc.message) from exc
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, members=members, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(target, members=[m for m in members if not m.name.startswith(("/", "..")) and ".." not in m.name.split("/")])
    for part in ("ledgers",):
        (target / part).mkdir(exist_ok=True)
    return short
