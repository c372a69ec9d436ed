"""`fazhi import-plan FILE` as a library call: read a task table (.docx, .xlsx, .csv), turn it into
tasks, resolve every unit name against data/units.yaml, and write data/tasks.yaml — all or nothing.

Never a guess: a name data/units.yaml does not know stops the import (listed with its place in the
file) and its proposed entry is written to data/units.proposed.yaml; `add_units` adds the proposals
to data/units.yaml instead. Never a silent overwrite: an existing tasks file is replaced only with
`force`. The result is checked as `fazhi check` would before anything is written, and both files
are written atomically under their locks.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from fazhi_cli.book.directory import build_directory
from fazhi_cli.book.load import load_book
from fazhi_cli.core.plan_readers import CannotRead, read_document
from fazhi_cli.engine.workspacecheck import check_book
from fazhi_cli.engine.plan_import import (
    Document,
    Reading,
    Unknown,
    build_tasks,
    name_set,
    read_tasks,
    unknown_names,
    unknown_problems,
)
from fazhi_cli.models.plan import Group, Task, Unit
from fazhi_cli.problems import Problem, error
from fazhi_cli.store.decode import encode
from fazhi_cli.store.files import inside, kind_of
from fazhi_cli.store.loader import load_plan_files
from fazhi_cli.store.planwrite import add_to_units_text, proposal_text, tasks_text
from fazhi_cli.store.source import FolderSource
from fazhi_cli.store.workspace import MARKER, Workspace, WorkspaceNotFound

UNITS = "data/units.yaml"
TASKS = "data/tasks.yaml"
PROPOSALS = "data/units.proposed.yaml"
_PROPOSAL_MARK = "data/units.proposed.yaml —— 由 `fazhi import-plan"
_NOT_HERE = ("ledgers", "evidence", "templates", "schemas", ".git")
_PLAN_FILES = ("data/units.yaml", "data/phases.yaml", "data/settings.yaml")


class CannotImport(Exception):
    """The import cannot run: the file cannot be read, or the workspace's own data is broken."""

    def __init__(self, problems: list[Problem], message: str | None = None):
        super().__init__(message or (problems[0].message if problems else ""))
        self.problems = problems
        self.message = message


@dataclass
class ImportResult:
    document: Document
    reading: Reading
    target: Path
    target_shown: str
    tasks: list[Task] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    replaced: bool = False  # the target existed (and was replaced, when written)
    written: bool = False
    added: list[Unknown] = field(default_factory=list)  # entries added to data/units.yaml
    proposals: str | None = None  # the proposal file written
    proposals_text: str | None = None  # the proposals, when that file could not be written
    stale_proposals: bool = False  # an earlier proposal file was removed
    removed: list[int] = field(default_factory=list)  # tasks of the old tasks.yaml the file does not have


def find_import_workspace(root: str | os.PathLike | None) -> Workspace:
    """`--root`, `FAZHI_ROOT`, or the nearest folder upward with data/units.yaml (data/tasks.yaml
    need not exist yet: it is what the import writes)."""
    explicit = root or os.environ.get("FAZHI_ROOT")
    marker = Path(UNITS)
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / marker).is_file():
            raise WorkspaceNotFound(f"“{path}”不是 fazhi 工作区（缺少 {UNITS}：导入任务须先有单位名单）")
        return Workspace(path.resolve())
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / marker).is_file() or (candidate / MARKER).is_file():
            return Workspace(candidate)
    raise WorkspaceNotFound(
        f"在“{here}”及其上级目录中找不到 fazhi 工作区（缺少 {UNITS}）；请进入工作区目录，或用 --root 指定"
    )


@dataclass
class _Overlay(FolderSource):
    """The work tree with some files replaced by the texts about to be written."""

    files: dict[str, bytes] = field(default_factory=dict)

    def read(self, relative: str) -> bytes | None:
        return self.files[relative] if relative in self.files else super().read(relative)

    def exists(self, relative: str) -> bool:
        return relative in self.files or super().exists(relative)


