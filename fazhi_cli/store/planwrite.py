"""Writing the plan's data files as text in the shipped files' own style: data/tasks.yaml from a
list of tasks, and unit and group entries for data/units.yaml (appended to it, or as a proposal
to review). Plain scalars where YAML reads them back as the same text, double quotes elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fazhi_cli.models.plan import Group, Task, Unit

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW = set(",[]{}:?#")  # libyaml is stricter inside [ ] than the YAML spec
_SPECIAL = re.compile(
    r"^(?:~|null|true|false|yes|no|on|off|y|n|<<|=|[-+]?(?:\.inf|\.nan)|[-+]?\d[\d_,]*(?:\.\d*)?(?:e[-+]?\d+)?"
    r"|[-+]?\.\d+(?:e[-+]?\d+)?|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|\d{4}-\d\d?-\d\d?(?:[Tt ].*)?|[-+]?\d+(?::[0-5]?\d)+(?:\.\d*)?)$",
    re.IGNORECASE,
)


def yaml_scalar(value: str, *, flow: bool = False) -> str:
    """`value` as a YAML scalar that reads back as exactly this text."""
    plain = (
        value
        and value == value.strip()
        and value[0] not in _INDICATORS
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and all(c.isprintable() for c in value)
        and not _SPECIAL.match(value)
        and not (flow and any(c in _FLOW for c in value))
    )
    return value if plain else _quoted(value)


def _quoted(value: str) -> str:
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == " " or char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _flow_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_scalar(v, flow=True) for v in values) + "]"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def task_lines(task: Task) -> list[str]:
    """One task entry, as data/tasks.yaml writes it."""
    lines = [
        f"  - id: {task.id}",
        f"    title: {yaml_scalar(task.title)}",
        f"    text: {yaml_scalar(task.text)}",
        f"    section: {yaml_scalar(task.section)}",
        f"    kind: {task.kind.value}",
        f"    lead: {_flow_list(task.lead)}",
        f"    responsible: {_flow_list(task.responsible)}",
    ]
    if task.deadlines:
        lines.append("    deadlines:")
        for deadline in task.deadlines:
            lines.append(f"      - due: {deadline.due.isoformat()}")
            if deadline.level is not None:
                lines.append(f"        level: {deadline.level.value}")
            lines.append(f"        source: {yaml_scalar(deadline.source)}")
    if task.targets:
        lines.append("    targets:")
        for target in task.targets:
            lines.append(f"      - key: {target.key}")
            lines.append(f"        label: {yaml_scalar(target.label)}")
            lines.append(f"        measure: {target.measure.value}")
            if target.min is not None:
                lines.append(f"        min: {_number(target.min)}")
            if target.max is not None:
                lines.append(f"        max: {_number(target.max)}")
            lines.append(f"        unit: {yaml_scalar(target.unit)}")
            lines.append(f"        per_year: {'true' if target.per_year else 'false'}")
            lines.append(f"        source: {yaml_scalar(target.source)}")
    if task.note is not None:
        lines.append(f"    note: {yaml_scalar(task.note)}")
    return lines


def tasks_text(tasks: list[Task], header: list[str]) -> str:
    """A whole data/tasks.yaml: the header comment lines, then the tasks, a blank line between."""
    out = [f"# {line}" if line else "#" for line in header]
    out += ["", "tasks:"] if out else ["tasks:"]
    for index, task in enumerate(tasks):
        if index:
            out.append("")
        out += task_lines(task)
    if not tasks:
        out[-1] = "tasks: []"
    return "\n".join(out) + "\n"


def _comments(comments: list[str], indent: str) -> list[str]:
    return [f"{indent}# {c}" for c in comments]


def unit_lines(unit: Unit, comments: list[str] = ()) -> list[str]:
    lines = _comments(list(comments), "  ")
    lines += [f"  - id: {unit.id}", f"    name: {yaml_scalar(unit.name)}"]
    if unit.short:
        lines.append(f"    short: {yaml_scalar(unit.short)}")
    lines += [f"    aliases: {_flow_list(unit.aliases)}", f"    level: {unit.level.value}", f"    editors: {_flow_list(unit.editors)}"]
    if unit.note is not None:
        lines.append(f"    note: {yaml_scalar(unit.note)}")
    return lines


def group_lines(group: Group, comments: list[str] = ()) -> list[str]:
    lines = _comments(list(comments), "  ")
    lines += [
        f"  - id: {group.id}",
        f"    name: {yaml_scalar(group.name)}",
        f"    aliases: {_flow_list(group.aliases)}",
        f"    members: {_flow_list(group.members)}",
        f"    open: {'true' if group.open else 'false'}",
    ]
    if group.note is not None:
        lines.append(f"    note: {yaml_scalar(group.note)}")
    return lines


def proposal_text(header: list[str], units: list[tuple[Unit, list[str]]], groups: list[tuple[Group, list[str]]]) -> str:
    """A file of proposed entries for data/units.yaml, each under comments saying where its name
    stands and what to check."""
    out = [f"# {line}" if line else "#" for line in header]
    for key, entries, render in (("units", units, unit_lines), ("groups", groups, group_lines)):
        if not entries:
            continue
        out += ["", f"{key}:"]
        for index, (entry, comments) in enumerate(entries):
            if index:
                out.append("")
            out += render(entry, comments)
    return "\n".join(out) + "\n"


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


def add_to_units_text(text: str, units: list[tuple[Unit, list[str]]], groups: list[tuple[Group, list[str]]]) -> str:
    """data/units.yaml with new units at the end of its `units:` list and new groups at the end
    of `groups:` (added when missing); every other line stays as it was."""
    lines = text.split("\n")
    final_newline = text.endswith("\n")
    if final_newline:
        lines = lines[:-1]
    for key, entries, render in (("units", units, unit_lines), ("groups", groups, group_lines)):
        if not entries:
            continue
        block: list[str] = []
        for entry, comments in entries:
            block += render(entry, comments)
        start = next((i for i, line in enumerate(lines) if _TOP_KEY.match(line) and _TOP_KEY.match(line).group(1) == key), None)
        if start is None:
            while lines and not lines[-1].strip():
                lines.pop()
            lines += ["", f"{key}:", *block]
            continue
        if re.match(rf"^{key}\s*:\s*\[\s*\]\s*(#.*)?$", lines[start]):
            lines[start] = f"{key}:"
        end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
        insert = end
        while insert > start + 1 and (not lines[insert - 1].strip() or lines[insert - 1].startswith("#")):
            insert -= 1
        lines[insert:insert] = block
    return "\n".join(lines) + ("\n" if final_newline or not text else "")
