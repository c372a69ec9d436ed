"""Reading the ledgers' history back from git: every commit that touched ledgers/ (and the plan
files), each ledger version before and after it, parsed the way `fazhi check` parses files.

One `git log` for the commits, one `git cat-file --batch-check` to find the plan files of each
commit, one `git cat-file --batch` for all file versions; each version is read once (by blob id):
a ledger's first version whole, its later ones by their parts, so that only the task entries and
list items a commit changed are parsed again (store/ledgerparts.py; exactly the same models).
Each distinct version of the plan is read once, by the Book's loader (`load_book`). A version
that does not parse is not an error here: it becomes a “台账无效” change, and the next valid
version is compared with the last valid one before it.

Works in a work tree (the workspace may be a sub-folder of the repository) and in a bare
repository (a central server's copy, e.g. from a pre-receive hook).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from fazhi_cli.engine.history import (
    CLOCK_TOLERANCE,
    Change,
    ClockJump,
    CommitChanges,
    CommitInfo,
    FileChange,
    ItemKeys,
    diff_ledgers,
    printable,
)
from fazhi_cli.book.book import Book
from fazhi_cli.book.load import load_book
from fazhi_cli.book.plan import Plan
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.engine.roles import Roles, roles_of
from fazhi_cli.problems import has_errors
from fazhi_cli.store.git import GIT_MISSING, ZERO_SHA, GitError, git_available, repository_near, run_git, run_git_bytes
from fazhi_cli.store.cache import FileCache
from fazhi_cli.store.ledgerparts import LedgerParts
from fazhi_cli.store.loader import PLAN_FILES, load_file, load_model
from fazhi_cli.store.source import SourceError, TreeSource

LEDGERS, DATA, TEMPLATES, EVIDENCE = "ledgers", "data", "templates", "evidence"


class HistoryError(Exception):
    """git history cannot be read (no git, not a repository, git refused it, a bad revision); exit
    code 2. The message is made printable (git's own messages quote paths, which may hold anything)."""

    def __init__(self, message: str, *, refused: bool = False):
        message = printable(message, keep_newlines=True)
        super().__init__(message)
        self.message = message
        self.refused = refused  # git found a repository but would not read it


@dataclass(frozen=True)
class Repo:
    """Where to run git, and where the workspace sits inside the repository."""

    cwd: Path
    prefix: str  # "" or "sub/dir/": the workspace's folder inside the repository
    bare: bool
    shallow_file: str = ""  # `git rev-parse --git-path shallow`, relative to cwd

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


NOT_A_REPOSITORY = (
    "“{path}”不在 git 仓库中：修改历史和审计要从 git 的提交记录中读取。"
    "请在工作区中运行 `git init` 并提交，或在从中心仓库克隆的目录中运行"
)


def open_repo(path: Path) -> Repo:
    """The repository holding `path` (a workspace folder, or a bare repository).

    “Not in a repository” is said only when there is none to be found: no GIT_DIR set, no `.git`
    in the folder or above it, and the folder is not a bare repository itself. Otherwise git's
    refusal (dubious ownership, a GIT_DIR that does not exist, a broken `.git` …) is reported with
    git's own reason: taking a refused repository for “no repository” would hide the history."""
    if not git_available():
        raise HistoryError(GIT_MISSING)
    if not path.is_dir():
        raise HistoryError(f"“{path}”不是目录")
    result = run_git(path, "rev-parse", "--is-bare-repository", "--git-path", "shallow", "--show-prefix", check=False)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip() or f"退出码 {result.returncode}"
        if not repository_near(path):
            raise HistoryError(NOT_A_REPOSITORY.format(path=path))
        hint = ""
        if "safe.directory" in reason or "dubious ownership" in reason:
            hint = "\n仓库的所有者不是当前用户，git 拒绝读取；确认该仓库可信后，按 git 的提示把它加入 safe.directory"
        raise HistoryError(f"git 无法读取“{path}”所在的仓库：{reason}{hint}", refused=True)
    lines = result.stdout.split("\n")
    bare = bool(lines) and lines[0].strip() == "true"
    shallow = lines[1] if len(lines) > 1 else ""
    prefix = lines[2].strip() if len(lines) > 2 else ""
    return Repo(path, prefix, bare, shallow)


def head_exists(repo: Repo) -> bool:
    return repo.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).returncode == 0


def shallow_commits(repo: Repo) -> set[str]:
    """Commits whose parents a shallow clone does not have: their diffs cannot be computed."""
    path = repo.shallow_file or repo.git("rev-parse", "--git-path", "shallow").stdout.strip()
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


