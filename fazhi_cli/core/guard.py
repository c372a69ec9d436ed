"""`fazhi guard`: the central repository's pre-receive hook. A push is accepted whole or refused
whole, with one Chinese reason per problem.

For each updated ref, against the data as of each commit's parent:
- the main branch is never deleted nor moved other than forward (no force-push, no rewritten history);
- every new commit is audited (engine/audit.py) with the **pusher** as the identity the roles are
  judged by — the one the server authenticated, not the author a commit claims: a unit's editors
  change only their own ledger and evidence/<unit>/, a task's reviewers only add review entries,
  the office alone changes data/, templates/ and other shared files; nothing on record is deleted
  or rewritten; a closed entry changes only by being reopened; the 销号 rules hold; commit times
  do not go backwards; the Fazhi-* trailers tell the truth;
- the pushed tip passes `check` in every file the push touched (problems of untouched files are
  the office's to fix and do not block a unit's push).
Backfills (A001) and future dates (A002) are shown as notices, not refused: a late entry is
legitimate, and `audit` keeps reporting it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from fazhi_cli.book.load import load_book
from fazhi_cli.core.history import HistoryError, Repo, book_at, load_history
from fazhi_cli.engine.audit import Finding, audit
from fazhi_cli.engine.roles import norm, roles_of
from fazhi_cli.engine.workspacecheck import check_ledger
from fazhi_cli.models.plan import Settings
from fazhi_cli.store.git import ZERO_SHA
from fazhi_cli.store.source import SourceError, TreeFacts, TreeSource

# Where each server puts the authenticated user, read in this order.
PUSHER_VARIABLES = ("REMOTE_USER", "GL_USER", "GITEA_PUSHER_NAME", "GITEA_PUSHER_EMAIL", "GL_USERNAME")
# The guard's own codes (the audit's A-codes are reused for what a commit carries).
GUARD_CODES = {
    "G001": "不能删除主分支",
    "G002": "主分支只能快进（不能强制推送或改写历史）",
    "G003": "无法确定推送人",
    "G004": "无法读取推送的提交",
    "G005": "推送后的文件通不过 fazhi check",
}
BLOCKING = frozenset({"A003", "A004", "A005", "A006", "A007", "A008", "A009"})
NOTICES = frozenset({"A001", "A002"})


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str


@dataclass
class Verdict:
    refusals: list[str] = field(default_factory=list)  # one line each, Chinese, with a code
    notices: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.refusals


def parse_updates(text: str) -> list[RefUpdate]:
    """pre-receive's standard input: `<old> <new> <ref>` per line."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append(RefUpdate(*parts))
    return out


