"""The template context: a report's facts (engine.report_context) written out for templates —
Chinese dates, percentages, labels, cleaned user text — and the 台账 table's columns for export.

Templates receive these dataclasses (documented field by field in docs/reports.md); `fazhi
report --format json` prints them. Which row goes where is decided by the engine's facts
(category, overdue …); this module only writes them out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from dataclasses import asdict, dataclass, field

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.facts import lead_standings
from fazhi_cli.engine.facts import CATEGORY_LABELS, LIGHT_LABELS, ROLE_LABELS, Category, Light, TaskStanding, Totals, UnitStanding
from fazhi_cli.engine.report_context import (
    NEXT_SOURCE_LABELS,
    PLAN_FIELDS,
    REASON_LABELS,
    InvalidLedger,
    LedgerTable,
    ReportFacts,
    RowFacts,
)
from fazhi_cli.engine.periods import PeriodChange
from fazhi_cli.engine.state import STATE_LABELS, State, TargetProgress, record_value
from fazhi_cli.engine.weekly import EVENT_LABELS, WeekEvent
from fazhi_cli.models.ledger import ACTION_LABELS, Decision, WorkPlan
from fazhi_cli.models.plan import LEVEL_LABELS, TASK_KIND_LABELS, TaskKind
from fazhi_cli.render.overdue_fields import LeadLine, OverdueLine, lead_lines, overdue_lines
from fazhi_cli.render.review_fields import ReviewView, review_view
from fazhi_cli.render.status_view import flag_label, workdays_label
from fazhi_cli.render.text import brief, clean_text, cn_date, join, pct, points

PLAN_FIELD_LABELS = {name: WorkPlan.model_fields[name].description for name in PLAN_FIELDS}
DECISION_LABELS = {Decision.APPROVED: "已批准", Decision.REFUSED: "未批准", None: "待审批"}


# --- the pieces of a context ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    id: str
    name: str
    label: str
    level: str  # 市本级 / 旗县级


@dataclass(frozen=True)
class Meta:
    """What the report is, for whom, as of when, from which data."""

    kind: str  # template name: work-plan | self-check | completion | summary | bulletin | weekly
    scope: str  # unit | lead | office
    submission_id: str
    submission_name: str
    title: str  # the plan's name for it: 任务完成情况报告
    due: str  # 2020年8月5日 ('' for recurring reports)
    submitter: str
    to: str
    source: str  # the plan's sentence asking for it
    plan_title: str
    year: int
    office: str  # the supervising office's full name
    as_of: str  # 2020-08-06
    as_of_cn: str  # 2020年8月6日
    since: str  # weekly: start of the week (exclusive), else ''
    since_cn: str
    month: int  # as_of's month (for 月通报)
    revision: str  # git revision of the data ('' when not under git)
    generator: str  # "fazhi 0.1.0"
    footer: str  # 截至2020年8月6日 · 数据版本 abc1234 · fazhi 生成
    sender: str = ""  # 落款: the unit, the lead unit, or the office for the city-wide reports
    issue: str = ""  # the line above the title: 2020年第8期 (recurring), 通依法办〔2020〕  号, or ''


@dataclass(frozen=True)
class TargetLine:
    label: str
    summary: str  # 中心组学法 3/4次
    met: bool


@dataclass(frozen=True)
class ProgressLine:
    date: str
    date_cn: str
    note: str
    evidence: list[str]
    evidence_text: str


@dataclass(frozen=True)
class LogLine:
    date_cn: str
    action: str  # 申请销号 / 确认销号 / 退回 …
    by: str
    note: str


@dataclass(frozen=True)
class ExtensionLine:
    requested_cn: str
    reason: str
    new_due_cn: str
    decision: str  # 已批准 / 未批准 / 待审批


@dataclass(frozen=True)
class ReportRow:
    """One unit's standing on one task, every text a report shows written out."""

    task_id: int
    title: str
    text: str
    section: str
    kind: str
    kind_label: str
    standing: bool
    unit_id: str
    unit_label: str
    unit_name: str
    role: str  # lead | responsible
    role_label: str  # 牵头 / 责任
    state: str
    state_label: str
    done: bool  # applied or closed (engine.facts.is_applied_or_closed)
    closed: bool
    pending_review: bool
    category: str  # done | in_progress | not_started | standing (engine.facts.category)
    category_label: str  # 已完成 / 正在推进 / 尚未启动 / 长期坚持
    due: str
    due_cn: str
    due_source: str
    original_due_cn: str
    extended: bool
    extension_pending_cn: str
    overdue: bool
    days_overdue: int
    due_soon: bool
    closed_late: bool
    done_date_cn: str
    flag: str  # 逾期12天 / 临期 / 逾期完成 / '' (with --workdays: 逾期12天（8个工作日）, 临期（剩余3个工作日）)
    workdays_left: int | None  # with --workdays: working days left, negative when overdue; else None
    workdays_text: str  # with --workdays: 剩余3个工作日 / 逾期8个工作日; else ''
    leader: str  # 分管领导 ('' when not filled in)
    owner: str  # 具体负责人
    measures: str  # 具体措施
    planned_cn: str  # 计划完成时间 from the work plan
    planned_late: bool
    plan_missing: list[str]  # labels of the work-plan fields not filled in
    plan_missing_text: str
    targets: list[TargetLine]
    target_summary: str
    targets_met: bool | None
    evidence: list[str]  # as a document names it (evidence_name)
    evidence_paths: list[str]  # as recorded: workspace paths, document numbers, URLs
    evidence_text: str
    progress: list[ProgressLine]
    history: list[ProgressLine]  # progress notes and counted/measured records, by date (全年记录)
    latest_note: str
    log: list[LogLine]
    extensions: list[ExtensionLine]
    reason: str  # why it is not done, from the ledger ('' when done)
    reason_missing: bool  # not done and the ledger says nothing about why
    next_date_cn: str  # when it is now expected to be done (not done only)
    next_date_source: str  # 延期申请 / 工作方案 / 方案时限