# --- the commits ----------------------------------------------------------------------------
#
# Nothing a person can write (a subject, a name, an e-mail address) goes through a separator we
# split on: `git log -z` gives only commit ids, parent ids and the files changed (NUL-separated,
# each path right after its `:` line), and the commits themselves are read raw, as git stores
# them, in one `git cat-file --batch`, and parsed here. A commit object cannot contain NUL.

_LOG_FORMAT = "%x01%H %P"  # \x01 marks a commit line; ids are hex


@dataclass
class RawCommit:
    info: CommitInfo
    # (path inside the workspace, parent blob ids, new blob id) per changed file
    files: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


def read_log(
    repo: Repo, revisions: str | None = None, *, all_paths: bool = False
) -> list[tuple[str, tuple[str, ...], list[tuple[str, tuple[str, ...], str]]]]:
    """Commits touching ledgers/, data/ or templates/ (`all_paths`: any file), oldest first
    (parents before children): (commit id, parent ids, changed files)."""
    if revisions is None and not head_exists(repo):
        return []
    if revisions is not None:
        check_revision(repo, revisions)
    args = ["log", "--date-order", "--reverse", "--no-renames", "--raw", "--no-abbrev", "-c", "-z", f"--format={_LOG_FORMAT}"]
    args.append(revisions if revisions is not None else "HEAD")
    args += ["--", repo.spec("")] if all_paths else ["--", repo.spec(LEDGERS), repo.spec(DATA), repo.spec(TEMPLATES)]
    return parse_log(repo.git_bytes(*args), repo.prefix)


_HEX = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def parse_log(data: bytes, prefix: str = "") -> list[tuple[str, tuple[str, ...], list[tuple[str, tuple[str, ...], str]]]]:
    """`git log -z --raw -c` output in `_LOG_FORMAT`: a path is always the token after a `:` line,
    so a file named like anything at all is never taken for a commit."""
    tokens = data.decode("utf-8", errors="surrogateescape").split("\0")
    out: list[tuple[str, tuple[str, ...], list]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip("\n")
        index += 1
        if token.startswith("\x01"):
            ids = token[1:].split()
            if ids and all(_HEX.fullmatch(i) for i in ids):
                out.append((ids[0], tuple(ids[1:]), []))
            continue
        if not token.startswith(":") or not out:
            continue
        path = tokens[index] if index < len(tokens) else ""
        index += 1
        colons = len(token) - len(token.lstrip(":"))
        fields = token.lstrip(":").split()
        # n parents: n+1 modes, n+1 blob ids (parents…, result), status
        shas = fields[colons + 1 : 2 * colons + 2]
        if len(shas) != colons + 1 or not all(_HEX.fullmatch(s) for s in shas) or not path.startswith(prefix):
            continue
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            continue  # not a name fazhi could have written (ledgers are ledgers/<unit id>.yaml)
        out[-1][2].append((path[len(prefix) :], tuple(shas[:-1]), shas[-1]))
    return out


def read_commits(repo: Repo, shas: list[str]) -> dict[str, bytes]:
    """Raw commit objects by id, in one `git cat-file --batch`."""
    return read_objects(repo, shas, "commit")


def commit_info(sha: str, parents: tuple[str, ...], raw: bytes | None) -> CommitInfo:
    """A commit as git stores it: headers (author, committer, encoding …), a blank line, the
    message. The subject is the message's first paragraph; trailers (Fazhi-Action …) come only from
    its last paragraph after the subject, as `git interpret-trailers --parse` reads them."""
    headers: dict[bytes, bytes] = {}
    message = b""
    if raw is not None:
        head, _, message = raw.partition(b"\n\n")
        last = None
        for line in head.split(b"\n"):
            if line.startswith(b" ") and last is not None:
                headers[last] += b"\n" + line[1:]  # a continued header (gpgsig, mergetag)
                continue
            name, _, value = line.partition(b" ")
            if name not in headers:  # the first author/committer line is the one git uses
                headers[name] = value
            last = name
    encoding = _codec(headers.get(b"encoding", b"utf-8"))
    an, ae, ad = _ident(headers.get(b"author", b""), encoding)
    cn, ce, cd = _ident(headers.get(b"committer", b""), encoding)
    text = message.decode(encoding, errors="replace")
    subject, body = split_message(text)
    pairs = parse_trailers(body)
    return CommitInfo(
        sha=sha,
        parents=parents,
        author_name=an,
        author_email=ae,
        author_date=ad,
        committer_name=cn,
        committer_email=ce,
        committed=cd,
        subject=subject,
        trailers=_first(pairs),
        trailer_list=tuple(pairs),
        message=text,
    )


def _codec(name: bytes) -> str:
    try:
        return codecs.lookup(name.decode("ascii", errors="replace").strip()).name
    except LookupError:
        return "utf-8"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
# White space as git counts it (its own ctype): not Python's, which also counts \x1c–\x1f.
_WS = " \t\n\r"
_WS_BYTES = b" \t\n\r"
_ZONE = re.compile(rb"([+-])(\d\d)(\d\d)")


def _ident(value: bytes, encoding: str) -> tuple[str, str, dt.datetime]:
    """`Name <email> 1600000000 +0800` as git splits it: the name before the first `<`, the address
    up to the next `>`, the time after the last `>`. A time that cannot be read is 1970-01-01 UTC."""
    lt = value.find(b"<")
    gt = value.find(b">", lt + 1) if lt >= 0 else -1
    if lt < 0 or gt < 0:
        return value.strip(_WS_BYTES).decode(encoding, errors="replace"), "", EPOCH
    name = value[:lt].strip(_WS_BYTES).decode(encoding, errors="replace")
    email = value[lt + 1 : gt].strip(_WS_BYTES).decode(encoding, errors="replace")
    parts = value[value.rfind(b">") + 1 :].split()
    when = EPOCH
    if parts and parts[0].lstrip(b"-").isdigit() and len(parts[0]) < 20:
        zone = dt.timezone.utc
        match = _ZONE.fullmatch(parts[1]) if len(parts) > 1 else None
        if match and int(match[2]) < 24 and int(match[3]) < 60:
            offset = dt.timedelta(hours=int(match[2]), minutes=int(match[3]))
            zone = dt.timezone(-offset if match[1] == b"-" else offset)
        try:
            when = dt.datetime.fromtimestamp(int(parts[0]), zone)
        except (OverflowError, OSError, ValueError):
            when = EPOCH
    return name, email, when


def split_message(text: str) -> tuple[str, str]:
    """(subject, body): git's %s is the first paragraph, its lines joined by spaces."""
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip(_WS):
        index += 1
    subject = []
    while index < len(lines) and lines[index].strip(_WS):
        subject.append(lines[index].strip(_WS))
        index += 1
    return " ".join(subject), "\n".join(lines[index:])


_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)")


