"""Who is who: resolving unit and group names (id, full name, short name, alias) and expanding groups.

"Who must do task N" is computed here, once, from the groups' explicit members; open-ended groups
(各相关部门) add the units that claim the task in their ledgers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from fazhi_cli.models.plan import Group, Task, Unit, UnitsFile


@dataclass(frozen=True)
class Name:
    """What a name points at: a unit or a group, by id."""

    kind: str  # "unit" | "group"
    id: str


@dataclass
class Directory:
    units: dict[str, Unit]
    groups: dict[str, Group]
    names: dict[str, Name]
    clashes: dict[str, set[Name]] = field(default_factory=dict)

    # --- names -----------------------------------------------------------------------------
    def lookup(self, text: str) -> Name | None:
        key = _norm(text)
        if key in self.clashes:
            return None
        return self.names.get(key)

    def unit(self, text: str) -> Unit | None:
        """The unit named by id, full name, short name or alias; None if none or a group."""
        name = self.lookup(text)
        return self.units[name.id] if name and name.kind == "unit" else None

    def suggestions(self, text: str, *, units_only: bool = True, limit: int = 3) -> list[str]:
        """Names close to a mistyped one, for “是否是 …？”."""
        pool = {
            n: target
            for n, target in self.names.items()
            if not units_only or target.kind == "unit"
        }
        close = difflib.get_close_matches(_norm(text), list(pool), n=limit * 3, cutoff=0.4)
        shown: list[str] = []
        for candidate in close:
            target = pool[candidate]
            label = self.display(target)
            if label not in shown:
                shown.append(label)
        # Substring matches help with partial names such as “科尔沁” or “市场监管”.
        for n, target in pool.items():
            if len(shown) >= limit:
                break
            if _norm(text) and _norm(text) in n:
                label = self.display(target)
                if label not in shown:
                    shown.append(label)
        return shown[:limit]

    def display(self, name: Name) -> str:
        if name.kind == "unit":
            unit = self.units[name.id]
            return f"{unit.label}（{unit.id}）"
        group = self.groups[name.id]
        return f"{group.name}（分组 {group.id}）"

    # --- groups ----------------------------------------------------------------------------
    def expand(self, text: str) -> tuple[list[str], list[str]]:
        """Unit ids a name stands for, and the ids of the open groups met on the way."""
        name = self.lookup(text)
        if name is None:
            return [], []
        if name.kind == "unit":
            return [name.id], []
        units: list[str] = []
        open_groups: list[str] = []
        self._expand_group(name.id, units, open_groups, set())
        return units, open_groups

    def _expand_group(self, group_id: str, units: list[str], open_groups: list[str], seen: set[str]) -> None:
        if group_id in seen:
            return
        seen.add(group_id)
        group = self.groups[group_id]
        if group.open and group_id not in open_groups:
            open_groups.append(group_id)
        for member in group.members:
            target = self.lookup(member)
            if target is None:
                continue
            if target.kind == "unit":
                if target.id not in units:
                    units.append(target.id)
            else:
                self._expand_group(target.id, units, open_groups, seen)

    def group_cycles(self) -> list[list[str]]:
        """Chains of groups that include themselves (each reported once)."""
        cycles: list[list[str]] = []
        reported: set[frozenset[str]] = set()

        def visit(gid: str, chain: list[str]) -> None:
            for member in self.groups[gid].members:
                target = self.lookup(member)
                if target is None or target.kind != "group":
                    continue
                if target.id in chain:
                    cycle = chain[chain.index(target.id):] + [target.id]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        cycles.append(cycle)
                    continue
                visit(target.id, chain + [target.id])

        for gid in self.groups:
            visit(gid, [gid])
        return cycles

    def groups_of(self, unit_id: str) -> list[str]:
        """Ids of the groups (directly or through nested groups) that contain the unit."""
        return [gid for gid in self.groups if unit_id in self.expand(gid)[0]]


def _norm(text: str) -> str:
    return "".join(str(text).split()).casefold()


def build_directory(units_file: UnitsFile) -> Directory:
    units = {u.id: u for u in units_file.units}
    groups = {g.id: g for g in units_file.groups}
    names: dict[str, Name] = {}
    clashes: dict[str, set[Name]] = {}

    def add(text: str, target: Name) -> None:
        key = _norm(text)
        if key in names and names[key] != target:
            clashes.setdefault(key, {names[key]}).add(target)
            return
        names[key] = target

    for unit in units_file.units:
        target = Name("unit", unit.id)
        for text in (unit.id, unit.name, unit.short, *unit.aliases):
            if text:
                add(text, target)
    for group in units_file.groups:
        target = Name("group", group.id)
        for text in (group.id, group.name, *group.aliases):
            add(text, target)
    return Directory(units, groups, names, clashes)


@dataclass(frozen=True)
class Responsibility:
    """Who carries a task: lead unit ids, responsible unit ids, and the open groups one may claim through."""

    lead: tuple[str, ...]
    responsible: tuple[str, ...]
    open_groups: tuple[str, ...]

    @property
    def everyone(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.lead + self.responsible))


def responsibility(directory: Directory, task: Task, claims: set[str] | frozenset[str] = frozenset()) -> Responsibility:
    """Expand a task's lead and responsible cells; `claims` are units that claimed it in their ledgers."""
    lead: list[str] = []
    for name in task.lead:
        for uid in directory.expand(name)[0]:
            if uid not in lead:
                lead.append(uid)
    responsible: list[str] = []
    open_groups: list[str] = []
    for name in task.responsible:
        uids, opens = directory.expand(name)
        responsible.extend(u for u in uids if u not in responsible)
        open_groups.extend(g for g in opens if g not in open_groups)
    if open_groups:
        for uid in sorted(claims):
            if uid not in responsible and uid in directory.units:
                responsible.append(uid)
    return Responsibility(tuple(lead), tuple(responsible), tuple(open_groups))
