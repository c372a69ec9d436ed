"""Building the Book: the one loader, for a work tree and for a git commit alike.

Reading never raises on bad input: each file's problems are kept with it, so one broken ledger
never stops the others being read, checked or counted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import pickle

from fazhi_cli.book.book import Book, LedgerFile, ledger_claims
from fazhi_cli.book.plan import Plan, build_plan
from fazhi_cli.book.plancheck import check_plan
from fazhi_cli.models.common import SAFE_ID, WINDOWS_RESERVED
from fazhi_cli.problems import Problem, error, has_errors
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.store.cache import FileCache
from fazhi_cli.store.decode import decode
from fazhi_cli.store.loader import PLAN_FILES, CachedLoaded, Loaded, PlanFiles, load_ledger, load_model, load_plan_files
from fazhi_cli.store.source import FolderSource, TreeSource, Unreadable
from fazhi_cli.store.workspace import find_workspace


def open_book(root: str | Path | None = None, *, with_ledgers: bool = True) -> Book:
    """The Book of the workspace at or above the current directory (or `root`).
    Raises WorkspaceNotFound only when there is no workspace at all."""
    return load_book(FolderSource(find_workspace(root)), with_ledgers=with_ledgers)


def load_book(source: FolderSource | TreeSource, *, with_ledgers: bool = True) -> Book:
    """Read the plan and the ledgers from `source` into a Book."""
    cache = FileCache(source.root) if isinstance(source, FolderSource) else None
    files, plan, problems = read_plan(source, cache)
    ledgers: dict[str, LedgerFile] = {}
    if with_ledgers:
        paths = source.ledger_paths()
        if isinstance(source, TreeSource):
            source.prefetch(paths)
        ledgers = read_ledgers(source, paths, cache)
    if isinstance(source, FolderSource):
        return Book(files, plan, problems, ledgers, source.ws, None)
    return Book(files, plan, problems, ledgers, None, source.revision)


def read_plan(source: Any, cache: FileCache | None = None) -> tuple[PlanFiles, Plan | None, list[Problem]]:
    """The plan's files, the Plan built from them (None unless they are complete and pass
    check_plan) and their problems; from the cache when the four files' bytes were read before."""
    raws = _plan_bytes(source) if cache is not None else None
    together = b"".join(len(raw).to_bytes(8, "big") + raw for raw in raws) if raws is not None else b""
    if raws is not None:
        hit = cache.get(PLAN_ENTRY, together)
        if hit is not None:
            files, plan, problems = hit
            for loaded, raw in zip(_plan_loaded(files), raws):
                loaded.raw = raw  # positions are parsed again from these bytes only when asked
                loaded.decoded, _ = decode(raw, loaded.path)
            return files, plan, problems
    files = load_plan_files(source)
    plan: Plan | None = None
    problems = files.problems
    if files.complete:
        plan = build_plan(files.units.model, files.tasks.model.tasks, files.phases.model, files.settings.model)
        problems = problems + check_plan(files, plan.directory)
        if has_errors(problems):
            plan = None
    if raws is not None and all(loaded.raw == raw for loaded, raw in zip(_plan_loaded(files), raws)):
        kept = PlanFiles(*(replace(loaded, parsed=None, decoded=None, raw=None, from_cache=True) for loaded in _plan_loaded(files)))
        cache.put(PLAN_ENTRY, together, (kept, plan, problems))
    return files, plan, problems


PLAN_ENTRY = "data/"  # the cache entry of the four plan files together


def _plan_loaded(files: PlanFiles) -> tuple[Loaded, ...]:
    return (files.units, files.tasks, files.phases, files.settings)


def _plan_bytes(source: Any) -> tuple[bytes, bytes, bytes, bytes] | None:
    """The bytes of units, tasks, phases and settings, or None when one of them is missing or
    unreadable (then the ordinary path reports why, and nothing is cached)."""
    out = []
    for relative in PLAN_FILES:
        try:
            raw = source.read(relative)
        except Unreadable:
            return None
        if raw is None:
            return None
        out.append(raw)
    return tuple(out)