@dataclass(frozen=True)
class TotalsView:
    """engine.facts.Totals, with rates written as percentages. Category counts add up to `total`:
    done_items + in_progress_items + not_started_items + standing = total."""

    units: int
    total: int
    lead: int
    closed: int  # 已销号 (any category)
    pending_review: int  # 待审核销号 (any category)
    in_progress: int  # state 推进中 (any category)
    not_started: int  # state 未启动 (any category)
    done: int  # applied or closed (any category)
    open: int  # not applied or closed (any category)
    done_items: int  # category 已完成
    done_closed: int  # … of which 已销号
    done_pending: int  # … of which 待审核销号
    in_progress_items: int  # category 正在推进
    not_started_items: int  # category 尚未启动
    standing: int  # category 长期坚持
    overdue: int
    due_soon: int
    closed_late: int
    plan_missing: int  # rows whose work plan has missing entries
    plan_complete: int
    reason_missing: int
    evidence: int  # evidence items cited
    rate_pct: str  # 完成率: closed / total
    done_pct: str  # (closed + pending review) / total
    expected_pct: str  # 序时进度


@dataclass(frozen=True)
class TaskLine:
    """One task across the units that carry it (lead and office reports)."""

    task_id: int
    title: str
    section: str
    kind_label: str
    lead: str
    due_cn: str
    units: int
    closed: int
    pending_review: int
    in_progress: int
    not_started: int
    open: int
    overdue: int
    rate_pct: str
    overdue_units: str  # 科区、开鲁县 (all of them)
    overdue_units_brief: str  # at most 6 names, else 科区、开鲁县……等31个单位
    open_units: str


@dataclass(frozen=True)
class UnitLine:
    """One unit in a roll-up: counts, rate, 序时进度, rank and traffic light."""

    rank: int
    unit_id: str
    label: str
    name: str
    total: int
    closed: int
    pending_review: int
    in_progress: int
    not_started: int
    overdue: int
    due_soon: int
    closed_late: int
    plan_missing: int
    rate: float
    rate_pct: str
    expected: float
    expected_pct: str
    on_schedule: bool  # rate >= 序时进度
    light: str  # red | yellow | green
    light_label: str  # 红 / 黄 / 绿
    light_reason: str  # 逾期3项 / 临期1项 / 落后序时进度12.5个百分点 / 按序时推进
    has_ledger: bool


@dataclass(frozen=True)
class UnitGroup:
    """Rows of one unit (overdue items by unit, and the like)."""

    unit_id: str
    label: str
    count: int
    items: list[ReportRow]
    overdue: int = 0
    plan_missing: int = 0
    plan_complete: int = 0


@dataclass(frozen=True)
class TaskGroup:
    """Rows of one task (each unit's standing on it), for lead and office reports."""

    task_id: int
    title: str
    text: str
    section: str
    kind_label: str
    line: TaskLine
    items: list[ReportRow]


@dataclass(frozen=True)
class LightRule:
    red_overdue: int
    yellow_behind_pct: str
    yellow_due_soon: bool
    due_soon_days: int
    text: str  # the rule in words, for the report's 说明


