"""Editor schemas that exist: schemas/*.schema.json, the files the first line of every data file
and ledger points at (`# yaml-language-server: $schema=../schemas/...`), are shipped, current,
in Chinese, and written by `fazhi init` where missing. The independent validator
`check-jsonschema` (what an editor's YAML plugin does, outside fazhi) accepts what `fazhi check`
accepts and rejects the corpus's schema-broken files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, run_cli

from fazhi_cli.cli.schema import SCHEMAS, schema_data, schema_text

CORPUS = REPO / "tests" / "corpus"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# Corpus files `fazhi check` rejects for schema reasons (E102 unknown key, E103 wrong type).
SCHEMA_BROKEN = [
    "ledger-unknown-top-key.yaml",
    "ledger-unknown-entry-key.yaml",
    "ledger-chinese-key.yaml",
    "ledger-type-unit-int.yaml",
    "ledger-type-progress-scalar.yaml",
    "ledger-type-note-list.yaml",
    "ledger-bad-action.yaml",
    "ledger-task-key-not-int.yaml",
    "ledger-evidence-bad-sha.yaml",
    "ledger-fullwidth-colon-only.yaml",
]


def validate(*jobs: tuple[Path, list[Path]]) -> list[set[str]]:
    """For each (schema, files), the files check-jsonschema rejects (by name). Its command runs in
    this process (its own click, YAML reader and jsonschema: nothing of fazhi's), as
    `check-jsonschema -o json --schemafile SCHEMA FILE...` would."""
    from click.testing import CliRunner
    from check_jsonschema.cli.main_command import main as check_jsonschema

    out = []
    for schema, files in jobs:
        result = CliRunner().invoke(check_jsonschema, ["-o", "json", "--schemafile", str(schema), *map(str, files)])
        report = json.loads(result.stdout)
        assert not report.get("parse_errors"), report["parse_errors"]
        assert result.exit_code == (1 if report.get("errors") else 0), result.output
        out.append({Path(e["filename"]).name for e in report.get("errors", [])})
    return out


def schema_of(path: Path) -> Path:
    """The schema a file's first line points at."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    match = MODELINE.match(first)
    assert match, f"{path}: first line is not a schema modeline: {first}"
    return (path.parent / match.group(1)).resolve()


def test_shipped_schemas_are_current():
    for name in SCHEMAS:
        shipped = REPO / "schemas" / f"{name}.schema.json"
        assert shipped.read_text(encoding="utf-8") == schema_text(name), f"{shipped} is out of date: run `fazhi schema`"


def test_schemas_are_titled_and_described_in_chinese():
    for name in SCHEMAS:
        schema = schema_data(name)
        for key, sub in {"(file)": schema, **schema.get("$defs", {})}.items():
            assert CJK.search(sub.get("title", "")) and CJK.search(sub.get("description", "")), (name, key)
            for field, prop in sub.get("properties", {}).items():
                assert CJK.search(prop.get("title", "")), (name, key, field)
                assert "description" in prop, (name, key, field)
    plan = schema_data("ledger")["$defs"]["WorkPlan"]["properties"]
    assert plan["leader"]["title"] == "分管领导" and plan["due"]["title"] == "计划完成时间"


def test_check_jsonschema_accepts_the_shipped_data_files_and_valid_ledgers(ws):
    result = run_cli("init", "--unit", "kerqin", "--root", str(ws), "--no-commit")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (ws / "schemas").glob("*.schema.json")) == sorted(f"{n}.schema.json" for n in SCHEMAS)
    assert "已写入编辑器校验文件" in result.stdout
    assert (ws / "schemas" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    # every shipped data file, against the shipped schema its first line names; the ledger init
    # generated (every task the unit carries) and a filled-in one
    data = sorted((REPO / "data").glob("*.yaml"))
    assert {schema_of(p).parent for p in data} == {REPO / "schemas"}
    ledgers = sorted((ws / "ledgers").glob("*.yaml"))
    assert len(ledgers) == 1 and {schema_of(p) for p in ledgers} == {(ws / "schemas" / "ledger.schema.json").resolve()}
    jobs = [(schema_of(p), [p]) for p in data] + [(ws / "schemas" / "ledger.schema.json", [*ledgers, CORPUS / "ledger-valid.yaml"])]
    assert validate(*jobs) == [set()] * len(jobs)
    # a second init leaves the schemas alone
    again = run_cli("init", "--unit", "kerqin", "--root", str(ws), "--no-commit")
    assert "编辑器校验文件" not in again.stdout


def test_check_jsonschema_rejects_the_corpus_schema_broken_files():
    rejected, tasks = validate(
        (REPO / "schemas" / "ledger.schema.json", [CORPUS / f for f in SCHEMA_BROKEN]),
        (REPO / "schemas" / "tasks.schema.json", [CORPUS / "tasks-valid.yaml", CORPUS / "tasks-typo-lead-unti.yaml", CORPUS / "tasks-bad-kind.yaml", CORPUS / "tasks-id-zero.yaml"]),
    )
    assert rejected == set(SCHEMA_BROKEN)
    assert tasks == {"tasks-typo-lead-unti.yaml", "tasks-bad-kind.yaml", "tasks-id-zero.yaml"}
