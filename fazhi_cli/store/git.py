"""Git as the audit trail: commit exactly the files a command changed, read history back.

We call the git command line: it is what every user's repository already has.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from fazhi_cli.store.interrupts import deferred
from fazhi_cli.problems import MessageError


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


class GitError(MessageError):
    """git failed or refused; the message says why."""


def git_available() -> bool:
    return shutil.which("git") is not None


def git_missing_in(root: Path) -> str | None:
    """A message when the workspace is in a git repository but the git command cannot be run
    (write commands then save without committing, and should say so); None otherwise."""
    if git_available():
        return None
    if repository_near(Path(root)):
        return GIT_MISSING + "。修改已保存，但没有提交到 git"
    return None


def repository_near(path: Path) -> bool:
    """Whether git was pointed at, or would find, a repository here (whatever git then says of it):
    GIT_DIR or GIT_WORK_TREE set, a bare repository, or a `.git` in the folder or above it."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    here = Path(path).resolve()
    if (here / "HEAD").is_file() and (here / "objects").is_dir() and (here / "refs").is_dir():
        return True  # a bare repository
    return any(os.path.lexists(folder / ".git") for folder in (here, *here.parents))


def git_timeout() -> float:
    """Seconds any one git command may take (`FAZHI_GIT_TIMEOUT`, default 120): a hook that
    sleeps or waits for input is reported, not waited for."""
    try:
        return max(0.1, float(os.environ.get("FAZHI_GIT_TIMEOUT", "120")))
    except ValueError:
        return 120.0


def _run(argv: list[str], root: Path, input_bytes: bytes | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run git in its own process group; past the timeout the whole group (hooks included) is
    stopped with SIGTERM, so git removes its own lock files, then killed."""
    limit = git_timeout()
    try:
        proc = subprocess.Popen(
            argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=os.name != "nt", env=None if env is None else os.environ | env,
        )
    except OSError as exc:
        raise GitError(f"无法运行 git：{exc.strerror or exc}") from exc
    try:
        out, err = proc.communicate(input_bytes, timeout=limit)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise GitError(
            f"git {' '.join(a for a in argv[1:] if not a.startswith('-'))[:40]} 超过 {limit:g} 秒仍未结束，已停止"
            "（可能是 pre-commit 等钩子卡住或在等待输入）"
        ) from None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 2.0), (getattr(signal, "SIGKILL", signal.SIGTERM), 5.0)):
        try:
            if os.name != "nt":
                os.killpg(proc.pid, sig)
            else:
                proc.kill()
        except OSError:
            pass
        try:
            proc.communicate(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_git(root: Path, *args: str, check: bool = True, input_text: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """git in `root`; `env`: variables added to this process's environment for that one run."""
    if not git_available():
        raise GitError(GIT_MISSING)
    argv = ["git", "-c", "core.quotepath=off", *args]
    data = input_text.encode("utf-8") if input_text is not None else None
    raw = _run(argv, root, data) if env is None else _run(argv, root, data, env)
    result = subprocess.CompletedProcess(
        raw.args, raw.returncode, raw.stdout.decode("utf-8", "replace"), raw.stderr.decode("utf-8", "replace")
    )
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} 失败：{(result.stderr or result.stdout).strip()}")
    return result