@dataclass(frozen=True)
class EventLine:
    """One event of the week (周调度): a 销号 action or an extension request or decision."""

    date: str
    date_cn: str
    unit_id: str
    unit_label: str
    task_id: int
    title: str
    kind: str  # apply | confirm | reject | reopen | close | extension_request | extension_approved | extension_refused
    action: str  # 申请销号 / 退回 / 申请延期 / 批准延期 …
    by: str
    note: str
    new_due_cn: str  # extension events
    evidence: list[str]
    state_after: str  # 待审核销号 …: the item's state at the end of that day


@dataclass(frozen=True)
class MoveLine:
    """One unit's rank and light at the previous period's end and now (季通报, 月通报)."""

    unit_id: str
    label: str
    rank_before: int
    rank_now: int
    moved: int  # places gained (+) or lost (−)
    move_text: str  # 上升2位 / 下降1位 / 持平
    light_before: str  # 红 / 黄 / 绿
    light_now: str
    rate_before_pct: str
    rate_now_pct: str


@dataclass(frozen=True)
class ChangeView:
    """What changed since the end of the previous quarter or month."""

    every: str  # quarter | month
    period_label: str  # 上季度 / 上月
    since: str
    since_cn: str
    quarter: int  # the as-of day's quarter (1–4)
    moves: list[MoveLine]
    risers: list[MoveLine]  # moved up, most first
    fallers: list[MoveLine]  # moved down, most first
    light_changes: list[MoveLine]
    newly_overdue: list[ReportRow]
    newly_closed: list[ReportRow]
    rate_before_pct: str
    overdue_before: int
    closed_before: int


@dataclass
class ReportContext:
    """Everything a report template receives (see docs/reports.md)."""

    meta: Meta
    unit: UnitInfo | None
    totals: TotalsView
    rows: list[ReportRow]
    done: list[ReportRow]  # category 已完成
    in_progress: list[ReportRow]  # category 正在推进
    not_started: list[ReportRow]  # category 尚未启动
    ongoing: list[ReportRow]  # 正在推进 + 尚未启动 (not a standing task, not applied or closed)
    standing: list[ReportRow]  # category 长期坚持
    open: list[ReportRow]  # every row not applied or closed (standing ones included)
    outstanding: list[ReportRow]  # overdue: 未完成事项
    upcoming: list[ReportRow]  # not applied or closed, not yet due, by due date
    plan_gaps: list[ReportRow]
    targets_unmet: list[ReportRow]
    leadership: list[ReportRow]
    extensions: list[ReportRow]
    tasks: list[TaskLine]
    by_task: list[TaskGroup]
    by_unit: list[UnitGroup]
    plan_gaps_by_unit: list[UnitGroup]
    leadership_tasks: list[TaskLine]
    units: list[UnitLine]
    top_units: list[UnitLine]
    on_schedule: list[UnitLine]
    behind: list[UnitLine]
    lights: dict[str, int]
    red_units: list[UnitLine]
    overdue_by_unit: list[UnitGroup]
    invalid_ledgers: list[InvalidLedger]
    missing_ledgers: list[str]
    light_rule: LightRule
    events: list[EventLine] = field(default_factory=list)  # weekly: every event of the week
    event_items: int = 0  # weekly: distinct (unit, task) items the events concern
    new_overdue: list[ReportRow] = field(default_factory=list)
    change: ChangeView | None = None  # 季通报, 月通报: since the previous period's end
    review: ReviewView | None = None  # 年总结: every month and quarter end of the year
    overdue_lines: list[OverdueLine] = field(default_factory=list)  # the overdue annex, compact
    by_lead: list[LeadLine] = field(default_factory=list)  # the roll-up by lead unit

    def as_dict(self) -> dict:
        return asdict(self)


# --- rows -----------------------------------------------------------------------------------------


def target_text(t: TargetProgress) -> str:
    return clean_text(t.summary())


def _evidence(item) -> str:
    return evidence_name(item.path if hasattr(item, "path") else str(item))


def evidence_name(label: str) -> str:
    """How a document names a piece of evidence: a file by its name (述职报告.docx, not
    evidence/kerqin/2020/述职报告.docx); a document number or a URL as written."""
    if label.startswith("evidence/") and "/" in label[len("evidence/"):]:
        return PurePosixPath(label).name
    return label


def report_flag(row) -> str:
    """The row's flag; where working days were counted, an overdue or due-soon one says them too."""
    flag = flag_label(row)
    if row.workdays_left is None or not (row.overdue or row.due_soon):
        return flag
    n = row.workdays_left
    if row.overdue:
        return f"{flag}（{-n}个工作日）" if n < 0 else flag
    return f"{flag}（剩余{n}个工作日）"


