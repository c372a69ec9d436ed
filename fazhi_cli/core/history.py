"""Reading the ledgers' history back from git: every commit that touched ledgers/ (and the plan
files), each ledger version before and after it, parsed the way `fazhi check` parses files.

One `git log` for the commits, one `git cat-file --batch-check` to find the plan files of each
commit, one `git cat-file --batch` for all file versions; each version is parsed once (by blob id),
and each distinct version of the plan is read once, by the Book's loader (`load_book`). A version that does not parse is not an error here: it becomes a
“台账无效” change, and the next valid version is compared with the last valid one before it.

Works in a work tree (the workspace may be a sub-folder of the repository) and in a bare
repository (a central server's copy, e.g. from a pre-receive hook).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fazhi_cli.engine.history import (
    Change,
    CommitChanges,
    CommitInfo,
    EditorRules,
    FileChange,
    diff_ledgers,
    editor_rules,
)
from fazhi_cli.book.book import Book
from fazhi_cli.book.load import load_book
from fazhi_cli.book.plan import Plan
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.models.plan import UnitsFile
from fazhi_cli.problems import has_errors
from fazhi_cli.store.git import GIT_MISSING, ZERO_SHA, GitError, git_available, run_git, run_git_bytes
from fazhi_cli.store.loader import load_file, load_model
from fazhi_cli.store.source import SourceError, TreeSource

LEDGERS, DATA, TEMPLATES = "ledgers", "data", "templates"
UNITS_FILE = "data/units.yaml"
# What the Book's loader reads for the plan (store/loader.py load_plan_files).
PLAN_FILES = (UNITS_FILE, "data/tasks.yaml", "data/phases.yaml", "data/settings.yaml")


class HistoryError(Exception):
    """git history cannot be read (no git, not a repository, a bad revision); exit code 2."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Repo:
    """Where to run git, and where the workspace sits inside the repository."""

    cwd: Path
    prefix: str  # "" or "sub/dir/": the workspace's folder inside the repository
    bare: bool

    def git(self, *args: str, check: bool = True):
        try:
            return run_git(self.cwd, *args, check=check)
        except GitError as exc:
            raise HistoryError(exc.message) from exc

    def git_bytes(self, *args: str, input_bytes: bytes | None = None) -> bytes:
        try:
            return run_git_bytes(self.cwd, *args, input_bytes=input_bytes).stdout
        except GitError as exc:
            raise HistoryError(exc.message) from exc

    def spec(self, path: str) -> str:
        """A pathspec for a workspace path, whatever the current directory."""
        return f":(top){self.prefix}{path}"


def open_repo(path: Path) -> Repo:
    """The repository holding `path` (a workspace folder, or a bare repository)."""
    if not git_available():
        raise HistoryError(GIT_MISSING)
    if not path.is_dir():
        raise HistoryError(f"“{path}”不是目录")
    result = run_git(path, "rev-parse", "--is-bare-repository", "--show-prefix", check=False)
    if result.returncode != 0:
        raise HistoryError(
            f"“{path}”不在 git 仓库中：修改历史和审计要从 git 的提交记录中读取。"
            "请在工作区中运行 `git init` 并提交，或在从中心仓库克隆的目录中运行"
        )
    lines = result.stdout.splitlines()
    bare = bool(lines) and lines[0].strip() == "true"
    prefix = lines[1].strip() if len(lines) > 1 else ""
    return Repo(path, prefix, bare)


def head_exists(repo: Repo) -> bool:
    return repo.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).returncode == 0


def shallow_commits(repo: Repo) -> set[str]:
    """Commits whose parents a shallow clone does not have: their diffs cannot be computed."""
    path = repo.git("rev-parse", "--git-path", "shallow").stdout.strip()
    file = Path(path) if Path(path).is_absolute() else repo.cwd / path
    try:
        return set(file.read_text(encoding="ascii", errors="replace").split())
    except OSError:
        return set()


def check_revision(repo: Repo, revisions: str) -> None:
    """Refuse anything that is not a revision or range (no options smuggled into git)."""
    if not revisions.strip() or revisions.strip().startswith("-"):
        raise HistoryError(f"“{revisions}”不是有效的提交范围；例如 origin/main..HEAD 或 提交号1..提交号2")
    for part in revisions.replace("...", "..").split(".."):
        if part and repo.git("rev-parse", "--verify", "--quiet", f"{part}^{{commit}}", check=False).returncode != 0:
            raise HistoryError(f"找不到提交“{part}”；请检查提交号或分支名（`git log --oneline` 可查看）")


# --- git log --------------------------------------------------------------------------------

_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s", "%(trailers:only,unfold,separator=%x1d)")
_FORMAT = "%x1e" + "%x1f".join(_FIELDS) + "%x1f"