def import_plan(
    file: Path,
    *,
    root: str | os.PathLike | None = None,
    output: Path | None = None,
    force: bool = False,
    add_units: bool = False,
    shown: str | None = None,
    today: dt.date,
) -> ImportResult:
    """Import `file` into the workspace (or into `output`). Raises WorkspaceNotFound or
    CannotImport when it cannot run; every other outcome is an ImportResult whose `problems`
    say why nothing was written. `today` is the day the ledgers are checked as of."""
    ws = find_import_workspace(root)
    source = FolderSource(ws)
    files = load_plan_files(source)
    broken = [p for f in (files.units, files.phases, files.settings) for p in f.problems if p.is_error]
    if broken or files.units.model is None or files.phases.model is None:
        raise CannotImport(broken, f"{UNITS} 或 data/phases.yaml 有错误，无法导入；请先运行 `fazhi check` 并改正")
    directory = build_directory(files.units.model)
    if directory.clashes:
        names = "、".join(sorted(directory.clashes))
        raise CannotImport([], f"{UNITS} 中有名称同时指向两个单位或分组（{names}），无法导入；请先运行 `fazhi check` 并改正")
    existing = {t.id: t for t in files.tasks.model.tasks} if files.tasks.model is not None else {}

    shown = shown or str(file)
    try:
        document = read_document(file, shown)
    except CannotRead as exc:
        raise CannotImport([exc.problem]) from None
    reading = read_tasks(document, name_set(directory), files.phases.model.year)
    target = output if output is not None else ws.root / TASKS
    result = ImportResult(document, reading, target, ws.relative(target) if inside(ws.root, target) else str(target))
    if reading.failed:
        result.problems = reading.problems
        return result

    built = build_tasks(reading.drafts, existing)
    result.tasks, result.kept = built.tasks, built.kept
    if inside(ws.root, target) == TASKS:
        result.removed = sorted(set(existing) - {t.id for t in built.tasks})
    result.unknowns = unknown_names(reading.drafts, directory)
    problems: list[Problem] = []
    if result.unknowns and not add_units:
        problems += unknown_problems(document.path, result.unknowns)
        _propose(ws, result)
    target_problem, target_raw = _target(ws, target, default=output is None, force=force)
    result.replaced = target_raw is not None
    if target_problem is not None:
        problems.append(target_problem)
    if problems:
        result.problems = problems
        return result

    units_text = None
    if result.unknowns:
        units, groups = proposed_entries(result.unknowns, document.path)
        units_text = add_to_units_text(files.units.decoded.text, [(u, []) for u, _ in units], [(g, []) for g, _ in groups])
    header = _header(ws, target, document, reading, result)
    new_tasks = tasks_text(result.tasks, header).encode("utf-8")
    overlay = {TASKS: new_tasks}
    if units_text is not None:
        overlay[UNITS] = encode(units_text, files.units.decoded)  # the file's own BOM and line ending
    invalid = _validate(ws, overlay, result.tasks, today, ledgers=inside(ws.root, target) == TASKS)
    if invalid:
        result.problems = invalid
        return result

    from fazhi_cli.store.safewrite import ABSENT, WriteError, atomic_write, locked, sha256_bytes

    units_path = ws.data_file("units")
    try:
        with locked(target), locked(units_path):
            if units_text is not None:
                atomic_write(units_path, overlay[UNITS], expected_sha256=sha256_bytes(files.units.raw))
                result.added = list(result.unknowns)
            atomic_write(target, new_tasks, expected_sha256=sha256_bytes(target_raw) if target_raw is not None else ABSENT)
    except WriteError as exc:
        raise CannotImport([], exc.message) from None
    result.written = True
    result.stale_proposals = _remove_stale_proposals(ws)
    return result


