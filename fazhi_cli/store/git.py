"""Git as the audit trail: commit exactly the files a command changed, read history back.

We call the git command line: it is what every user's repository already has.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


GIT_MISSING = "找不到 git 命令：请安装 Git（https://git-scm.com），并确认在命令行中可以运行 git"
ZERO_SHA = "0" * 40

# The `Fazhi-Action:` trailer of each write command's commit, and how it reads in Chinese.
COMMIT_ACTIONS = {
    "plan": "工作方案",
    "progress": "工作进展",
    "record": "目标记录",
    "claim": "认领任务",
    "close": "销号申请",
    "confirm": "确认销号",
    "reject": "退回销号",
    "reopen": "重新打开",
    "extend": "延期申请",
    "extend-approve": "同意延期",
    "extend-refuse": "不同意延期",
    "init": "建立台账",
    "codeowners": "更新 CODEOWNERS",
}


class GitError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def git_available() -> bool:
    return shutil.which("git") is not None


def git_missing_in(root: Path) -> str | None:
    """A message when the workspace is in a git repository but the git command cannot be run
    (write commands then save without committing, and should say so); None otherwise."""
    if git_available():
        return None
    here = Path(root).resolve()
    if any((folder / ".git").exists() for folder in (here, *here.parents)):
        return GIT_MISSING + "。修改已保存，但没有提交到 git"
    return None


def run_git(root: Path, *args: str, check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess:
    if not git_available():
        raise GitError(GIT_MISSING)
    result = subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=root,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        input=input_text,
    )
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} 失败：{(result.stderr or result.stdout).strip()}")
    return result


def run_git_bytes(root: Path, *args: str, input_bytes: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Like run_git, but stdout as bytes: file contents are read as stored, never re-decoded."""
    if not git_available():
        raise GitError(GIT_MISSING)
    result = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=root, capture_output=True, input=input_bytes)
    if check and result.returncode != 0:
        error = result.stderr.decode("utf-8", errors="replace").strip()
        raise GitError(f"git {' '.join(args[:2])} 失败：{error}")
    return result


def is_work_tree(root: Path) -> bool:
    """True when the workspace is inside a git work tree (at its top or in a sub-folder)."""
    if not git_available():
        return False
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace"
    )
    return result.returncode == 0 and result.stdout.strip() == "true"


def commit_paths(root: Path, paths: list[Path], subject: str, trailers: dict[str, str], body: str = "") -> str | None:
    """Commit only `paths` (other staged or unstaged changes stay as they are); returns the new
    commit id, or None when there was nothing to commit."""
    relative = [p.resolve().relative_to(root.resolve()).as_posix() for p in paths]
    run_git(root, "add", "--", *relative)
    status = run_git(root, "status", "--porcelain", "--", *relative).stdout.strip()
    if not status:
        return None
    message = subject + "\n\n" + (body + "\n\n" if body else "") + "\n".join(f"{k}: {v}" for k, v in trailers.items()) + "\n"
    result = run_git(root, "commit", "--quiet", "-F", "-", "--only", "--", *relative, input_text=message, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        if "user.email" in output or "Author identity unknown" in output or "tell me who you are" in output:
            raise GitError(
                "git 不知道提交人是谁：请先设置姓名和邮箱（邮箱应与 data/units.yaml 中登记的一致），例如\n"
                '  git config user.name "张三"\n  git config user.email "zhangsan@example.gov.cn"'
            )
        raise GitError(f"git commit 失败：{output}")
    return run_git(root, "rev-parse", "HEAD").stdout.strip()


def head_revision(root: Path) -> str | None:
    if not is_work_tree(root):
        return None
    result = run_git(root, "rev-parse", "--short", "HEAD", check=False)
    if result.returncode != 0:
        return None
    revision = result.stdout.strip()
    dirty = run_git(root, "status", "--porcelain", "--", "data", "ledgers", check=False).stdout.strip()
    return revision + ("（含未提交修改）" if dirty else "")