@dataclass
class RawCommit:
    info: CommitInfo
    # (path inside the workspace, parent blob ids, new blob id) per changed file
    files: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


def read_log(repo: Repo, revisions: str | None = None) -> list[RawCommit]:
    """Commits touching ledgers/, data/ or templates/, oldest first (parents before children)."""
    if revisions is None and not head_exists(repo):
        return []
    if revisions is not None:
        check_revision(repo, revisions)
    args = ["log", "--date-order", "--reverse", "--no-renames", "--raw", "--no-abbrev", "-c", "-z", f"--format={_FORMAT}"]
    args.append(revisions if revisions is not None else "HEAD")
    args += ["--", repo.spec(LEDGERS), repo.spec(DATA), repo.spec(TEMPLATES)]
    output = repo.git(*args).stdout
    commits = []
    for chunk in output.split("\x1e"):
        if not chunk.strip("\0\n"):
            continue
        parts = chunk.split("\x1f")
        if len(parts) < len(_FIELDS) + 1:
            continue
        sha, parents, an, ae, ad, cn, ce, cd, subject, trailers = parts[: len(_FIELDS)]
        rest = "\x1f".join(parts[len(_FIELDS) :])
        info = CommitInfo(
            sha=sha,
            parents=tuple(parents.split()),
            author_name=an,
            author_email=ae,
            author_date=dt.datetime.fromisoformat(ad),
            committer_name=cn,
            committer_email=ce,
            committed=dt.datetime.fromisoformat(cd),
            subject=subject,
            trailers=_trailers(trailers),
        )
        commits.append(RawCommit(info, _raw_files(repo, rest)))
    return commits