def parse_trailers(body: str) -> list[tuple[str, str]]:
    """`Key: value` lines of the body's last paragraph, in order (a line starting with white space
    continues the one before). A paragraph with any other line holds no trailers: git would need
    at least a quarter of trailer lines and a known key, fazhi writes a block of trailers only, and
    reading fewer trailers than git only ever makes a commit look hand-made."""
    paragraphs = [p for p in re.split(r"\n[ \t\r]*\n", body) if p.strip(_WS)]
    if not paragraphs:
        return []
    pairs: list[list[str]] = []
    for line in paragraphs[-1].strip("\n").split("\n"):
        if line[:1] in (" ", "\t") and pairs:
            pairs[-1][1] = (pairs[-1][1] + " " + line.strip(_WS)).strip(_WS)
            continue
        match = _TRAILER.fullmatch(line.rstrip(_WS))
        if match is None:
            return []
        pairs.append([match[1], match[2].strip(_WS)])
    return [(k, v) for k, v in pairs]


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def clock_jumps(repo: Repo, revisions: str | None, tolerance: dt.timedelta = CLOCK_TOLERANCE) -> list[tuple[str, str]]:
    """(commit, parent) pairs where the commit's committer time is earlier than its parent's by
    more than `tolerance` — over every commit in range, whatever files it touched. One
    `git rev-list --timestamp --parents --boundary` (boundary commits give the parents' times)."""
    args = ["rev-list", "--timestamp", "--parents", "--boundary", revisions if revisions is not None else "HEAD"]
    text = repo.git_bytes(*args).decode("ascii", errors="replace")
    times: dict[str, int] = {}
    listed: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[0].lstrip("-").isdigit():
            continue
        sha = parts[1]
        times[sha.lstrip("-")] = int(parts[0])
        if not sha.startswith("-"):
            listed.append((sha, parts[2:]))
    limit = tolerance.total_seconds()
    out = []
    for sha, parents in reversed(listed):  # oldest first
        for parent in parents:
            if parent in times and times[parent] - times[sha] > limit:
                out.append((sha, parent))
    return out


# --- file contents --------------------------------------------------------------------------


def read_blobs(repo: Repo, ids: list[str]) -> dict[str, bytes]:
    """Contents of blobs by id, in one `git cat-file --batch`."""
    return read_objects(repo, ids, "blob")


