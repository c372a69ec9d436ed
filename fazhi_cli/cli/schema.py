"""`fazhi schema`: write JSON Schemas of the data files and ledgers, for editor validation."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

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


# What an editor shows on hover: Chinese titles and descriptions. A field's own description (in
# fazhi_cli/models) is used as written; these fill in the models' names and the fields that have
# none. `fazhi schema` writes the result; the shipped schemas/ are tested to be current.
MODEL_TEXT = {
    "Ledger": ("工作台账", "一个单位的工作台账：每项任务的工作方案、进展、目标记录、销号记录和延期申请"),
    "Entry": ("任务条目", "本单位对一项任务的记录；状态由销号记录推算，不必填写"),
    "WorkPlan": ("工作方案", "制定方案阶段填写：分管领导、具体负责人、具体措施、计划完成时间"),
    "Progress": ("工作进展", "一条带日期的工作进展（台账资料）"),
    "Record": ("目标记录", "一次计数（如一次中心组学法）或一个测得的数值（如占比 85%）"),
    "LogEntry": ("销号记录", "销号流程的一步：apply 申请、close 直接销号、confirm 确认、reject 退回、reopen 重新打开"),
    "Extension": ("延期申请", "须在完成时限之前提出，由依法治市办审批；原时限保留在记录中"),
    "EvidenceFile": ("佐证材料文件", "工作区内的文件及登记时的校验值"),
    "Action": ("销号操作", "apply 申请销号、close 直接销号、confirm 确认销号、reject 退回、reopen 重新打开"),
    "Decision": ("审批结果", "approved 同意、refused 不同意"),
    "UnitsFile": ("单位和分组", "data/units.yaml：依法治市办、各单位和分组"),
    "Unit": ("单位", "方案涉及的一个单位"),
    "Group": ("分组", "一组单位（如“旗县市区”“各相关部门”）；成员可以是单位或其他分组"),
    "Office": ("依法治市办", "负责审核的依法治市办及其人员（可修改所有台账）"),
    "Level": ("行政级别", "city 市本级、county 旗县级；有的时限按级别不同"),
    "TasksFile": ("任务清单", "data/tasks.yaml：方案附件重点工作任务分解表的各项任务"),
    "Task": ("重点工作任务", "分解表中的一项任务"),
    "TaskKind": ("任务类型", "deliverable 一次性任务、count 年度计数、measured 量化指标、standing 长期坚持"),
    "Target": ("量化目标", "任务的量化目标，如中心组学法每年不少于 4 次"),
    "Measure": ("计量方式", "count 次数、percent 百分比、workdays 工作日"),
    "Deadline": ("完成时限", "任务原文中的完成时限；level 限定只适用于市本级或旗县级"),
    "PhasesFile": ("阶段和报送要求", "data/phases.yaml：方案年度、各阶段、报送材料、常规工作"),
    "DefaultDue": ("默认时限", "没有写明时限的任务按此完成"),
    "Phase": ("工作阶段", "方案的一个阶段（如制定方案、自查整改）"),
    "Submission": ("报送要求", "方案要求在某日前报送的材料（如 3月20日 工作方案）"),
    "Scope": ("报送范围", "unit 各单位各自报送、office 依法治市办汇总"),
    "Recurring": ("常规工作", "定期进行的工作（周调度、月通报等）"),
    "Settings": ("工作区设置", "data/settings.yaml：两步销号、临期提醒、红黄绿灯等"),
    "TrafficLight": ("红黄绿灯", "红黄绿灯的判定标准"),
    "Smtp": ("邮件发送", "fazhi remind --send 发送催办通知所用的 SMTP 邮件服务器"),
    "ReviewBy": ("审核人", "lead 牵头单位或依法治市办、office 只由依法治市办"),
}

# Fields without a description of their own: (title, description); by model first, then by name.
FIELD_TEXT = {
    ("Ledger", "unit"): ("单位编号", "本台账所属单位的编号（与文件名相同）"),
    ("Ledger", "tasks"): ("任务", "按任务序号（分解表中的 1–45）记录"),
    ("Entry", "plan"): ("工作方案", "分管领导、具体负责人、具体措施、计划完成时间"),
    ("Entry", "progress"): ("工作进展", "每条进展一项，以“- ”开头"),
    ("Entry", "records"): ("目标记录", "每次计数或每个测得的数值一项"),
    ("Entry", "log"): ("销号记录", "申请、确认、退回、重新打开，按时间顺序"),
    ("Entry", "extensions"): ("延期申请", "延期申请及其审批"),
    ("EvidenceFile", "path"): ("文件路径", "工作区内的文件路径，如 evidence/kerqin/总结.pdf"),
    ("EvidenceFile", "sha256"): ("校验值", "登记时文件的 sha256；文件被改动时 fazhi check 会发现"),
    ("Record", "target"): ("目标编号", "任务中量化目标的编号（key）"),
    ("LogEntry", "action"): ("操作", "apply、close、confirm、reject 或 reopen"),
    ("Extension", "requested"): ("申请日期", "提出延期申请的日期（须在原完成时限之前）"),
    ("Extension", "reason"): ("理由", "申请延期的理由"),
    ("Extension", "new_due"): ("新的完成时限", "申请延至的日期"),
    ("Extension", "decision"): ("审批结果", "approved 同意、refused 不同意；未审批时不填"),
    ("Extension", "decided"): ("审批日期", "依法治市办审批的日期"),
    ("Extension", "decision_note"): ("审批意见", "审批时写明的意见"),
    ("Unit", "id"): ("单位编号", "小写英文编号，也是台账文件名（如 kerqin）"),
    ("Unit", "level"): ("行政级别", "city 市本级、county 旗县级"),
    ("Group", "id"): ("分组编号", "小写英文编号"),
    ("Group", "name"): ("分组名称", "方案中的写法，如 旗县市区"),
    ("Group", "aliases"): ("别名", "方案中的其他写法"),
    ("Group", "members"): ("成员", "单位或分组的编号、全称或别名"),
    ("UnitsFile", "office"): ("依法治市办", "依法治市办所在单位及其人员"),
    ("UnitsFile", "units"): ("单位", "方案涉及的各单位"),
    ("UnitsFile", "groups"): ("分组", "方案中的单位分组"),
    ("TasksFile", "tasks"): ("任务", "分解表中的各项任务，按序号排列"),
    ("Task", "kind"): ("任务类型", "deliverable、count、measured 或 standing"),
    ("Task", "deadlines"): ("完成时限", "任务原文中的完成时限；没有时按默认时限"),
    ("Task", "targets"): ("量化目标", "任务的量化目标"),
    ("Target", "label"): ("目标名称", "如 中心组学法"),
    ("Target", "measure"): ("计量方式", "count、percent 或 workdays"),
    ("Deadline", "due"): ("完成时限", "日期，写成 YYYY-MM-DD"),
    ("Deadline", "level"): ("适用级别", "只适用于 city 市本级或 county 旗县级；不填则都适用"),
    ("DefaultDue", "due"): ("完成时限", "日期，写成 YYYY-MM-DD"),
    ("DefaultDue", "source"): ("出处", "方案原文"),
    ("DefaultDue", "rule"): ("规则", "时限的计算规则说明"),
    ("PhasesFile", "year"): ("方案年度", "如 2020"),
    ("PhasesFile", "title"): ("方案名称", "实施方案的标题"),
    ("PhasesFile", "phases"): ("工作阶段", "方案的各阶段"),
    ("PhasesFile", "submissions"): ("报送要求", "方案要求报送的材料"),
    ("PhasesFile", "recurring"): ("常规工作", "定期进行的工作"),
    ("Phase", "id"): ("阶段编号", "小写英文编号"),
    ("Phase", "name"): ("阶段名称", "如 制定方案"),
    ("Phase", "section"): ("方案条目", "对应方案条目"),
    ("Phase", "start"): ("开始日期", "日期，写成 YYYY-MM-DD"),
    ("Phase", "end"): ("结束日期", "日期，写成 YYYY-MM-DD"),
    ("Phase", "summary"): ("概述", "本阶段的工作"),
    ("Submission", "title"): ("材料名称", "如 工作方案"),
    ("Submission", "due"): ("报送时限", "日期，写成 YYYY-MM-DD"),
    ("Submission", "phase"): ("所属阶段", "阶段编号"),
    ("Submission", "to"): ("报送对象", "如 市委全面依法治市委员会办公室"),
    ("Submission", "scope"): ("报送范围", "unit 或 office"),
    ("Submission", "source"): ("出处", "方案原文"),
    ("Recurring", "id"): ("编号", "小写英文编号"),
    ("Recurring", "title"): ("名称", "如 周调度"),
    ("Recurring", "every"): ("周期", None),
    ("Recurring", "by"): ("负责单位", "单位或分组"),
    ("Recurring", "template"): ("模板名", "不含扩展名"),
    ("Recurring", "source"): ("出处", "方案原文"),
    ("Settings", "traffic_light"): ("红黄绿灯", "红黄绿灯的判定标准"),
    "date": ("日期", "YYYY-MM-DD，如 2020-07-31"),
    "note": ("说明", "文字说明"),
    "evidence": ("佐证材料", "工作区内的文件（path 和 sha256）、文号或网址"),
    "source": ("方案原文", "方案原文"),
}


def _title(description: str) -> str:
    """A short title from a description: up to the first bracket, colon or comma."""
    return re.split(r"[（(：:，,；]", description, maxsplit=1)[0].strip() or description


def _chinese(schema: dict, model: str | None) -> None:
    if model in MODEL_TEXT:
        schema["title"], schema["description"] = MODEL_TEXT[model]
    for field, prop in schema.get("properties", {}).items():
        text = FIELD_TEXT.get((model, field)) or FIELD_TEXT.get(field)
        if "description" in prop:
            prop["title"] = text[0] if text else _title(prop["description"])
        elif text and text[1] is None:
            prop["title"] = text[0]
        elif text:
            prop["title"], prop["description"] = text
        else:
            prop.pop("title", None)


def schema_data(name: str) -> dict:
    """Draft-07-compatible schema (what yaml-language-server understands) of one file kind,
    titled and described in Chinese."""
    model = SCHEMAS[name]
    schema = model.model_json_schema()
    for key, sub in schema.get("$defs", {}).items():
        _chinese(sub, key)
    _chinese(schema, model.__name__)
    if name == "ledger":  # task numbers as keys (`7:`), as editors see them: text of digits
        schema["properties"]["tasks"]["propertyNames"] = {"pattern": "^[1-9][0-9]*$"}
    return schema


def schema_text(name: str) -> str:
    return json.dumps(schema_data(name), ensure_ascii=False, indent=2) + "\n"


GITIGNORE = "# 编辑器校验文件，由 fazhi init / fazhi schema 生成，不必提交\n*\n"


def write_schemas(root: Path, *, only_missing: bool = False) -> list[Path]:
    """Write schemas/<kind>.schema.json (what the files' first lines point at); with
    `only_missing`, leave the ones already there alone. Returns the files written."""
    folder = root / "schemas"
    created = not os.path.lexists(folder)
    folder.mkdir(exist_ok=True)
    if created and only_missing:
        # A folder made by `fazhi init` holds generated files only: git leaves them out (a
        # repository that ships its schemas, as this one does, commits them on purpose).
        atomic_write(folder / ".gitignore", GITIGNORE.encode("utf-8"), expected_sha256=None)
    written = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        if only_missing and (path.exists() or path.is_symlink()):
            continue
        if kind_of(path):
            raise OSError(f"{path.name} 是{kind_of(path)}，不是普通文件")
        atomic_write(path, schema_text(name).encode("utf-8"), expected_sha256=None)
        written.append(path)
    return written


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
        for path in write_schemas(ws.root):
            make_console().print(f"已写入 {ws.relative(path)}", markup=False)
    except WriteError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法写入 schemas/：{exc.strerror or exc}，请移走它，再运行 `fazhi schema`", EXIT_CANNOT_RUN)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