def report_row(plan: Plan, facts: RowFacts) -> ReportRow:
    """One row written out for templates (the entry is already as of the report's day)."""
    row = facts.row
    entry = row.entry
    work = entry.plan if entry and entry.plan else None
    progress, history, log, extensions = [], [], [], []
    if entry is not None:
        for p in sorted(entry.progress, key=lambda p: p.date):
            ev = [clean_text(_evidence(e)) for e in p.evidence]
            progress.append(ProgressLine(p.date.isoformat(), cn_date(p.date), clean_text(p.note), ev, join(ev)))
        labels = {t.key: t.label for t in row.task.targets}
        measures = {t.key: t.measure for t in row.task.targets}
        for rec in entry.records:
            what = clean_text(labels.get(rec.target, rec.target))
            value = record_value(measures[rec.target], rec) if rec.target in measures else rec.value
            if value is not None:
                what += f" {value:g}"
            if rec.received is not None:
                what += f"个工作日（{cn_date(rec.received)}受理）"
            if rec.note:
                what += f"：{clean_text(rec.note)}"
            ev = [clean_text(_evidence(e)) for e in rec.evidence]
            history.append(ProgressLine(rec.date.isoformat(), cn_date(rec.date), what, ev, join(ev)))
        history = sorted(progress + history, key=lambda p: p.date)
        for item in entry.log:
            log.append(LogLine(cn_date(item.date), ACTION_LABELS[item.action], clean_text(item.by), clean_text(item.note)))
        for ext in entry.extensions:
            extensions.append(ExtensionLine(cn_date(ext.requested), clean_text(ext.reason), cn_date(ext.new_due), DECISION_LABELS[ext.decision]))
    reason = f"{REASON_LABELS[facts.reason[0]]}：{clean_text(facts.reason[1])}" if facts.reason else ""
    done = facts.next_date is None
    missing = [PLAN_FIELD_LABELS[name] for name in facts.plan_missing]
    evidence = [clean_text(evidence_name(e)) for e in row.evidence]
    return ReportRow(
        task_id=row.task.id,
        title=clean_text(row.task.title),
        text=clean_text(row.task.text),
        section=row.task.section,
        kind=row.task.kind.value,
        kind_label=TASK_KIND_LABELS[row.task.kind],
        standing=row.task.kind is TaskKind.STANDING,
        unit_id=row.unit_id,
        unit_label=row.unit_label,
        unit_name=plan.units[row.unit_id].name,
        role=row.role,
        role_label=ROLE_LABELS[row.role],
        state=row.state.value,
        state_label=STATE_LABELS[row.state],
        done=done,
        closed=row.state is State.CLOSED,
        pending_review=row.state is State.PENDING_REVIEW,
        category=facts.category.value,
        category_label=CATEGORY_LABELS[facts.category],
        due=row.due.isoformat(),
        due_cn=cn_date(row.due),
        due_source=clean_text(row.due_source),
        original_due_cn=cn_date(row.original_due),
        extended=row.extended,
        extension_pending_cn=cn_date(row.extension_pending),
        overdue=row.overdue,
        days_overdue=row.days_overdue,
        due_soon=row.due_soon,
        closed_late=row.closed_late,
        done_date_cn=cn_date(row.done_date),
        flag=report_flag(row),
        workdays_left=row.workdays_left,
        workdays_text=workdays_label(row),
        leader=clean_text(work.leader) if work and work.leader else "",
        owner=clean_text(work.owner) if work and work.owner else "",
        measures=clean_text(work.measures) if work and work.measures else "",
        planned_cn=cn_date(row.planned),
        planned_late=row.planned_late,
        plan_missing=missing,
        plan_missing_text=join(missing),
        targets=[TargetLine(clean_text(t.label), target_text(t), t.met) for t in row.targets],
        target_summary="；".join(target_text(t) for t in row.targets),
        targets_met=row.targets_met,
        evidence=evidence,
        evidence_paths=[clean_text(e) for e in row.evidence],
        evidence_text=join(evidence),
        progress=progress,
        history=history,
        latest_note=progress[-1].note if progress else "",
        log=log,
        extensions=extensions,
        reason=reason,
        reason_missing=not done and not reason,
        next_date_cn=cn_date(facts.next_date),
        next_date_source=NEXT_SOURCE_LABELS[facts.next_source] if facts.next_source else "",
    )


# --- roll-ups -------------------------------------------------------------------------------------

EXPECTED_RULE = (
    "序时进度为各承担事项到统计日应完成份额的平均：完成时限已过的事项计1；年度计数任务（每年不少于N次）"
    "计从1月1日到其完成时限已经过去的时间比例；其余尚未到期的事项计0。"
)


