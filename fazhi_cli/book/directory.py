"""Who is who: resolving unit and group names (id, full name, short name, alias) and expanding groups.

"Who must do task N" is computed here, once, from the groups' explicit members; open-ended groups
(各相关部门) add the units that claim the task in their ledgers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property

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
    # Expansions of groups, computed once each (`expand`): the units, groups and names are fixed
    # once the directory is built.
    _expanded: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _member_sets: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

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
        cached = self._expanded.get(name.id)
        if cached is None:
            units: list[str] = []
            open_groups: list[str] = []
            self._expand_group(name.id, units, set(), open_groups, set())
            cached = self._expanded[name.id] = (tuple(units), tuple(open_groups))
        return list(cached[0]), list(cached[1])

    def _expand_group(self, group_id: str, units: list[str], listed: set[str], open_groups: list[str], seen: set[str]) -> None:
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
                if target.id not in listed:
                    listed.add(target.id)
                    units.append(target.id)
            else:
                self._expand_group(target.id, units, listed, open_groups, seen)

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
        return [gid for gid in self.groups if unit_id in self._members(gid)]

    def _members(self, group_id: str) -> frozenset[str]:
        """The unit ids of a group (by its id) as a set, computed once."""
        members = self._member_sets.get(group_id)
        if members is None:
            members = self._member_sets[group_id] = frozenset(self.expand(group_id)[0])
        return members


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


class Members(tuple):
    """Unit ids in their order (a tuple, equal to the plain tuple), whose membership test is a set
    look-up: `unit_id in responsibility.everyone` is asked for every ledger × task."""

    def __new__(cls, ids=()):
        self = super().__new__(cls, ids)
        self._set = frozenset(self)
        return self

    def __contains__(self, item: object) -> bool:
        try:
            return item in self._set
        except TypeError:  # an unhashable value is in no tuple of ids either
            return False


@dataclass(frozen=True)
class Responsibility:
    """Who carries a task: lead unit ids, responsible unit ids, and the open groups one may claim through."""

    lead: tuple[str, ...]
    responsible: tuple[str, ...]
    open_groups: tuple[str, ...]

    @cached_property
    def everyone(self) -> tuple[str, ...]:
        """Lead units, then the responsible ones not leading (computed once)."""
        return Members(dict.fromkeys(self.lead + self.responsible))


def responsibility(directory: Directory, task: Task, claims: set[str] | frozenset[str] = frozenset()) -> Responsibility:
    """Expand a task's lead and responsible cells; `claims` are units that claimed it in their ledgers."""
    lead: list[str] = []
    leading: set[str] = set()
    for name in task.lead:
        for uid in directory.expand(name)[0]:
            if uid not in leading:
                leading.add(uid)
                lead.append(uid)
    responsible: list[str] = []
    listed: set[str] = set()
    open_groups: list[str] = []
    for name in task.responsible:
        uids, opens = directory.expand(name)
        for uid in uids:
            if uid not in listed:
                listed.add(uid)
                responsible.append(uid)
        open_groups.extend(g for g in opens if g not in open_groups)
    if open_groups:
        for uid in sorted(claims):
            if uid not in listed and uid in directory.units:
                listed.add(uid)
                responsible.append(uid)
    return Responsibility(tuple(lead), tuple(responsible), tuple(open_groups))