def run_git_bytes(root: Path, *args: str, input_bytes: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Like run_git, but stdout as bytes: file contents are read as stored, never re-decoded."""
    if not git_available():
        raise GitError(GIT_MISSING)
    result = _run(["git", "-c", "core.quotepath=off", *args], root, input_bytes)
    if check and result.returncode != 0:
        error = result.stderr.decode("utf-8", errors="replace").strip()
        raise GitError(f"git {' '.join(args[:2])} 失败：{error}")
    return result


def is_work_tree(root: Path) -> bool:
    """True when the workspace is inside a git work tree (at its top or in a sub-folder)."""
    if not git_available():
        return False
    try:
        result = run_git(root, "rev-parse", "--is-inside-work-tree", check=False)
    except GitError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def git_refusal(root: Path) -> str | None:
    """git's reason when the workspace lies in a repository (a `.git` above it, or `GIT_DIR` set)
    but git will not work in it ("dubious ownership", a `GIT_DIR` that does not exist, a broken
    `.git`); None when it is a usable work tree or simply not in git. Such a refusal is reported,
    never taken for "no git"."""
    if not git_available() or not repository_near(Path(root)):
        return None
    try:
        result = run_git(root, "rev-parse", "--is-inside-work-tree", check=False)
    except GitError as exc:
        return exc.message
    if result.returncode == 0:
        return None
    return (result.stderr or result.stdout).strip() or f"git rev-parse 退出码 {result.returncode}"


def git_email(root: Path) -> str | None:
    """`git config user.email` as git sees it from `root` (None without git or without one)."""
    if not git_available():
        return None
    try:
        result = run_git(root, "config", "user.email", check=False)
    except GitError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


COMMIT_LOCK_NAME = "fazhi-commit.lock"
COMMIT_LOCK_TIMEOUT = 60.0


def commit_lock(root: Path) -> "TidyLock":
    """The repository's one commit lock (`.git/fazhi-commit.lock`): fazhi processes take turns
    at `git add` + `git commit`, so none of them fails on git's own `index.lock`."""
    common = run_git(root, "rev-parse", "--git-common-dir").stdout.strip()
    folder = Path(common) if Path(common).is_absolute() else Path(root) / common
    from fazhi_cli.store.safewrite import TidyLock

    return TidyLock(str(folder / COMMIT_LOCK_NAME), timeout=COMMIT_LOCK_TIMEOUT)


def commit_paths(
    root: Path, paths: list[Path], subject: str, trailers: dict[str, str], body: str = "", author: tuple[str, str] | None = None
) -> str | None:
    """Commit only `paths` (other staged or unstaged changes stay as they are); returns the new
    commit id, or None when there was nothing to commit. Paths are literal (no glob magic); on a
    failure they are unstaged again and GitError is raised: the files stay changed on disk.

    `author` (name, e-mail): the person the commit is by, when that is not the repository's own
    git identity (the web entry commits as the logged-in user). The committer stays the
    repository's identity; where it has none, the author is the committer too."""
    relative = [p.resolve().relative_to(root.resolve()).as_posix() for p in paths]
    import filelock  # only a commit needs it (its import is a noticeable share of a read-only command's start-up)

    message = subject + "\n\n" + (body + "\n\n" if body else "") + "\n".join(f"{k}: {v}" for k, v in trailers.items()) + "\n"
    try:
        with deferred("提交在中断前已完成"), commit_lock(root):
            return _commit_locked(root, relative, message, author)
    except filelock.Timeout:
        raise GitError(f"等待其他 fazhi 提交超过 {COMMIT_LOCK_TIMEOUT:g} 秒（{COMMIT_LOCK_NAME}）") from None
    except OSError as exc:
        raise GitError(f"无法建立提交锁文件：{exc.strerror or exc}") from None


def author_arguments(root: Path, author: tuple[str, str] | None) -> tuple[list[str], list[str]]:
    """(options before `commit`, options of `commit`) that make `author` the commit's author."""
    if author is None:
        return [], []
    name, email = (_ident(part) for part in author)
    name = name or email
    before = [] if git_email(root) else ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    return before, [f"--author={name} <{email}>"]


def _ident(text: str) -> str:
    """A name or e-mail git accepts in an ident: no angle brackets, newlines or control characters."""
    cleaned = "".join(" " if (ch in "<>\n\r" or ord(ch) < 32 or ord(ch) == 127) else ch for ch in str(text or ""))
    return " ".join(cleaned.split()).strip(" .,:;\"'")


def _commit_locked(root: Path, relative: list[str], message: str, author: tuple[str, str] | None = None) -> str | None:
    literal = "--literal-pathspecs"
    before, options = author_arguments(root, author)
    try:
        run_git(root, literal, "add", "--", *relative)
        status = run_git(root, literal, "status", "--porcelain", "--", *relative).stdout.strip()
        if not status:
            return None
        result = run_git(root, *before, literal, "commit", "--quiet", *options, "-F", "-", "--only", "--", *relative, input_text=message, check=False)
    except GitError:
        _unstage(root, relative)
        raise
    if result.returncode != 0:
        _unstage(root, relative)
        output = (result.stderr or result.stdout).strip()
        if "user.email" in output or "Author identity unknown" in output or "tell me who you are" in output:
            raise GitError(
                "git 不知道提交人是谁：请先设置姓名和邮箱（邮箱应与 data/units.yaml 中登记的一致），例如\n"
                '  git config user.name "张三"\n  git config user.email "zhangsan@example.gov.cn"'
            )
        raise GitError(f"git commit 失败：{output}")
    return run_git(root, "rev-parse", "HEAD").stdout.strip()


def _unstage(root: Path, relative: list[str]) -> None:
    """Take `relative` out of the index again (back to HEAD's version), leaving the files as they are."""
    try:
        if run_git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0:
            run_git(root, "--literal-pathspecs", "reset", "-q", "--", *relative, check=False)
        else:
            run_git(root, "--literal-pathspecs", "rm", "-q", "--cached", "--ignore-unmatch", "--", *relative, check=False)
    except GitError:
        pass


def head_revision(root: Path) -> str | None:
    if not is_work_tree(root):
        return None
    result = run_git(root, "rev-parse", "--short", "HEAD", check=False)
    if result.returncode != 0:
        return None
    revision = result.stdout.strip()
    dirty = run_git(root, "status", "--porcelain", "--", "data", "ledgers", check=False).stdout.strip()
    return revision + ("（含未提交修改）" if dirty else "")