def _target(ws: Workspace, target: Path, *, default: bool, force: bool) -> tuple[Problem | None, bytes | None]:
    """Why the tasks may not be written to `target` (None when they may), and its current bytes."""
    shown = ws.relative(target) if inside(ws.root, target) else str(target)
    if not default:
        if target.suffix.lower() not in (".yaml", ".yml"):
            return error(shown, None, None, "I302", "输出文件应以 .yaml 结尾，如 -o 任务清单草稿.yaml"), None
        relative = inside(ws.root, target)
        if relative is not None and (relative.split("/")[0] in _NOT_HERE or relative in _PLAN_FILES or relative == PROPOSALS):
            return error(shown, None, None, "I302", f"不能把任务清单写到 {relative}：那里是台账、佐证材料、模板或其他方案数据；请另选文件名"), None
        if not target.parent.is_dir():
            return error(shown, None, None, "I302", f"文件夹“{target.parent}”不存在；请先建立它，或另选位置"), None
    if os.path.islink(target):
        return error(shown, None, None, "I302", "这是一个符号链接，fazhi 不经由链接写入；请换成普通文件或另选文件名"), None
    what = kind_of(target)
    if what is not None:
        return error(shown, None, None, "I302", f"这是一个{what}，不是普通文件，不能写入"), None
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return error(shown, None, None, "I302", f"无法读取：{exc.strerror or exc}"), None
    if not force:
        return error(
            shown, None, None, "I301",
            f"文件已存在，没有覆盖它；确认要用导入的任务替换它，请加 --force（原文未变的任务保留其简称、条目、类别、时限和量化目标）；"
            "或用 -o 写到另一个文件先核对",
        ), raw
    return None, raw


def proposed_entries(unknowns: list[Unknown], path: str) -> tuple[list[tuple[Unit, list[str]]], list[tuple[Group, list[str]]]]:
    """The entries proposed for the names data/units.yaml does not know, each with its comments."""
    units: list[tuple[Unit, list[str]]] = []
    groups: list[tuple[Group, list[str]]] = []
    for item in unknowns:
        places = "、".join(f"任务 {u.task}（{u.where}，{'牵头单位' if u.field == 'lead' else '责任单位'}）" for u in item.uses[:4])
        if len(item.uses) > 4:
            places += f"等 {len(item.uses)} 处"
        comments = [f"“{item.name}”出现在：{places}"]
        if item.suggestions:
            comments.append(f"是否是：{'、'.join(item.suggestions)}？若是，删去本条，把“{item.name}”加到那一条的 aliases 中")
        note = f"由 fazhi import-plan 从“{Path(path).name}”添加"
        if item.kind == "unit":
            comments.append("新单位：请核对全称（name）、编号（id：即台账文件名，只能用小写英文字母、数字和连字符）和级别（level：city 本级，county 下一级）")
            units.append((Unit(id=item.id, name=item.name, level=item.level, note=note + "：请核对全称、编号和级别"), comments))
        else:
            comments.append("分组：members 填它包含的单位编号；方案未列明成员的，保留 open: true，各单位可在台账中认领")
            groups.append((Group(id=item.id, name=item.name, members=[], open=True, note=note + "：方案未列明成员，单位可在台账中认领"), comments))
    return units, groups


def _propose(ws: Workspace, result: ImportResult) -> None:
    """Write the proposals to data/units.proposed.yaml (never over a file fazhi did not write)."""
    units, groups = proposed_entries(result.unknowns, result.document.path)
    header = [
        f"{_PROPOSAL_MARK} {Path(result.document.path).name}` 生成的建议条目；fazhi 不读取本文件。",
        f"下列名称在 {UNITS} 中找不到。请逐条核对：",
        "- 是已有单位或分组的另一种写法（简称、旧称）：删去该条，把名称加到已有条目的 aliases 中；",
        f"- 是新单位或新分组：核对后把该条复制到 {UNITS} 的 units:（或 groups:）下。",
        "然后重新运行 fazhi import-plan；确认这些建议无误，也可以加 --add-units 直接按建议添加。",
    ]
    text = proposal_text(header, units, groups)
    path = ws.root / PROPOSALS
    from fazhi_cli.store.safewrite import WriteError, atomic_write

    try:
        current = path.read_bytes() if path.exists() else None
    except OSError:
        current = b""
    if current is not None and not current.decode("utf-8", "replace").startswith(f"# {_PROPOSAL_MARK}"):
        result.proposals_text = text
        return
    try:
        if os.path.islink(path) or kind_of(path) is not None:
            raise WriteError("不是普通文件", path)
        atomic_write(path, text.encode("utf-8"), expected_sha256=None)
    except (WriteError, OSError):
        result.proposals_text = text
        return
    result.proposals = PROPOSALS


