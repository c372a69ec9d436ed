"""The plan data (data/*.yaml) checked against the published source text of the plan.

The annex of the source (通辽市2020年度法治政府建设重点工作任务分解表) is parsed here on its own,
without using the package's loaders, and every row is compared with data/tasks.yaml: task text
character for character, and the lead and responsible cells split into names with the vocabulary of
data/units.yaml. So a transcription slip in either file shows up as a failing row.

The source lives outside the checkout: ../shared/source/tongliao-2020-fazhi-plan.txt (CI puts
`shared` beside the checkout); set FAZHI_SOURCE to use another copy.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

from fazhi_cli.models.plan import PhasesFile, Settings, TaskKind, TasksFile, UnitsFile

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SOURCE_NAME = "shared/source/tongliao-2020-fazhi-plan.txt"
SEPARATORS = "、等"  # “发改委、市人社局等有职业资格……的各相关部门”: 等 joins two names
ROW_COUNT = 45
DATA_FILES = {"units": UnitsFile, "tasks": TasksFile, "phases": PhasesFile, "settings": Settings}


# --- loading -------------------------------------------------------------------------------------
class _DatesAsStrings(SafeConstructor):
    """Dates stay strings, so pydantic parses (and would locate) them like any other field."""


_DatesAsStrings.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _load(name: str):
    yaml = YAML(typ="safe")
    yaml.Constructor = _DatesAsStrings
    return yaml.load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def units() -> UnitsFile:
    return UnitsFile.model_validate(_load("units"))


@pytest.fixture(scope="module")
def tasks() -> TasksFile:
    return TasksFile.model_validate(_load("tasks"))


@pytest.fixture(scope="module")
def phases() -> PhasesFile:
    return PhasesFile.model_validate(_load("phases"))


def _source_path() -> Path:
    env = os.environ.get("FAZHI_SOURCE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / SOURCE_NAME


@pytest.fixture(scope="module")
def source_text() -> str:
    path = _source_path()
    if not path.is_file():
        pytest.fail(f"source text of the plan not found at {path}; put it there or set FAZHI_SOURCE")
    return path.read_text(encoding="utf-8")


# --- the annex, parsed independently -------------------------------------------------------------
def parse_annex(text: str) -> list[dict]:
    """Rows of the annex table: {"id", "text", "cells"}.

    After the header line “责任单位” each row is: its number alone on a line, the task text, then the
    cells. Blank and whitespace-only lines (the source has lone NBSPs) are skipped. A line ending in
    “、” continues the same cell. The table ends at the “政策解读链接” line.
    """
    lines = text.split("\n")
    header = [i for i, line in enumerate(lines) if line.strip() == "责任单位"]
    assert header, "annex header line “责任单位” not found in the source"
    rows: list[dict] = []
    current: dict | None = None
    for raw in lines[header[-1] + 1 :]:
        line = raw.strip()  # str.strip() also removes NBSP
        if not line:
            continue
        if line.startswith("政策解读"):
            break
        if line == str(len(rows) + 1):
            current = {"id": len(rows) + 1, "text": None, "cells": []}
            rows.append(current)
            continue
        assert current is not None, f"text before the first row number: {line!r}"
        if current["text"] is None:
            current["text"] = line
        elif current["cells"] and current["cells"][-1].endswith("、"):
            current["cells"][-1] += line
        else:
            current["cells"].append(line)
    return rows


def tokenize(cell: str, vocabulary: list[str]) -> list[str]:
    """Split a cell into known names, longest match first, names separated by “、” or “等”."""
    words = sorted(set(vocabulary), key=len, reverse=True)
    names: list[str] = []
    i = 0
    while i < len(cell):
        word = next((w for w in words if cell.startswith(w, i)), None)
        assert word is not None, f"no known unit or group name at “{cell[i:]}” in cell “{cell}”"
        names.append(word)
        i += len(word)
        if i < len(cell):
            assert cell[i] in SEPARATORS, f"expected “、” or “等” after “{word}” in cell “{cell}”"
            i += 1
            assert i < len(cell), f"cell ends with a separator: “{cell}”"
    return names


def _names(units: UnitsFile) -> dict[str, list[tuple[str, str]]]:
    """Every id, name, short name and alias → what it names (kind, id); a clash has several."""
    table: dict[str, list[tuple[str, str]]] = {}
    for unit in units.units:
        for text in {unit.id, unit.name, unit.short, *unit.aliases} - {None}:
            table.setdefault(text, []).append(("unit", unit.id))
    for group in units.groups:
        for text in {group.id, group.name, *group.aliases}:
            table.setdefault(text, []).append(("group", group.id))
    return table


def _vocabulary(units: UnitsFile) -> list[str]:
    words: list[str] = []
    for unit in units.units:
        words += [unit.name, *([unit.short] if unit.short else []), *unit.aliases]
    for group in units.groups:
        words += [group.name, *group.aliases]
    return words


@pytest.fixture(scope="module")
def annex(source_text) -> list[dict]:
    return parse_annex(source_text)


# --- the files validate --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_file_validates(name):
    DATA_FILES[name].model_validate(_load(name))


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_file_round_trips_byte_for_byte(name):
    raw = (DATA / f"{name}.yaml").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
    assert b"\r" not in raw and b"\t" not in raw, "LF line endings, no tabs"
    text = raw.decode("utf-8")
    assert text.startswith(f"# yaml-language-server: $schema=../schemas/{name}.schema.json\n")
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)
    assert out.getvalue() == text


# --- the annex against tasks.yaml ----------------------------------------------------------------
def test_annex_has_45_rows(annex, tasks):
    assert [row["id"] for row in annex] == list(range(1, ROW_COUNT + 1))
    assert [task.id for task in tasks.tasks] == list(range(1, ROW_COUNT + 1))
    for row in annex:
        assert len(row["cells"]) == 2, f"row {row['id']}: expected a lead and a responsible cell, got {row['cells']}"


@pytest.mark.parametrize("row_id", range(1, ROW_COUNT + 1))
def test_row_matches_source(row_id, annex, tasks, units):
    row = annex[row_id - 1]
    task = tasks.tasks[row_id - 1]
    assert task.id == row_id
    assert task.text == row["text"]
    vocabulary = _vocabulary(units)
    lead_cell, responsible_cell = row["cells"]
    assert task.lead == tokenize(lead_cell, vocabulary)
    assert task.responsible == tokenize(responsible_cell, vocabulary)


def test_every_listed_name_resolves_to_exactly_one(tasks, units):
    table = _names(units)
    for task in tasks.tasks:
        for name in [*task.lead, *task.responsible]:
            assert len(table.get(name, [])) == 1, f"task {task.id}: “{name}” resolves to {table.get(name)}"


def test_no_name_used_twice(units):
    clashes = {text: targets for text, targets in _names(units).items() if len(set(targets)) > 1}
    assert not clashes


def test_groups_and_office_refer_to_known_ids(units):
    unit_ids = {u.id for u in units.units}
    group_ids = {g.id for g in units.groups}
    assert len(unit_ids) == len(units.units) and len(group_ids) == len(units.groups)
    assert units.office.unit in unit_ids
    for group in units.groups:
        for member in group.members:
            assert member in unit_ids | group_ids, f"group {group.id}: unknown member {member}"
        if not group.members:
            assert group.open, f"group {group.id} has no members, so it must be open"


def test_tasks_are_consistent(tasks, phases, source_text):
    for task in tasks.tasks:
        assert len(task.title) <= 16, f"task {task.id}: title too long"
        keys = [t.key for t in task.targets]
        assert len(keys) == len(set(keys)), f"task {task.id}: duplicate target keys"
        if task.kind == TaskKind.COUNT:
            assert task.targets and all(t.per_year for t in task.targets), f"task {task.id}"
        if task.kind == TaskKind.MEASURED:
            assert task.targets, f"task {task.id}: measured task without a target"
        for target in task.targets:
            assert target.source in task.text, f"task {task.id}: target source not in the task text"
        for deadline in task.deadlines:
            assert deadline.source in task.text, f"task {task.id}: deadline source not in the task text"
    kinds = {t.id: t.kind for t in tasks.tasks}
    assert {i for i, k in kinds.items() if k == TaskKind.COUNT} == {1, 2, 3, 4, 35}
    assert {i for i, k in kinds.items() if k == TaskKind.MEASURED} == {10, 18, 30}
    assert kinds[19] == TaskKind.STANDING
    assert phases.default_due.source in source_text
