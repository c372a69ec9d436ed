"""The Book: the workspace read once into one value — plan, ledgers (valid and invalid, with their
problems), claims and who carries which task — and `as_of(day)`, the workspace as it stood then.

Every command builds one Book (book.load) and everything downstream takes it. What counts as a
valid ledger, who carries a task, and what was known on a given day are decided here and only
here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Mapping
from functools import cached_property

from fazhi_cli.book.directory import Responsibility, responsibility
from fazhi_cli.book.plan import Plan
from fazhi_cli.models.ledger import Entry, Extension, Ledger
from fazhi_cli.models.plan import Unit
from fazhi_cli.problems import Problem, has_errors
from fazhi_cli.store.loader import Loaded, PlanFiles
from fazhi_cli.store.workspace import Workspace


@dataclass
class LedgerFile:
    """One file under ledgers/: what it is named, what was read, and what is wrong with it.

    `problems` are the file's own: reading, shape, name, duplicate entries. A ledger with any
    error among them is invalid: views count its unit as having recorded nothing, and writes to
    its unit are refused until it is fixed."""

    stem: str
    loaded: Loaded[Ledger]
    problems: list[Problem] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.loaded.path

    @property
    def model(self) -> Ledger | None:
        return self.loaded.model

    @property
    def valid(self) -> bool:
        return self.loaded.has_model and not has_errors(self.problems)

    def claims(self) -> dict[int, dt.date]:
        """The tasks this ledger claims (认领), with the day (from the cache's summary when the
        file came from it, so the model is not built for this)."""
        summary = getattr(self.loaded, "summary", None)
        if summary is not None:
            return summary["claims"]
        return ledger_claims(self.loaded.model)

    def position(self, data_path: tuple, *, key: bool = False) -> tuple[int | None, int | None]:
        return self.loaded.position(data_path, key=key)


@dataclass
class Book:
    """The workspace as read (or, after `as_of`, as it stood at the end of a day)."""

    files: PlanFiles
    plan: Plan | None
    plan_problems: list[Problem]
    ledger_files: dict[str, LedgerFile]  # by file stem; two files of one stem share one entry
    ws: Workspace | None = None  # the work tree read from; None when read from a git commit
    revision: str | None = None  # the commit read from, when not the work tree
    as_of_day: dt.date | None = None  # set by as_of(): nothing dated later is in this book
    _ledgers: Mapping[str, Ledger] | None = field(default=None, repr=False)
    _cutoff: dt.date | None = field(default=None, repr=False)  # the earliest as_of day in the chain

    # --- ledgers ------------------------------------------------------------------------
    @property
    def ledgers(self) -> Mapping[str, Ledger]:
        """The valid ledgers, by unit id (as of `as_of_day` when set: each cut to that day when it
        is first looked at, so a one-unit view cuts one ledger)."""
        if self._ledgers is None:
            self._ledgers = self._valid_models()
        return self._ledgers

    def _valid_models(self) -> Mapping[str, Ledger]:
        return ValidModels(self.ledger_files)

    def invalid_ledgers(self) -> dict[str, LedgerFile]:
        return {stem: f for stem, f in self.ledger_files.items() if not f.valid}

    def entry(self, unit_id: str, task_id: int) -> Entry | None:
        ledger = self.ledgers.get(unit_id)
        return ledger.tasks.get(task_id) if ledger else None

    @property
    def problems(self) -> list[Problem]:
        """Every problem met while reading: the plan's and each ledger file's own."""
        out = list(self.plan_problems)
        for f in self.ledger_files.values():
            out += f.problems
        return out

    # --- who carries what ---------------------------------------------------------------
    @cached_property
    def claims(self) -> dict[int, frozenset[str]]:
        """Units that claimed (认领) each task in their valid ledgers."""
        found: dict[int, set[str]] = {}
        cutoff = self._cutoff
        for unit_id, f in self.ledger_files.items():
            if not f.valid:
                continue
            for task_id, claimed in f.claims().items():
                if cutoff is None or claimed <= cutoff:
                    found.setdefault(task_id, set()).add(unit_id)
        return {tid: frozenset(units) for tid, units in found.items()}

    @cached_property
    def responsibilities(self) -> dict[int, Responsibility]:
        """Who leads and who is responsible for each task, groups expanded, claims included."""
        plan = self._need_plan()
        return {tid: responsibility(plan.directory, task, set(self.claims.get(tid, ()))) for tid, task in plan.tasks.items()}

    def tasks_of(self, unit_id: str) -> list[int]:
        """Tasks the unit leads or is responsible for, in task order."""
        return [tid for tid in sorted(self.responsibilities) if unit_id in self.responsibilities[tid].everyone]

    def tasks_led_by(self, unit_id: str) -> list[int]:
        return [tid for tid in sorted(self.responsibilities) if unit_id in self.responsibilities[tid].lead]

    def carries(self, unit: Unit | str, task_id: int) -> bool:
        unit_id = unit if isinstance(unit, str) else unit.id
        return unit_id in self.responsibilities[task_id].everyone

    def _need_plan(self) -> Plan:
        if self.plan is None:
            raise ValueError("the plan has errors: no responsibilities can be computed")
        return self.plan

    def with_models(self, ledgers: dict[str, Ledger]) -> "Book":
        """The same plan with these ledgers (models built in memory, e.g. by a test or an import)."""
        files = {uid: LedgerFile(uid, Loaded(f"ledgers/{uid}.yaml", ledger)) for uid, ledger in ledgers.items()}
        return Book(self.files, self.plan, self.plan_problems, files, self.ws, self.revision, None)

    def with_ledger(self, unit_id: str, loaded: Loaded[Ledger], problems: list[Problem]) -> "Book":
        """The same workspace with one ledger replaced (a write's result, before it is written)."""
        files = dict(self.ledger_files)
        files[unit_id] = LedgerFile(unit_id, loaded, problems)
        return Book(self.files, self.plan, self.plan_problems, files, self.ws, self.revision, self.as_of_day)

    # --- as of a day --------------------------------------------------------------------
    def as_of(self, day: dt.date) -> "Book":
        """The workspace as it stood at the end of `day`: only what is dated on or before it —
        progress, records, 销号 log, claims, extension requests and decisions — and so only the
        evidence those cite. Invalid ledgers stay invalid; the plan is the plan."""
        cutoff = day if self._cutoff is None else min(day, self._cutoff)
        ledgers = {stem: f for stem, f in self.ledger_files.items()}
        book = Book(self.files, self.plan, self.plan_problems, ledgers, self.ws, self.revision, day, _cutoff=cutoff)
        book._ledgers = LedgersAsOf(self._valid_models(), cutoff)
        return book


def ledger_claims(ledger: Ledger | None) -> dict[int, dt.date]:
    """Task → the day the ledger claimed it."""
    if ledger is None:
        return {}
    return {tid: e.claimed for tid, e in ledger.tasks.items() if e is not None and e.claimed is not None}


class ValidModels(Mapping):
    """The valid ledgers' models by unit id, each built when first looked at."""

    def __init__(self, files: dict[str, LedgerFile]) -> None:
        self._files = {stem: f for stem, f in files.items() if f.valid}

    def __getitem__(self, unit_id: str) -> Ledger:
        return self._files[unit_id].model

    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._files


class LedgersAsOf(Mapping):
    """The valid ledgers cut to a day, each cut when first looked at."""

    def __init__(self, ledgers: Mapping[str, Ledger], day: dt.date) -> None:
        self._source, self._day, self._cut = ledgers, day, {}

    def __getitem__(self, unit_id: str) -> Ledger:
        if unit_id not in self._cut:
            self._cut[unit_id] = ledger_as_of(self._source[unit_id], self._day)
        return self._cut[unit_id]

    def __iter__(self):
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._source


def ledger_as_of(ledger: Ledger, day: dt.date) -> Ledger:
    return ledger.model_copy(update={"tasks": {tid: entry_as_of(e, day) for tid, e in ledger.tasks.items()}})


def entry_as_of(entry: Entry | None, day: dt.date) -> Entry | None:
    """The entry with everything dated after `day` left out (a decision made after `day` is
    undone: the request is shown as still awaiting its decision)."""
    if entry is None:
        return None
    return entry.model_copy(
        update={
            "claimed": entry.claimed if entry.claimed is not None and entry.claimed <= day else None,
            "progress": [p for p in entry.progress if p.date <= day],
            "records": [r for r in entry.records if r.date <= day],
            "log": [item for item in entry.log if item.date <= day],
            "extensions": [_extension_as_of(e, day) for e in entry.extensions if e.requested <= day],
        }
    )


def _extension_as_of(ext: Extension, day: dt.date) -> Extension:
    if ext.decision is None or (ext.decided is not None and ext.decided <= day):
        return ext
    return ext.model_copy(update={"decision": None, "decided": None, "decided_by": None, "decision_note": None})