def _remove_stale_proposals(ws: Workspace) -> bool:
    path = ws.root / PROPOSALS
    try:
        if os.path.islink(path) or not path.is_file():
            return False
        if not path.read_bytes().decode("utf-8", "replace").startswith(f"# {_PROPOSAL_MARK}"):
            return False
        path.unlink()
    except OSError:
        return False
    return True


def _header(ws: Workspace, target: Path, document: Document, reading: Reading, result: ImportResult) -> list[str]:
    lines = []
    if inside(ws.root, target) is not None:
        schema = os.path.relpath(ws.root / "schemas" / "tasks.schema.json", target.parent).replace(os.sep, "/")
        lines.append(f"yaml-language-server: $schema={schema}")
    name = Path(document.path).name
    lines.append(f"任务清单：由 `fazhi import-plan` 从“{name}”（{reading.origin}）导入，共{len(result.tasks)}项。")
    lines.append("约定：text 为原文，逐字照录；lead（牵头单位）、responsible（责任单位）按原文拆分，每个名称须在 units.yaml 中唯一解析；")
    lines.append("deadlines 为原文写明的时限，source 为时限所在的原文；其余任务适用 phases.yaml 的 default_due。")
    fresh = len(result.tasks) - len(result.kept)
    if fresh:
        lines.append(f"导入后请核对（{fresh}项新任务）：title（简称）按原文开头生成；section（方案条目）取自原文标题，没有时为“未注明”；")
        lines.append("kind 按一次性任务（deliverable）写入：年度计数、量化指标、长期坚持的任务请改为 count、measured、standing，并补上 targets。")
    if result.kept:
        lines.append(f"原文未变的{len(result.kept)}项任务保留了原清单中的简称、条目、类别、时限、量化目标和备注。")
    return lines


def _validate(ws: Workspace, overlay: dict[str, bytes], tasks: list[Task], today: dt.date, *, ledgers: bool) -> list[Problem]:
    """What `fazhi check` would newly say with the new files in place (errors only: the plan, and
    — when they are to become data/tasks.yaml — every ledger against it: an entry for a task that
    is gone, or that its unit no longer carries), and that the tasks file reads back as exactly
    the tasks imported."""

    def errors(source: FolderSource) -> tuple[set[tuple], list[Problem], object]:
        book = load_book(source)
        found = [p for p in check_book(book, today) if p.is_error]
        return {(p.path, p.code, p.message) for p in found}, found, book

    before, _, _ = errors(FolderSource(ws))
    _, after, book = errors(_Overlay(ws, files=overlay))
    new = [p for p in after if (p.path, p.code, p.message) not in before and (ledgers or not p.path.startswith("ledgers/"))]
    if not new and book.files.tasks.model is not None and book.files.tasks.model.tasks != tasks:
        return [error(TASKS, None, None, "I303", "写出的任务清单读回后与导入的内容不一致（这是 fazhi 的缺陷）；没有写入任何文件")]
    return [
        error(p.path, p.line, p.column, "I303", f"导入后 `fazhi check` 会报错，没有写入任何文件：{p.code} {p.message}"
              + ("；请先改正这个台账（如删去不再承担的任务条目），或在原文中保留该任务" if p.path.startswith("ledgers/") else ""))
        for p in new
    ]
