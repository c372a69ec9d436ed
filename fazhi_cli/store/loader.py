"""Reading the workspace: each file through the guarded reader, then validated into models.

Nothing here raises on bad input: every result carries the problems found, so one broken file
never stops the others from being checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from fazhi_cli.models.ledger import Ledger
from fazhi_cli.models.plan import PhasesFile, Settings, TasksFile, UnitsFile
from fazhi_cli.problems import Problem, error, has_errors
from fazhi_cli.store.decode import Decoded, decode
from fazhi_cli.store.locate import validate
from fazhi_cli.store.yamlread import Parsed, parse_yaml

M = TypeVar("M", bound=BaseModel)


@dataclass
class Loaded(Generic[M]):
    """One file as read: its model (None when invalid), positions, encoding and problems."""

    path: str
    model: M | None
    parsed: Parsed | None = None
    decoded: Decoded | None = None
    raw: bytes | None = None
    problems: list[Problem] = field(default_factory=list)
    from_cache: bool = False  # model and problems from the cache; parsed again only if a position is asked

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def position(self, data_path: tuple, *, key: bool = False) -> tuple[int | None, int | None]:
        if self.parsed is None and self.from_cache and self.raw is not None:
            self.decoded, self.parsed, _ = parse_bytes(self.raw, self.path)
        if self.parsed is None:
            return (None, None)
        pos = self.parsed.position(data_path, key=key)
        return pos if pos else (None, None)


class CachedLoaded(Loaded):
    """A file whose model and problems came from the cache (store/cache.py): the problems at once,
    the model unpickled when first used (a one-unit view never builds the other units' models),
    the positions parsed again from the bytes only when one is asked for."""

    def __init__(self, path: str, raw: bytes, problems: list[Problem], model_blob: bytes | None, summary: dict) -> None:
        self._blob = model_blob
        super().__init__(path, None, raw=raw, problems=problems, from_cache=True)
        self.summary = summary  # small facts kept beside the model (a ledger's claims)

    @property
    def has_model(self) -> bool:
        return self._blob is not None

    @property
    def model(self):
        if "_model" not in self.__dict__:
            import pickle

            self.__dict__["_model"] = pickle.loads(self._blob) if self._blob is not None else None
        return self.__dict__["_model"]

    @model.setter
    def model(self, value) -> None:  # the dataclass's __init__ sets None: the blob decides
        if value is not None:
            self.__dict__["_model"] = value


def read_bytes(path: Path, shown: str) -> tuple[bytes | None, list[Problem]]:
    try:
        return path.read_bytes(), []
    except FileNotFoundError:
        return None, [error(shown, None, None, "E001", "文件不存在")]
    except OSError as exc:
        return None, [error(shown, None, None, "E001", f"文件无法读取：{exc.strerror or exc}")]


def parse_bytes(raw: bytes, shown: str) -> tuple[Decoded | None, Parsed | None, list[Problem]]:
    decoded, problems = decode(raw, shown)
    if decoded is None:
        return None, None, problems
    parsed, problems = parse_yaml(decoded.text, shown)
    return decoded, parsed, problems


def load_model(path: Path, shown: str, model: type[M], raw: bytes | None = None) -> Loaded[M]:
    """Read, decode, parse and validate one file."""
    if raw is None:
        raw, problems = read_bytes(path, shown)
        if raw is None:
            return Loaded(shown, None, problems=problems)
    decoded, parsed, problems = parse_bytes(raw, shown)
    if parsed is None:
        return Loaded(shown, None, None, decoded, raw, problems)
    instance, problems = validate(model, parsed, shown)
    return Loaded(shown, instance, parsed, decoded, raw, problems)


@dataclass
class PlanFiles:
    """The plan's files as read; `complete` when every one of them validated."""

    units: Loaded[UnitsFile]
    tasks: Loaded[TasksFile]
    phases: Loaded[PhasesFile]
    settings: Loaded[Settings]

    @property
    def problems(self) -> list[Problem]:
        return self.units.problems + self.tasks.problems + self.phases.problems + self.settings.problems

    @property
    def complete(self) -> bool:
        return not has_errors(self.problems) and all(
            f.model is not None for f in (self.units, self.tasks, self.phases, self.settings)
        )


def load_file(source, relative: str, model: type[M]) -> Loaded[M]:
    """One workspace file from a source (folder or git tree), read, parsed and validated."""
    from fazhi_cli.store.source import Unreadable

    try:
        raw = source.read(relative)
    except Unreadable as exc:
        return Loaded(relative, None, problems=[error(relative, None, None, exc.code, f"文件无法读取：{exc.reason}")])
    if raw is None:
        return Loaded(relative, None, problems=[error(relative, None, None, "E001", "文件不存在")])
    return load_model(Path(relative), relative, model, raw=raw)


PLAN_FILES = ("data/units.yaml", "data/tasks.yaml", "data/phases.yaml", "data/settings.yaml")


def load_plan_files(source) -> PlanFiles:
    """data/units.yaml, tasks.yaml, phases.yaml and settings.yaml (optional: defaults apply)."""
    settings_path = "data/settings.yaml"
    if source.exists(settings_path) or _present(source, settings_path):
        settings = load_file(source, settings_path, Settings)
    else:
        settings = Loaded(settings_path, Settings())
    return PlanFiles(
        load_file(source, "data/units.yaml", UnitsFile),
        load_file(source, "data/tasks.yaml", TasksFile),
        load_file(source, "data/phases.yaml", PhasesFile),
        settings,
    )


def _present(source, relative: str) -> bool:
    """Something is at the path even if it is not a readable file (so it is reported, not skipped)."""
    root = getattr(source, "root", None)
    return root is not None and os.path.lexists(root / relative)


def load_ledger(source, relative: str) -> Loaded[Ledger]:
    return load_file(source, relative, Ledger)