def light_rule(plan: Plan) -> LightRule:
    t = plan.settings.traffic_light
    behind = pct(t.yellow_behind)
    parts = [f"红灯：逾期事项达到{t.red_overdue}项"]
    yellow = []
    if t.yellow_due_soon:
        yellow.append(f"有临期事项（距完成时限{plan.settings.due_soon_days}天以内）")
    yellow.append("完成率低于序时进度" if t.yellow_behind == 0 else f"完成率低于序时进度超过{behind}")
    parts.append("黄灯：未达红灯标准，但" + "，或".join(yellow))
    parts.append("绿灯：其余单位")
    text = (
        "；".join(parts)
        + "。完成率为已销号事项占承担事项的比例（待审核销号不计入）；"
        + EXPECTED_RULE
        + "排名依次按完成率从高到低、逾期事项从少到多、单位在 data/units.yaml 中的顺序。"
        + "阈值在 data/settings.yaml 的 traffic_light 中设置。"
    )
    return LightRule(t.red_overdue, behind, t.yellow_due_soon, plan.settings.due_soon_days, text)


def light_reason(u: UnitStanding) -> str:
    fact = u.light
    if fact.light is Light.RED:
        return f"逾期{fact.overdue}项"
    reasons = []
    if fact.due_soon:
        reasons.append(f"临期{fact.due_soon}项")
    if fact.behind:
        reasons.append(f"落后序时进度{points(fact.behind)}个百分点")
    return "，".join(reasons) if reasons else "按序时推进"


def unit_line(plan: Plan, u: UnitStanding) -> UnitLine:
    t = u.totals
    unit = plan.units[u.unit_id]
    return UnitLine(
        rank=u.rank, unit_id=u.unit_id, label=unit.label, name=unit.name, total=t.total, closed=t.closed,
        pending_review=t.pending_review, in_progress=t.in_progress, not_started=t.not_started, overdue=t.overdue,
        due_soon=t.due_soon, closed_late=t.closed_late, plan_missing=u.plan_missing, rate=t.rate, rate_pct=pct(t.rate),
        expected=t.expected, expected_pct=pct(t.expected), on_schedule=u.on_schedule, light=u.light.light.value,
        light_label=LIGHT_LABELS[u.light.light], light_reason=light_reason(u), has_ledger=u.has_ledger,
    )


def totals_view(t: Totals, rows: list[ReportRow]) -> TotalsView:
    return TotalsView(
        units=t.units, total=t.total, lead=t.lead, closed=t.closed, pending_review=t.pending_review,
        in_progress=t.in_progress, not_started=t.not_started, done=t.applied_or_closed, open=t.open,
        done_items=t.categories[Category.DONE], done_closed=t.done_closed, done_pending=t.done_pending,
        in_progress_items=t.categories[Category.IN_PROGRESS], not_started_items=t.categories[Category.NOT_STARTED],
        standing=t.categories[Category.STANDING], overdue=t.overdue, due_soon=t.due_soon, closed_late=t.closed_late,
        plan_missing=sum(1 for r in rows if r.plan_missing), plan_complete=sum(1 for r in rows if not r.plan_missing),
        reason_missing=sum(1 for r in rows if r.reason_missing), evidence=sum(len(r.evidence) for r in rows),
        rate_pct=pct(t.rate), done_pct=pct(t.applied_rate), expected_pct=pct(t.expected),
    )


def task_line(plan: Plan, s: TaskStanding) -> TaskLine:
    t = s.totals
    label = lambda uid: plan.units[uid].label  # noqa: E731
    due_cn = cn_date(s.dues[0]) + ("" if len(s.dues) == 1 else f"至{cn_date(s.dues[-1])}")
    return TaskLine(
        task_id=s.task.id, title=clean_text(s.task.title), section=s.task.section, kind_label=TASK_KIND_LABELS[s.task.kind],
        lead=join(label(u) for u in s.lead), due_cn=due_cn, units=t.total, closed=t.closed, pending_review=t.pending_review,
        in_progress=t.in_progress, not_started=t.not_started, open=t.open, overdue=t.overdue, rate_pct=pct(t.rate),
        overdue_units=join(label(u) for u in s.overdue_units), overdue_units_brief=brief([label(u) for u in s.overdue_units]),
        open_units=join(label(u) for u in s.open_units),
    )


def _unit_group(plan: Plan, uid: str, items: list[ReportRow]) -> UnitGroup:
    gaps = sum(1 for r in items if r.plan_missing)
    return UnitGroup(uid, plan.units[uid].label, len(items), items, sum(1 for r in items if r.overdue), gaps, len(items) - gaps)