def read_objects(repo: Repo, ids: list[str], kind: str | None = None) -> dict[str, bytes]:
    """Contents of objects by id (only those of type `kind`, if given), in one `git cat-file --batch`."""
    wanted = sorted({i for i in ids if i and i != ZERO_SHA})
    if not wanted:
        return {}
    data = repo.git_bytes("cat-file", "--batch", input_bytes=("\n".join(wanted) + "\n").encode())
    out: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].decode("utf-8", errors="replace").split()
        pos = end + 1
        if len(header) < 3 or header[1] == "missing" or not header[2].isdigit():
            continue
        size = int(header[2])
        if kind is None or header[1] == kind:
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
    """Parsed ledger versions by blob id, each parsed once.

    The first version of a ledger is read whole (or taken from the user's cache); the next ones by
    their parts (store/ledgerparts.py), so only the task entries and items a commit changed are
    parsed. A version the parts cannot give (not in the simple block shape, or invalid) is read
    whole and kept in the cache, as the first."""

    def __init__(self, blobs: dict[str, bytes], store: FileCache | None = None):
        self.blobs = blobs
        self.cache: dict[str, _Version] = {}
        self.store = store  # the user's cache (store/cache.py): a blob is parsed once, ever
        self.parts = LedgerParts()
        self.keys = ItemKeys()  # the diff's item keys, shared by the versions' common items
        self.seen: set[str] = set()  # paths with a version read

    def get(self, sha: str, path: str) -> _Version:
        if sha == ZERO_SHA:
            return _Version("missing")
        if sha not in self.cache:
            raw = self.blobs.get(sha)
            ledger = self.parts.read(raw, path) if raw is not None and path in self.seen else None
            self.cache[sha] = _Version("valid", ledger) if ledger is not None else self._whole(sha, path, raw)
            self.seen.add(path)
        return self.cache[sha]

    def _whole(self, sha: str, path: str, raw: bytes | None) -> _Version:
        """One version read whole, through the user's cache."""
        name = f"ledger-version\0{path}\0{sha}"
        kept = self.store.get_object(name) if self.store is not None else None
        if kept is not None:
            return kept
        if raw is None:
            return _Version("invalid", problem="无法从 git 读取该版本")
        loaded = load_model(Path(path), path, Ledger, raw=raw)
        errors = [p for p in loaded.problems if p.is_error]
        if loaded.model is None or errors:
            first = errors[0] if errors else None
            text = f"{first.location()}: {first.code} {first.message}" if first else "无法解析"
            more = f"（另有 {len(errors) - 1} 个问题）" if len(errors) > 1 else ""
            version = _Version("invalid", problem=text + more)
        else:
            version = _Version("valid", loaded.model)
        if self.store is not None:
            self.store.put_object(name, version)
        return version


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
    # `with_clock`: commits whose committer time is earlier than a parent's (any commit in range)
    clock: list[ClockJump] = field(default_factory=list)

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
    with_clock: bool = False,
) -> History:
    """The ledgers' history, oldest first: for each commit, each ledger's semantic changes (and,
    `with_rules`, who was allowed to edit what according to data/units.yaml before the commit;
    `with_plans`, the plan as committed in each commit that changed a ledger; `with_clock`, the
    commits dated earlier than a parent)."""
    logged = read_log(repo, revisions, all_paths=with_rules)
    jumps = clock_jumps(repo, revisions) if with_clock and logged else []
    objects = read_commits(repo, [sha for sha, _, _ in logged] + [sha for pair in jumps for sha in pair])
    boundary = shallow_commits(repo)
    parents_of = {sha: parents for sha, parents, _ in logged}
    raw = [RawCommit(commit_info(sha, parents, objects.get(sha)), files) for sha, parents, files in logged]
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
    blob_of = resolve_specs(repo, [s for specs in (*rule_specs.values(), *plan_specs.values()) for s in specs.values()])
    blobs = read_blobs(repo, blob_ids + [b for b in blob_of.values() if b])
    versions = _Ledgers(blobs, FileCache(repo.cwd))
    read: dict[tuple, Plan | None] = {}  # one parse per distinct version of the plan files, for both
    rules = _rules_before(repo, rule_specs, blob_of, blobs, read)
    plans = _plans_of(repo, plan_specs, blob_of, blobs, read)
    fallback: dict[tuple[str, str], Ledger | None] = {}
    out: list[CommitChanges] = []
    for commit in raw:
        ledgers: list[FileChange] = []
        others: list[str] = []
        evidence: list[str] = []
        shared: list[str] = []
        for path, parents, new in commit.files:
            stem = ledger_unit(path)
            if stem is None:
                if path.startswith((f"{DATA}/", f"{TEMPLATES}/")):
                    others.append(path)
                elif path.startswith(f"{EVIDENCE}/"):
                    evidence.append(path)
                else:
                    shared.append(path)
                continue
            if not wanted(path):
                continue
            change = _file_change(versions, fallback, path, stem, parents, new)
            if change is not None:
                ledgers.append(change)
        if ledgers or ((others or evidence or shared) and unit is None):
            out.append(CommitChanges(commit.info, ledgers, others, rules.get(commit.info.sha), plans.get(commit.info.sha), evidence, shared))
    listed = {c.commit.sha for c in out}
    clock = []
    for sha, parent in jumps:
        info = commit_info(sha, parents_of.get(sha, ()), objects.get(sha))
        if (since is not None and info.commit_day < since) or (unit is not None and sha not in listed):
            continue
        clock.append(ClockJump(info, commit_info(parent, (), objects.get(parent))))
    return History(out, len(raw), skipped, clock)


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
            changes = diff_ledgers(base, None, versions.keys)
        else:
            changes = [Change("ledger_removed", None, "台账被删除（删除前已无效）")]
    elif old.status == "invalid":
        changes = [Change("ledger_repaired", None, "台账恢复有效")]
        if known:
            changes += diff_ledgers(base, new.ledger, versions.keys)
    else:
        changes = diff_ledgers(old.ledger, new.ledger, versions.keys)
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


