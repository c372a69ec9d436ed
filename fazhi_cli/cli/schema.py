"""`fazhi schema`: write JSON Schemas of the data files and ledgers, for editor validation."""

from __future__ import annotations

import json

import typer

from fazhi_cli.cli.common import RootOpt, fail, EXIT_CANNOT_RUN
from fazhi_cli.models.ledger import Ledger
from fazhi_cli.models.plan import PhasesFile, Settings, TasksFile, UnitsFile
from fazhi_cli.render.console import make_console
from fazhi_cli.store.files import kind_of
from fazhi_cli.store.safewrite import WriteError, atomic_write
from fazhi_cli.store.workspace import WorkspaceNotFound, find_workspace

SCHEMAS = {
    "units": UnitsFile,
    "tasks": TasksFile,
    "phases": PhasesFile,
    "settings": Settings,
    "ledger": Ledger,
}


def schema_text(name: str) -> str:
    """Draft-07-compatible schema (what yaml-language-server understands) of one file kind."""
    schema = SCHEMAS[name].model_json_schema()
    schema.setdefault("title", name)
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def schema(root: RootOpt = None) -> None:
    """生成编辑器校验用的 JSON Schema（写入 schemas/ 目录）。

    data/*.yaml 和台账文件第一行的 `# yaml-language-server: $schema=...` 注释指向这些文件，
    VS Code（YAML 插件）等编辑器据此提示字段和错误。

    示例：fazhi schema
    """
    try:
        ws = find_workspace(root)
    except WorkspaceNotFound as exc:
        fail(str(exc), EXIT_CANNOT_RUN)
    folder = ws.root / "schemas"
    for name, what in ws.folder_problems():
        if name == "schemas":
            fail(f"schemas 是{what}；请改名或移走它，再运行 `fazhi schema`", EXIT_CANNOT_RUN)
    try:
        folder.mkdir(exist_ok=True)
        for name in SCHEMAS:
            path = folder / f"{name}.schema.json"
            if kind_of(path):
                fail(f"{ws.relative(path)} 是{kind_of(path)}，不是普通文件；请移走它，再运行 `fazhi schema`", EXIT_CANNOT_RUN)
            atomic_write(path, schema_text(name).encode("utf-8"), expected_sha256=None)
            make_console().print(f"已写入 {ws.relative(path)}", markup=False)
    except WriteError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法写入 schemas/：{exc.strerror or exc}", EXIT_CANNOT_RUN)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
