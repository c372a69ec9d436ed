"""`fazhi check` in full: the plan's problems plus every ledger's, evidence files included."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from fazhi_cli.engine.deadlines import official_due
from fazhi_cli.engine.directory import Responsibility
from fazhi_cli.engine.state import derive
from fazhi_cli.engine.status import responsibilities
from fazhi_cli.models.common import SAFE_ID, WINDOWS_RESERVED
from fazhi_cli.models.ledger import EvidenceFile, Ledger
from fazhi_cli.problems import Problem, error, has_errors, warning
from fazhi_cli.store.loader import Loaded
from fazhi_cli.store.session import Session


def check_session(session: Session) -> list[Problem]:
    problems = list(session.plan_problems)
    plan = session.plan
    if plan is not None:
        problems += check_templates(session)
    valid = {stem: l.model for stem, l in session.ledgers.items() if l.model is not None and not has_errors(l.problems)}
    resp = responsibilities(plan, valid) if plan else None
    for stem, loaded in session.ledgers.items():
        problems += loaded.problems
        if loaded.model is None:
            continue
        problems += _check_name(stem, loaded)
        if plan is not None and resp is not None:
            problems += check_ledger(session, loaded, resp)
    return problems


TEMPLATE_FORMATS = ("docx", "html", "md")
SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def check_templates(session: Session) -> list[Problem]:
    """Every template named in data/phases.yaml exists, in the workspace or shipped with fazhi."""
    problems = []
    phases = session.files.phases
    folders = (session.ws.templates_dir, SHIPPED_TEMPLATES)
    for section in ("submissions", "recurring"):
        for index, item in enumerate(getattr(phases.model, section)):
            name = item.template
            if not name:
                continue
            if not any((folder / f"{name}.{fmt}.j2").is_file() for folder in folders for fmt in TEMPLATE_FORMATS):
                line, col = phases.position((section, index, "template"))
                problems.append(
                    error(phases.path, line, col, "E209", f"模板“{name}”不存在：templates/ 中没有 {name}.docx.j2、{name}.html.j2 或 {name}.md.j2")
                )
    return problems


def _check_name(stem: str, loaded: Loaded[Ledger]) -> list[Problem]:
    out = []
    if not SAFE_ID.match(stem) or stem in WINDOWS_RESERVED:
        out.append(error(loaded.path, None, None, "E204", f"台账文件名“{stem}”不是安全的单位编号（只能用小写字母、数字、连字符）"))
    elif loaded.model.unit != stem:
        line, col = loaded.position(("unit",))
        out.append(
            error(loaded.path, line, col, "E302", f"文件名是 {stem}.yaml，但其中写的单位是“{loaded.model.unit}”；每个单位的台账文件名应为“单位编号.yaml”")
        )
    return out


def check_ledger(session: Session, loaded: Loaded[Ledger], resp: dict[int, Responsibility]) -> list[Problem]:
    plan = session.plan
    ledger = loaded.model
    problems: list[Problem] = []
    unit = plan.units.get(ledger.unit)
    if unit is None:
        line, col = loaded.position(("unit",))
        hint = plan.directory.suggestions(ledger.unit)
        more = f"是否是：{'、'.join(hint)}？" if hint else "请检查 data/units.yaml"
        return [error(loaded.path, line, col, "E301", f"单位“{ledger.unit}”不存在。{more}")]
    for task_id, entry in ledger.tasks.items():
        at = ("tasks", task_id)
        task = plan.tasks.get(task_id)
        if task is None:
            line, col = loaded.position(at, key=True)
            problems.append(error(loaded.path, line, col, "E303", f"任务 {task_id} 不存在（任务序号为 1–{max(plan.tasks)}）"))
            continue
        r = resp[task_id]
        if entry is not None and entry.claimed is not None and not r.open_groups:
            line, col = loaded.position(at + ("claimed",), key=True)
            problems.append(
                error(loaded.path, line, col, "E304", f"任务 {task_id} 的责任单位已明确列出，不能认领（只有“各相关部门”等开放式分组的任务可以认领）")
            )
        elif ledger.unit not in r.everyone:
            line, col = loaded.position(at, key=True)
            how = "；该任务有开放式责任分组，可加“claimed: 日期”认领" if r.open_groups else ""
            problems.append(error(loaded.path, line, col, "E304", f"{unit.label}不承担任务 {task_id}{how}"))
        if entry is None:
            continue
        keys = {t.key for t in task.targets}
        for index, record in enumerate(entry.records):
            if record.target not in keys:
                line, col = loaded.position(at + ("records", index, "target"))
                known = "、".join(sorted(keys)) or "（该任务没有量化目标）"
                problems.append(error(loaded.path, line, col, "E308", f"任务 {task_id} 没有目标“{record.target}”；可用的目标：{known}"))
        for index, message in derive(entry).inconsistencies:
            line, col = loaded.position(at + ("log", index))
            problems.append(error(loaded.path, line, col, "E307", message))
        if entry.plan and entry.plan.due:
            official = official_due(plan, task, unit)
            if entry.plan.due > official.date:
                line, col = loaded.position(at + ("plan", "due"))
                problems.append(
                    warning(loaded.path, line, col, "W301", f"计划完成时间 {entry.plan.due} 晚于规定时限 {official.date}（{official.source}）")
                )
        for index, ext in enumerate(entry.extensions):
            if ext.new_due <= ext.requested:
                line, col = loaded.position(at + ("extensions", index, "new_due"))
                problems.append(error(loaded.path, line, col, "E307", "延期申请的新时限应晚于申请日期"))
            if ext.decision is not None and ext.decided is None:
                line, col = loaded.position(at + ("extensions", index))
                problems.append(error(loaded.path, line, col, "E307", "延期申请已有审批结果，但缺少审批日期 decided"))
        problems += _check_evidence(session, loaded, at, entry)
        problems += _check_future_dates(loaded, at, entry, dt.date.today())
    return problems


def _check_future_dates(loaded: Loaded[Ledger], at: tuple, entry, today: dt.date) -> list[Problem]:
    """Things recorded as done on a day still to come (a typo, or a backfill with the wrong year)."""
    places = [(("progress", i, "date"), p.date) for i, p in enumerate(entry.progress)]
    places += [(("records", i, "date"), r.date) for i, r in enumerate(entry.records)]
    places += [(("log", i, "date"), item.date) for i, item in enumerate(entry.log)]
    places += [(("extensions", i, "requested"), e.requested) for i, e in enumerate(entry.extensions)]
    problems = []
    for path, day in places:
        if day > today:
            line, col = loaded.position(at + path)
            problems.append(warning(loaded.path, line, col, "W303", f"日期 {day} 晚于今天（{today}），台账只应记录已经发生的事"))
    return problems


def _check_evidence(session: Session, loaded: Loaded[Ledger], at: tuple, entry) -> list[Problem]:
    problems = []
    places = [("progress", i, p.evidence) for i, p in enumerate(entry.progress)]
    places += [("records", i, r.evidence) for i, r in enumerate(entry.records)]
    places += [("log", i, item.evidence) for i, item in enumerate(entry.log)]
    for section, index, items in places:
        for e_index, item in enumerate(items):
            if not isinstance(item, EvidenceFile):
                continue
            line, col = loaded.position(at + (section, index, "evidence", e_index))
            target = resolve_evidence_path(session.ws.root, item.path)
            if target is None:
                problems.append(error(loaded.path, line, col, "E305", f"佐证材料路径“{item.path}”不在工作区内"))
                continue
            if not target.is_file():
                problems.append(error(loaded.path, line, col, "E305", f"佐证材料“{item.path}”不存在（已被删除或移动？）"))
                continue
            if item.sha256 is None:
                problems.append(warning(loaded.path, line, col, "W302", f"佐证材料“{item.path}”没有记录校验值 sha256"))
            elif file_sha256(target) != item.sha256:
                problems.append(
                    error(loaded.path, line, col, "E306", f"佐证材料“{item.path}”在登记后被改动过（校验值不符）；如确需替换，请重新登记")
                )
    return problems


def resolve_evidence_path(root: Path, relative: str) -> Path | None:
    """The evidence file inside the workspace, or None if the path escapes it."""
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