def _trailers(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.replace("\x1d", "\n").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out.setdefault(key.strip(), value.strip())
    return out


def _raw_files(repo: Repo, text: str) -> list[tuple[str, tuple[str, ...], str]]:
    tokens = [t for t in text.lstrip("\0\n").split("\0")]
    out = []
    index = 0
    while index < len(tokens):
        token = tokens[index].strip("\n")
        if not token.startswith(":"):
            index += 1
            continue
        path = tokens[index + 1] if index + 1 < len(tokens) else ""
        index += 2
        colons = len(token) - len(token.lstrip(":"))
        fields = token.lstrip(":").split()
        # n parents: n+1 modes, n+1 blob ids (parents…, result), status
        shas = fields[colons + 1 : 2 * colons + 2]
        if len(shas) != colons + 1 or not path.startswith(repo.prefix):
            continue
        out.append((path[len(repo.prefix) :], tuple(shas[:-1]), shas[-1]))
    return out


# --- file contents --------------------------------------------------------------------------


def read_blobs(repo: Repo, ids: list[str]) -> dict[str, bytes]:
    """Contents of blobs by id, in one `git cat-file --batch`."""
    wanted = sorted({i for i in ids if i and i != ZERO_SHA})
    if not wanted:
        return {}
    data = repo.git_bytes("cat-file", "--batch", input_bytes=("\n".join(wanted) + "\n").encode())
    out: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode("utf-8", errors="replace").split()
        pos = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        out[sha] = data[pos : pos + size]
        pos += size + 1
    return out


def resolve_specs(repo: Repo, specs: list[str]) -> dict[str, str | None]:
    """Blob ids of `REV:path` specs (None where the file does not exist at that revision)."""
    wanted = list(dict.fromkeys(specs))
    if not wanted:
        return {}
    data = repo.git_bytes("cat-file", "--batch-check", input_bytes=("\n".join(wanted) + "\n").encode("utf-8"))
    lines = data.decode("utf-8", errors="replace").splitlines()
    out: dict[str, str | None] = {}
    for spec, line in zip(wanted, lines):
        parts = line.split()
        out[spec] = parts[0] if len(parts) >= 2 and parts[1] == "blob" else None
    return out


def read_at(repo: Repo, revision: str, path: str) -> bytes | None:
    spec = f"{revision}:{repo.prefix}{path}"
    blob = resolve_specs(repo, [spec]).get(spec)
    if blob is None:
        return None
    return read_blobs(repo, [blob]).get(blob)


@dataclass
class _Version:
    status: str  # "missing" | "valid" | "invalid"
    ledger: Ledger | None = None
    problem: str | None = None


class _Ledgers:
    """Parsed ledger versions by blob id, each parsed once."""

    def __init__(self, blobs: dict[str, bytes]):
        self.blobs = blobs
        self.cache: dict[str, _Version] = {}

    def get(self, sha: str, path: str) -> _Version:
        if sha == ZERO_SHA:
            return _Version("missing")
        if sha not in self.cache:
            raw = self.blobs.get(sha)
            if raw is None:
                self.cache[sha] = _Version("invalid", problem="无法从 git 读取该版本")
            else:
                loaded = load_model(Path(path), path, Ledger, raw=raw)
                errors = [p for p in loaded.problems if p.is_error]
                if loaded.model is None or errors:
                    first = errors[0] if errors else None
                    text = f"{first.location()}: {first.code} {first.message}" if first else "无法解析"
                    more = f"（另有 {len(errors) - 1} 个问题）" if len(errors) > 1 else ""
                    self.cache[sha] = _Version("invalid", problem=text + more)
                else:
                    self.cache[sha] = _Version("valid", loaded.model)
        return self.cache[sha]


def ledger_unit(path: str) -> str | None:
    """The unit id of a ledger path (ledgers/<unit>.yaml), or None for anything else."""
    pure = PurePosixPath(path)
    if len(pure.parts) == 2 and pure.parts[0] == LEDGERS and pure.suffix in (".yaml", ".yml"):
        return pure.stem
    return None


# --- history --------------------------------------------------------------------------------


@dataclass
class History:
    commits: list[CommitChanges]
    scanned: int  # commits read (before filtering by unit)
    shallow: list[str] = field(default_factory=list)  # boundary commits of a shallow clone (skipped)

    def notes(self) -> list[str]:
        """What the reader should know about how complete this history is."""
        if not self.shallow:
            return []
        return [
            f"提示：这是浅克隆（shallow clone），提交 {'、'.join(s[:9] for s in self.shallow)} 之前的历史不可见，"
            "这些提交本身也无法比较，已跳过；请运行 `git fetch --unshallow`（CI 中设置完整克隆，如 fetch-depth: 0）"
        ]


def load_history(
    repo: Repo,
    *,
    revisions: str | None = None,
    since: dt.date | None = None,
    unit: str | None = None,
    with_rules: bool = False,
    with_plans: bool = False,
) -> History:
    """The ledgers' history, oldest first: for each commit, each ledger's semantic changes (and,
    `with_rules`, who was allowed to edit what according to data/units.yaml before the commit;
    `with_plans`, the plan as committed in each commit that changed a ledger)."""
    raw = read_log(repo, revisions)
    boundary = shallow_commits(repo)
    skipped = [c.info.sha for c in raw if c.info.sha in boundary]
    raw = [c for c in raw if c.info.sha not in boundary]
    if since is not None:
        raw = [c for c in raw if c.info.commit_day >= since]
    wanted_ledger = None if unit is None else f"{LEDGERS}/{unit}"

    def wanted(path: str) -> bool:
        return bool(ledger_unit(path)) and (wanted_ledger is None or path.rsplit(".", 1)[0] == wanted_ledger)

    blob_ids: list[str] = []
    for commit in raw:
        for path, parents, new in commit.files:
            if wanted(path):
                blob_ids += [*parents, new]
    # The plan files each commit was judged by: one `cat-file --batch-check` for all of them, and
    # their contents in the same `cat-file --batch` as the ledgers'.
    rule_specs = _rule_specs(repo, raw) if with_rules else {}
    plan_specs = _plan_specs(repo, [c for c in raw if any(wanted(f[0]) for f in c.files)]) if with_plans else {}
    blob_of = resolve_specs(repo, list(rule_specs.values()) + [s for specs in plan_specs.values() for s in specs.values()])
    blobs = read_blobs(repo, blob_ids + [b for b in blob_of.values() if b])
    versions = _Ledgers(blobs)
    rules = _rules_before(repo, rule_specs, blob_of, blobs)
    plans = _plans_of(repo, plan_specs, blob_of, blobs)
    fallback: dict[tuple[str, str], Ledger | None] = {}
    out: list[CommitChanges] = []
    for commit in raw:
        ledgers: list[FileChange] = []
        others: list[str] = []
        for path, parents, new in commit.files:
            stem = ledger_unit(path)
            if stem is None:
                if path.startswith((f"{DATA}/", f"{TEMPLATES}/")):
                    others.append(path)
                continue
            if not wanted(path):
                continue
            change = _file_change(versions, fallback, path, stem, parents, new)
            if change is not None:
                ledgers.append(change)
        if ledgers or (others and unit is None):
            out.append(CommitChanges(commit.info, ledgers, others, rules.get(commit.info.sha), plans.get(commit.info.sha)))
    return History(out, len(raw), skipped)


def _file_change(
    versions: _Ledgers,
    fallback: dict[tuple[str, str], Ledger | None],
    path: str,
    stem: str,
    parents: tuple[str, ...],
    new: str,
) -> FileChange | None:
    """One file in one commit. In a merge, only what differs from every parent is the merge's own."""
    if not parents:
        parents = (ZERO_SHA,)
    results = [_against(versions, fallback, path, stem, old, new) for old in reversed(parents)]
    first = results[-1]
    if len(results) == 1:
        return first
    first.bases = [r.before for r in reversed(results)]
    common = set.intersection(*({c.key() for c in r.changes} for r in results))
    first.changes = [c for c in first.changes if c.key() in common]
    return first if first.changes else None


def _against(
    versions: _Ledgers, fallback: dict[tuple[str, str], Ledger | None], path: str, stem: str, old_sha: str, new_sha: str
) -> FileChange:
    old = versions.get(old_sha, path)
    new = versions.get(new_sha, path)
    base, known = old.ledger, True
    if old.status == "invalid":
        known = (path, old_sha) in fallback
        base = fallback.get((path, old_sha))
    changes: list[Change]
    if new.status == "invalid":
        if known:
            fallback[(path, new_sha)] = base
        changes = [Change("ledger_invalid", None, f"台账无效：{new.problem}")]
    elif old.status == "invalid" and new.status == "missing":
        if known and base is not None:
            changes = diff_ledgers(base, None)
        else:
            changes = [Change("ledger_removed", None, "台账被删除（删除前已无效）")]
    elif old.status == "invalid":
        changes = [Change("ledger_repaired", None, "台账恢复有效")]
        if known:
            changes += diff_ledgers(base, new.ledger)
    else:
        changes = diff_ledgers(old.ledger, new.ledger)
        if not changes and old_sha != new_sha:
            changes = [Change("text_only", None, "仅格式或注释变化")]
    return FileChange(
        path=path,
        unit=stem,
        before=base if known else None,
        after=new.ledger,
        before_status=old.status,
        after_status=new.status,
        problem=new.problem,
        changes=changes,
    )


def _rule_specs(repo: Repo, commits: list[RawCommit]) -> dict[str, str]:
    """Per commit: data/units.yaml as it stood before the commit (for a first commit, in it)."""
    specs: dict[str, str] = {}
    for commit in commits:
        base = commit.info.parents[0] if commit.info.parents else commit.info.sha
        specs[commit.info.sha] = f"{base}:{repo.prefix}{UNITS_FILE}"
    return specs


def _plan_specs(repo: Repo, commits: list[RawCommit]) -> dict[str, dict[str, str]]:
    """Per commit: each plan file as committed in it."""
    return {c.info.sha: {path: f"{c.info.sha}:{repo.prefix}{path}" for path in PLAN_FILES} for c in commits}


def _tree(repo: Repo, revision: str, files: dict[str, str | None], blobs: dict[str, bytes]) -> TreeSource:
    """The git tree source of a commit, for just these files, with their contents already read."""
    present = {path: blob for path, blob in files.items() if blob is not None}
    return TreeSource(repo.cwd, revision, repo.prefix, _files=present, _blobs={b: blobs.get(b, b"") for b in present.values()})


def _rules_before(
    repo: Repo, specs: dict[str, str], blob_of: dict[str, str | None], blobs: dict[str, bytes]
) -> dict[str, EditorRules | None]:
    """Per commit: the editors named in data/units.yaml before the commit, read by the plan's own
    loading function. Unreadable versions give None (no author check)."""
    parsed: dict[str | None, EditorRules | None] = {None: None}
    out: dict[str, EditorRules | None] = {}
    for sha, spec in specs.items():
        blob = blob_of.get(spec)
        if blob not in parsed:
            loaded = load_file(_tree(repo, sha, {UNITS_FILE: blob}, blobs), UNITS_FILE, UnitsFile)
            parsed[blob] = editor_rules(loaded.model) if loaded.model is not None and not has_errors(loaded.problems) else None
        out[sha] = parsed[blob]
    return out


def _plans_of(
    repo: Repo, specs: dict[str, dict[str, str]], blob_of: dict[str, str | None], blobs: dict[str, bytes]
) -> dict[str, Plan | None]:
    """Per commit: the plan as committed in it, read by the Book's loader once per distinct version
    of the plan files. A plan with errors gives None (no rules judged in that commit)."""
    cache: dict[tuple, Plan | None] = {}
    out: dict[str, Plan | None] = {}
    for sha, files in specs.items():
        ids = {path: blob_of.get(spec) for path, spec in files.items()}
        key = tuple(sorted(ids.items()))
        if key not in cache:
            cache[key] = load_book(_tree(repo, sha, ids, blobs), with_ledgers=False).plan
        out[sha] = cache[key]
    return out


# --- the Book at a revision (bare repositories have no files on disk) --------------------------


def book_at(repo: Repo, revision: str = "HEAD", *, with_ledgers: bool = False) -> Book:
    """The workspace as committed at `revision`, read by the one loader (the Book's)."""
    try:
        return load_book(TreeSource.open(repo.cwd, revision, repo.prefix), with_ledgers=with_ledgers)
    except SourceError as exc:
        raise HistoryError(exc.message) from exc