def read_ledgers(source: Any, paths: list[str], cache: FileCache | None = None) -> dict[str, LedgerFile]:
    """Every ledger file, with its own problems; two files for one unit (kerqin.yaml beside
    kerqin.yml) are both reported and the unit's ledger is invalid until one is removed."""
    by_stem: dict[str, list[str]] = {}
    for path in paths:
        by_stem.setdefault(PurePosixPath(path).stem, []).append(path)
    out: dict[str, LedgerFile] = {}
    for stem, same in by_stem.items():
        read = [_read_ledger(source, path, stem, cache) for path in same]
        loaded = [item for item, _ in read]
        first = loaded[0]
        problems = list(first.problems) + read[0][1]
        if len(same) > 1:
            names = "、".join(same)
            for item in loaded:
                problems.append(
                    error(item.path, 1, 1, "E309", f"单位“{stem}”有多个台账文件（{names}）；只能保留一个 ledgers/{stem}.yaml，请合并后删除其余的")
                )
        out[stem] = LedgerFile(stem, first, problems)
    return out


def _read_ledger(source: Any, path: str, stem: str, cache: FileCache | None) -> tuple[Loaded, list[Problem]]:
    """One ledger and the problems of its file as a unit's ledger, from the cache when its bytes
    were read before."""
    raw = None
    if cache is not None:
        try:
            raw = source.read(path)
        except Unreadable:
            raw = None
    if raw is None:  # no cache, or nothing to cache: the ordinary path reports why
        loaded = load_ledger(source, path)
        return loaded, ledger_file_problems(stem, loaded)
    hit = cache.get(path, raw)
    if hit is not None:
        blob, summary, problems, extra = hit
        return CachedLoaded(path, raw, problems, blob, summary), extra
    loaded = load_model(Path(path), path, Ledger, raw=raw)
    extra = ledger_file_problems(stem, loaded)
    blob = pickle.dumps(loaded.model, protocol=pickle.HIGHEST_PROTOCOL) if loaded.model is not None else None
    summary = {"claims": ledger_claims(loaded.model)}
    cache.put(path, raw, (blob, summary, loaded.problems, extra))
    # kept as a hit would be: the positions (many times the file's size) are parsed again only if
    # asked for, and a model only built when used, so a big workspace's first run holds no more
    # memory than the next one
    return CachedLoaded(path, raw, loaded.problems, blob, summary), extra


def ledger_file_problems(stem: str, loaded: Loaded) -> list[Problem]:
    """What makes a ledger file unusable beyond its shape: a file name that is not its unit, task
    keys that mean the same task, empty task entries."""
    out: list[Problem] = []
    if not SAFE_ID.match(stem) or stem in WINDOWS_RESERVED:
        out.append(error(loaded.path, None, None, "E204", f"台账文件名“{stem}”不是安全的单位编号（只能用小写字母、数字、连字符）"))
    elif loaded.model is not None and loaded.model.unit != stem:
        line, col = loaded.position(("unit",))
        out.append(
            error(loaded.path, line, col, "E302", f"文件名是 {stem}.yaml，但其中写的单位是“{loaded.model.unit}”；每个单位的台账文件名应为“单位编号.yaml”")
        )
    if loaded.parsed is not None:
        out += task_key_problems(loaded)
    return out


def task_key_problems(loaded: Loaded) -> list[Problem]:
    """`7:` and `"7":` (or `"07"`, `"7 "`) in one ledger are one task written twice; `7: ~` is an
    entry with nothing in it. Both are errors: reads would take one, writes the other."""
    data = loaded.parsed.data
    tasks = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(tasks, dict):
        return []
    out: list[Problem] = []
    seen: dict[int, Any] = {}
    for key, value in tasks.items():
        number = _task_number(key)
        if number is None:
            continue
        line, col = loaded.position(("tasks", key), key=True)
        if number in seen:
            first_line, _ = loaded.position(("tasks", seen[number]), key=True)
            out.append(
                error(loaded.path, line, col, "E310", f"任务 {number} 在台账中写了两次（第 {first_line} 行的“{seen[number]}”和这里的“{key}”）；请合并为一个条目，任务序号写成数字 {number}")
            )
        else:
            seen[number] = key
        if value is None:
            out.append(error(loaded.path, line, col, "E311", f"任务 {number} 的条目是空的（~ 或 null）；请删除这一行，或填写内容，如 claimed: 日期"))
    return out


def _task_number(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.strip().isdigit() and key.strip().isascii():
        return int(key.strip())
    return None
