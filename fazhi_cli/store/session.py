"""Opening a workspace for a command: the plan, the ledgers, and every problem met on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fazhi_cli.engine.plan import Plan, build_plan
from fazhi_cli.engine.plancheck import check_plan
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.problems import Problem, has_errors
from fazhi_cli.store.loader import Loaded, PlanFiles, load_ledger, load_plan_files
from fazhi_cli.store.workspace import Workspace, find_workspace


@dataclass
class Session:
    ws: Workspace
    files: PlanFiles
    plan: Plan | None
    plan_problems: list[Problem]
    ledgers: dict[str, Loaded[Ledger]] = field(default_factory=dict)  # by file stem

    def valid_ledgers(self) -> dict[str, Ledger]:
        """Ledgers that validated and whose file name matches their unit (by unit id)."""
        out: dict[str, Ledger] = {}
        for stem, loaded in self.ledgers.items():
            if loaded.model is not None and loaded.model.unit == stem and not has_errors(loaded.problems):
                out[stem] = loaded.model
        return out


def open_session(root: str | Path | None = None, *, with_ledgers: bool = True) -> Session:
    """Find and read the workspace. Raises WorkspaceNotFound only when there is no workspace at all."""
    ws = find_workspace(root)
    files = load_plan_files(ws)
    plan: Plan | None = None
    problems = files.problems
    if files.complete:
        plan = build_plan(files.units.model, files.tasks.model.tasks, files.phases.model, files.settings.model)
        problems = problems + check_plan(files, plan.directory)
        if has_errors(problems):
            plan = None
    session = Session(ws, files, plan, problems)
    if with_ledgers:
        for path in ws.ledger_files():
            session.ledgers[path.stem] = load_ledger(ws, path)
    return session