def pusher_candidates(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, value) for each identity the server gave, in PUSHER_VARIABLES order."""
    return [(name, env[name].strip()) for name in PUSHER_VARIABLES if (env.get(name) or "").strip()]


def _main_branch(repo: Repo) -> str:
    result = repo.git("symbolic-ref", "-q", "HEAD", check=False)
    return result.stdout.strip() or "refs/heads/main"


def _is_ancestor(repo: Repo, old: str, new: str) -> bool:
    return repo.git("merge-base", "--is-ancestor", old, new, check=False).returncode == 0


def judge_push(repo: Repo, updates: list[RefUpdate], env: Mapping[str, str] | None = None, today: dt.date | None = None) -> Verdict:
    """Whether the push may land, and why not."""
    env = os.environ if env is None else env
    verdict = Verdict()
    main = _main_branch(repo)
    candidates = pusher_candidates(env)
    for update in updates:
        short = update.ref.removeprefix("refs/heads/")
        if update.new == ZERO_SHA:
            if update.ref == main:
                verdict.refusals.append(f"G001 不能删除主分支 {short}")
            continue
        if update.old != ZERO_SHA and not _is_ancestor(repo, update.old, update.new):
            if update.ref == main:
                verdict.refusals.append(
                    f"G002 {short} 不是快进更新（强制推送或改写了已有的历史）：已推送的提交不能改动或删除；请先 git pull 合并，再推送"
                )
                continue
        _judge_commits(repo, update, candidates, today or dt.date.today(), verdict)
    return verdict


def _new_commits(repo: Repo, new: str) -> list[str]:
    """The commits this push brings that the repository does not yet have on any ref."""
    text = repo.git("rev-list", new, "--not", "--all").stdout
    return [line.strip() for line in text.splitlines() if line.strip()]


def _judge_commits(repo: Repo, update: RefUpdate, candidates: list[tuple[str, str]], today: dt.date, verdict: Verdict) -> None:
    fresh = set(_new_commits(repo, update.new))
    if not fresh:
        return
    before = _book(repo, update.old) if update.old != ZERO_SHA else None
    roles = roles_of(before.plan) if before is not None and before.plan is not None else None
    pusher = _choose(candidates, roles)
    if roles is not None and roles.configured and pusher is None:
        verdict.refusals.append(
            "G003 无法确定推送人：服务器没有提供已认证的用户（" + "、".join(PUSHER_VARIABLES) + "）；请检查服务器的认证设置"
        )
        return
    revisions = f"{update.old}..{update.new}" if update.old != ZERO_SHA else update.new
    try:
        history = load_history(repo, revisions=revisions, with_rules=True, with_plans=True, with_clock=True)
    except HistoryError as exc:
        verdict.refusals.append(f"G004 无法读取推送的提交：{exc.message}")
        return
    commits = [c for c in history.commits if c.commit.sha in fresh]
    clock = [j for j in history.clock if j.commit.sha in fresh]
    plan = before.plan if before is not None else None
    days = plan.settings.backfill_days if plan is not None else Settings().backfill_days
    findings = audit(commits, backfill_days=days, identity=lambda _commit: pusher or "", clock=clock)
    for finding in findings:
        line = _line(finding)
        if finding.code in BLOCKING:
            verdict.refusals.append(line)
        elif finding.code in NOTICES:
            verdict.notices.append(line)
    touched = {fc.path for c in commits for fc in c.ledgers} | {p for c in commits for p in c.other_paths}
    said = {(f.path, f.rule) for f in findings if f.rule}  # a broken rule already refused as A007
    verdict.refusals += _tip_problems(repo, update.new, touched, today, said)


def _choose(candidates: list[tuple[str, str]], roles) -> str | None:
    """The pusher's identity: the first the server gave that the roles list (Gitea gives a name and
    an e-mail; either may be the one listed), else the first."""
    if not candidates:
        return None
    if roles is not None:
        listed = set(roles.office).union(*roles.editors.values())
        for _, value in candidates:
            if norm(value) in listed:
                return value
    return candidates[0][1]


def _book(repo: Repo, revision: str):
    """The plan as it stood at `revision` (None when it cannot be read)."""
    try:
        return book_at(repo, revision)
    except HistoryError:
        return None


def _tip_problems(repo: Repo, revision: str, touched: set[str], today: dt.date, said: set[tuple] = frozenset()) -> list[str]:
    """`check` of the pushed tip, for the files the push touched: the plan files, and each touched
    ledger (its reading, and every entry against the rules and its evidence in the tree). A rule
    the audit already named for that file (`said`: (path, rule code)) is not repeated."""
    try:
        source = TreeSource.open(repo.cwd, revision, repo.prefix)
        book = load_book(source, with_ledgers=True)
    except SourceError as exc:
        return [f"G004 无法读取推送的提交：{exc.message}"]
    out: list[str] = []
    for problem in book.plan_problems:
        if problem.is_error and (problem.path in touched or book.plan is None and any(p.startswith("data/") for p in touched)):
            out.append(f"G005 {problem.as_text()}")
    if book.plan is None:
        if not out and touched:
            out.append("G005 推送后的方案数据（data/）有错误，无法检查台账；请先运行 fazhi check")
        return out
    facts = TreeFacts(source)
    for stem, ledger_file in book.ledger_files.items():
        if ledger_file.path not in touched:
            continue
        problems = [p for p in ledger_file.problems if p.is_error]
        if ledger_file.valid and stem in book.ledgers:
            problems += [p for p in check_ledger(book, ledger_file, today, facts) if p.is_error]
        out += [f"G005 {p.as_text()}" for p in problems if (p.path, p.code) not in said]
    return out


def _line(finding: Finding) -> str:
    where = f"{finding.commit.short} "
    return f"{finding.code} {where}{finding.message}"