def group_by_unit(plan: Plan, rows: list[ReportRow]) -> list[UnitGroup]:
    """Rows grouped by unit, in the order of data/units.yaml."""
    groups: dict[str, list[ReportRow]] = {}
    for r in rows:
        groups.setdefault(r.unit_id, []).append(r)
    return [_unit_group(plan, uid, groups[uid]) for uid in plan.units if uid in groups]


def group_by_task(rows: list[ReportRow], lines: list[TaskLine]) -> list[TaskGroup]:
    by_line = {line.task_id: line for line in lines}
    groups: dict[int, list[ReportRow]] = {}
    for r in rows:
        groups.setdefault(r.task_id, []).append(r)
    return [TaskGroup(tid, g[0].title, g[0].text, g[0].section, g[0].kind_label, by_line[tid], g) for tid, g in sorted(groups.items())]


def overdue_by_unit(plan: Plan, rows: list[ReportRow]) -> list[UnitGroup]:
    """Overdue items grouped by unit: most overdue first, then the order of data/units.yaml."""
    order = {uid: i for i, uid in enumerate(plan.units)}
    groups: dict[str, list[ReportRow]] = {}
    for r in rows:
        if r.overdue:
            groups.setdefault(r.unit_id, []).append(r)
    return [_unit_group(plan, uid, groups[uid]) for uid in sorted(groups, key=lambda uid: (-len(groups[uid]), order.get(uid, 0)))]


def event_line(plan: Plan, e: WeekEvent) -> EventLine:
    return EventLine(
        date=e.day.isoformat(), date_cn=cn_date(e.day), unit_id=e.unit_id, unit_label=plan.units[e.unit_id].label,
        task_id=e.task_id, title=clean_text(plan.tasks[e.task_id].title), kind=e.kind.value, action=EVENT_LABELS[e.kind],
        by=clean_text(e.by), note=clean_text(e.note), new_due_cn=cn_date(e.new_due),
        evidence=[clean_text(evidence_name(x)) for x in e.evidence], state_after=STATE_LABELS[e.state_after],
    )


# --- the context ------------------------------------------------------------------------------


def footer(as_of: dt.date, revision: str, generator: str) -> str:
    return f"截至{cn_date(as_of)}" + (f" · 数据版本 {revision}" if revision else "") + f" · {generator} 生成"


def addressing(plan: Plan, f: ReportFacts, office) -> tuple[str, str, str]:
    """(落款, 主送, the 期号/文号 line) of a report. A unit or a lead unit signs its own and sends it to
    whom the plan says; the office signs the city-wide ones and sends its own to whom settings say
    (never to itself); a recurring bulletin carries its issue number, 第N期 (the month of a 月通报,
    the week of the year of a 周调度)."""
    spec, settings = f.spec, plan.settings
    own = f.unit is not None and f.unit.id == plan.office_unit_id
    if f.unit is not None:
        sender = f.unit.name
        to = settings.office_reports_to if own else spec.to
    else:
        sender = office.name if office else ""
        to = spec.to if spec.recurring else settings.office_reports_to
    if spec.recurring:
        number = f.as_of.month if spec.kind.name == "bulletin" else f.as_of.isocalendar()[1]
        issue = f"{f.as_of.year}年第{number}期"
    elif f.unit is None and settings.document_prefix:
        issue = f"{settings.document_prefix}〔{plan.year}〕　　号"
    else:
        issue = ""
    return sender, to or "", issue