def _rule_specs(repo: Repo, commits: list[RawCommit]) -> dict[str, dict[str, str]]:
    """Per commit: each plan file as it stood before the commit (for a first commit, in it)."""
    specs: dict[str, dict[str, str]] = {}
    for commit in commits:
        base = commit.info.parents[0] if commit.info.parents else commit.info.sha
        specs[commit.info.sha] = {path: f"{base}:{repo.prefix}{path}" for path in PLAN_FILES}
    return specs


def _plan_specs(repo: Repo, commits: list[RawCommit]) -> dict[str, dict[str, str]]:
    """Per commit: each plan file as committed in it."""
    return {c.info.sha: {path: f"{c.info.sha}:{repo.prefix}{path}" for path in PLAN_FILES} for c in commits}


def _tree(repo: Repo, revision: str, files: dict[str, str | None], blobs: dict[str, bytes]) -> TreeSource:
    """The git tree source of a commit, for just these files, with their contents already read."""
    present = {path: blob for path, blob in files.items() if blob is not None}
    return TreeSource(repo.cwd, revision, repo.prefix, _files=present, _blobs={b: blobs.get(b, b"") for b in present.values()})


def _rules_before(
    repo: Repo, specs: dict[str, dict[str, str]], blob_of: dict[str, str | None], blobs: dict[str, bytes], read: dict[tuple, Plan | None]
) -> dict[str, Roles | None]:
    """Per commit: who might do what according to the plan before the commit (units' editors,
    the office's staff, the tasks' lead units, settings.review_by). A plan with errors gives None
    (no role check)."""
    plans = _plans_of(repo, specs, blob_of, blobs, read)
    roles: dict[int, Roles] = {}  # by plan object: each distinct version of the plan once
    out: dict[str, Roles | None] = {}
    for sha, plan in plans.items():
        if plan is not None and id(plan) not in roles:
            roles[id(plan)] = roles_of(plan)
        out[sha] = roles[id(plan)] if plan is not None else None
    return out


def _plans_of(
    repo: Repo, specs: dict[str, dict[str, str]], blob_of: dict[str, str | None], blobs: dict[str, bytes], read: dict[tuple, Plan | None]
) -> dict[str, Plan | None]:
    """Per commit: the plan as committed in it, read by the Book's loader once per distinct version
    of the plan files (`read` remembers them across calls). A plan with errors gives None (no
    rules judged in that commit)."""
    out: dict[str, Plan | None] = {}
    for sha, files in specs.items():
        ids = {path: blob_of.get(spec) for path, spec in files.items()}
        key = tuple(sorted(ids.items()))
        if key not in read:
            read[key] = load_book(_tree(repo, sha, ids, blobs), with_ledgers=False).plan
        out[sha] = read[key]
    return out


# --- the Book at a revision (bare repositories have no files on disk) --------------------------


def book_at(repo: Repo, revision: str = "HEAD", *, with_ledgers: bool = False) -> Book:
    """The workspace as committed at `revision`, read by the one loader (the Book's)."""
    try:
        return load_book(TreeSource.open(repo.cwd, revision, repo.prefix), with_ledgers=with_ledgers)
    except SourceError as exc:
        raise HistoryError(exc.message) from exc
