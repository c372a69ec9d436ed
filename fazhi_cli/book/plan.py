"""The plan in memory: validated files plus the directory, with the lookups every command needs."""

from __future__ import annotations

from dataclasses import dataclass

from fazhi_cli.book.directory import Directory, build_directory
from fazhi_cli.models.plan import PhasesFile, Settings, Task, Unit, UnitsFile


@dataclass
class Plan:
    units_file: UnitsFile
    tasks: dict[int, Task]
    phases: PhasesFile
    settings: Settings
    directory: Directory

    @property
    def year(self) -> int:
        return self.phases.year

    @property
    def units(self) -> dict[str, Unit]:
        return self.directory.units

    @property
    def office_unit_id(self) -> str | None:
        unit = self.directory.unit(self.units_file.office.unit)
        return unit.id if unit else None


def build_plan(units_file: UnitsFile, tasks: list[Task], phases: PhasesFile, settings: Settings) -> Plan:
    return Plan(units_file, {t.id: t for t in tasks}, phases, settings, build_directory(units_file))