def report_context(plan: Plan, f: ReportFacts) -> ReportContext:
    """The template context of a report's facts."""
    spec, as_of = f.spec, f.as_of
    since = f.week.since if f.week else None
    office = plan.units.get(plan.office_unit_id or "")
    sender, to, issue = addressing(plan, f, office)
    meta = Meta(
        kind=spec.kind.name, scope=f.scope, submission_id=spec.id, submission_name=spec.name, title=clean_text(spec.title),
        due=cn_date(spec.due), submitter=clean_text(spec.submitter), to=clean_text(to), source=clean_text(spec.source),
        plan_title=clean_text(plan.phases.title), year=plan.year, office=office.name if office else "",
        as_of=as_of.isoformat(), as_of_cn=cn_date(as_of), since=since.isoformat() if since else "",
        since_cn=cn_date(since), month=as_of.month, revision=f.revision, generator=f.generator,
        footer=footer(as_of, f.revision, f.generator), sender=clean_text(sender), issue=clean_text(issue),
    )
    unit = UnitInfo(f.unit.id, f.unit.name, f.unit.label, LEVEL_LABELS[f.unit.level]) if f.unit else None
    rows = [report_row(plan, r) for r in f.rows]
    by_key = {(r.task_id, r.unit_id): r for r in rows}
    units = [unit_line(plan, u) for u in f.units]
    lines = [task_line(plan, s) for s in f.tasks]
    section = f.leadership_section
    cat = lambda c: [r for r in rows if r.category == c.value]  # noqa: E731
    events = [event_line(plan, e) for e in f.week.events] if f.week else []
    overdue_groups = overdue_by_unit(plan, rows)
    return ReportContext(
        meta=meta,
        unit=unit,
        totals=totals_view(f.totals, rows),
        rows=rows,
        done=cat(Category.DONE),
        in_progress=cat(Category.IN_PROGRESS),
        not_started=cat(Category.NOT_STARTED),
        ongoing=[r for r in rows if r.category in (Category.IN_PROGRESS.value, Category.NOT_STARTED.value)],
        standing=cat(Category.STANDING),
        open=[r for r in rows if not r.done],
        outstanding=[r for r in rows if r.overdue],
        upcoming=sorted((r for r in rows if not r.done and not r.overdue), key=lambda r: (r.due, r.task_id)),
        plan_gaps=[r for r in rows if r.plan_missing],
        targets_unmet=[r for r in rows if r.targets_met is False],
        leadership=[r for r in rows if r.section == section],
        extensions=[r for r in rows if r.extensions],
        tasks=lines,
        by_task=group_by_task(rows, lines),
        by_unit=group_by_unit(plan, rows),
        plan_gaps_by_unit=group_by_unit(plan, [r for r in rows if r.plan_missing]),
        leadership_tasks=[line for line in lines if line.section == section],
        units=units,
        top_units=[u for u in units if u.closed > 0][:3],
        on_schedule=[u for u in units if u.on_schedule],
        behind=[u for u in units if not u.on_schedule],
        lights={light.value: sum(1 for u in units if u.light == light.value) for light in Light},
        red_units=[u for u in units if u.light == Light.RED.value],
        overdue_by_unit=overdue_groups,
        overdue_lines=overdue_lines(overdue_groups),
        by_lead=lead_lines(plan, lead_standings(list(plan.units), f.tasks)),
        invalid_ledgers=f.invalid_ledgers,
        missing_ledgers=[plan.units[uid].label for uid in f.missing_ledgers],
        light_rule=light_rule(plan),
        events=events,
        event_items=len({(e.unit_id, e.task_id) for e in events}),
        new_overdue=[by_key[k] for k in f.week.new_overdue] if f.week else [],
        change=change_view(plan, f.change, by_key, as_of) if f.change else None,
        review=review_view(plan, f.review, by_key) if f.review else None,
    )


def _move_text(moved: int) -> str:
    return f"上升{moved}位" if moved > 0 else f"下降{-moved}位" if moved < 0 else "持平"


def change_view(plan: Plan, c: PeriodChange, by_key: dict, as_of: dt.date) -> ChangeView:
    moves = [
        MoveLine(
            m.unit_id, plan.units[m.unit_id].label, m.rank_before, m.rank_now, m.moved, _move_text(m.moved),
            LIGHT_LABELS[m.light_before], LIGHT_LABELS[m.light_now], pct(m.rate_before), pct(m.rate_now),
        )
        for m in c.moves
    ]
    return ChangeView(
        every=c.every, period_label="上季度" if c.every == "quarter" else "上月", since=c.since.isoformat(), since_cn=cn_date(c.since),
        quarter=(as_of.month - 1) // 3 + 1, moves=moves,
        risers=sorted((m for m in moves if m.moved > 0), key=lambda m: -m.moved),
        fallers=sorted((m for m in moves if m.moved < 0), key=lambda m: m.moved),
        light_changes=[m for m in moves if m.light_before != m.light_now],
        newly_overdue=[by_key[k] for k in c.newly_overdue if k in by_key],
        newly_closed=[by_key[k] for k in c.newly_closed if k in by_key],
        rate_before_pct=pct(c.rate_before), overdue_before=c.overdue_before, closed_before=c.closed_before,
    )


# --- the ledger table (fazhi export) ---------------------------------------------------------

# (key, header, column width): the one list behind the xlsx sheet, the CSV header and their order.
LEDGER_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("unit", "单位", 18),
    ("unit_id", "单位编号", 10),
    ("task", "序号", 5),
    ("title", "任务", 16),
    ("role", "角色", 5),
    ("kind", "任务类型", 8),
    ("leader", PLAN_FIELD_LABELS["leader"], 8),
    ("owner", PLAN_FIELD_LABELS["owner"], 8),
    ("measures", PLAN_FIELD_LABELS["measures"], 18),
    ("planned", PLAN_FIELD_LABELS["due"], 15),
    ("due", "完成时限", 15),
    ("due_source", "时限依据", 16),
    ("state", "状态", 8),
    ("done_date", "完成日期", 15),
    ("overdue", "逾期", 5),
    ("days_overdue", "逾期天数", 6),
    ("due_soon", "临期", 5),
    ("closed_late", "逾期完成", 6),
    ("extension", "延期", 12),
    ("target", "量化目标", 14),
    ("notes", "工作进展", 24),
    ("evidence", "佐证材料", 18),
    ("reason", "未完成原因", 14),
)
# Kept in the sheet for sorting and scripts, hidden on screen and paper (unhide in Excel/WPS).
HIDDEN_COLUMNS = frozenset({"unit_id", "kind"})
UNIT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("rank", "排名", 6),
    ("unit", "单位", 16),
    ("total", "任务数", 8),
    ("closed", STATE_LABELS[State.CLOSED], 8),
    ("pending_review", STATE_LABELS[State.PENDING_REVIEW], 10),
    ("in_progress", STATE_LABELS[State.IN_PROGRESS], 8),
    ("not_started", STATE_LABELS[State.NOT_STARTED], 8),
    ("overdue", "逾期", 8),
    ("due_soon", "临期", 8),
    ("rate", "完成率", 10),
    ("expected", "序时进度", 10),
    ("light", "灯", 6),
    ("light_reason", "说明", 30),
)
INVALID_COLUMNS: tuple[tuple[str, str, int], ...] = (("unit", "单位", 16), ("path", "台账文件", 24), ("problems", "主要问题", 80))
# Columns whose values are numbers, and the Excel number format they print with.
NUMBER_FORMATS: dict[str, str] = {"task": "0", "days_overdue": "0", "rank": "0", "rate": "0.0%", "expected": "0.0%"}


def ledger_table_row(r: ReportRow) -> dict:
    """One row of the 台账 table with Chinese values, keyed by LEDGER_COLUMNS' keys."""
    extension = ""
    if r.extensions:
        last = r.extensions[-1]
        extension = f"{last.requested_cn}申请延至{last.new_due_cn}（{last.decision}）"
    return {
        "unit": r.unit_label, "unit_id": r.unit_id, "task": r.task_id, "title": r.title, "role": r.role_label,
        "kind": r.kind_label, "leader": r.leader, "owner": r.owner, "measures": r.measures, "planned": r.planned_cn,
        "due": r.due_cn, "due_source": r.due_source, "state": r.state_label, "done_date": r.done_date_cn,
        "overdue": "是" if r.overdue else "", "days_overdue": r.days_overdue or None, "due_soon": "是" if r.due_soon else "",
        "closed_late": "是" if r.closed_late else "", "extension": extension, "target": r.target_summary,
        "notes": "\n".join(f"{p.date_cn}：{p.note}" for p in r.progress), "evidence": "\n".join(r.evidence_paths), "reason": r.reason,
    }


def unit_table_row(u: UnitLine) -> dict:
    return {
        "rank": u.rank, "unit": u.label, "total": u.total, "closed": u.closed, "pending_review": u.pending_review,
        "in_progress": u.in_progress, "not_started": u.not_started, "overdue": u.overdue, "due_soon": u.due_soon,
        "rate": u.rate, "expected": u.expected, "light": u.light_label, "light_reason": u.light_reason,
    }


def invalid_table_row(i: InvalidLedger) -> dict:
    return {"unit": i.label, "path": i.path, "problems": "\n".join(i.problems)}


def ledger_json_row(facts: RowFacts, r: ReportRow) -> dict:
    """The JSON record of one row: the status fields (as `fazhi status --format json`) plus the
    work plan, progress notes, category and the reason it is not done."""
    return facts.row.as_dict() | {
        "category": facts.category.value,
        "leader": r.leader or None,
        "owner": r.owner or None,
        "measures": r.measures or None,
        "progress": [{"date": p.date, "note": p.note, "evidence": p.evidence} for p in r.progress],
        "reason": r.reason or None,
    }


@dataclass
class TableView:
    rows: list[ReportRow]
    units: list[UnitLine]
    json: list[dict]


def table_view(plan: Plan, table: LedgerTable) -> TableView:
    rows = [report_row(plan, r) for r in table.rows]
    return TableView(rows, [unit_line(plan, u) for u in table.units], [ledger_json_row(f, r) for f, r in zip(table.rows, rows)])
