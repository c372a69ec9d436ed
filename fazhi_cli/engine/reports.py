"""Report contexts: everything a report shows, computed here from the plan, the ledgers and a date.

A report is a plain data structure (dataclasses of strings, numbers and lists) handed to a
template; templates only lay it out. The structure is documented field by field in
docs/reports.md, and `fazhi report ... --format json` prints it.

Also here: the bulletin's ranking and traffic lights, and the weekly changes between two dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.state import DONE_STATES, STATE_LABELS, State, derive
from fazhi_cli.book.book import Book
from fazhi_cli.engine.status import Row, UnitSummary, status_rows, summarize
from fazhi_cli.models.ledger import ACTION_LABELS, Action, Decision, Ledger
from fazhi_cli.models.plan import LEVEL_LABELS, TASK_KIND_LABELS, TaskKind

# Report kinds, by template name (data/phases.yaml names the template of each submission).
KINDS = ("work-plan", "self-check", "completion", "summary", "bulletin", "weekly")
SCOPES = ("unit", "lead", "office")
SCOPE_NAMES = {"unit": "本单位", "lead": "牵头任务", "office": "全市"}

# Characters XML 1.0 forbids (and that no document should carry): C0 controls except tab and
# newline, DEL and C1 controls, lone surrogates, U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """User text made safe for every format: forbidden characters removed, CR/LF normalised."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _FORBIDDEN.sub("", text)


def cn_date(day: dt.date | None) -> str:
    """2020-08-05 → 2020年8月5日 (empty for None)."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def pct(value: float) -> str:
    """0.625 → 62.5%; whole numbers without decimals."""
    number = round(value * 100, 1)
    return f"{int(number)}%" if float(number).is_integer() else f"{number}%"


# --- which report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    """A report the plan asks for: a dated submission (0320 …) or a recurring one (周调度、月通报)."""

    id: str  # "0805", or the recurring duty's id ("weekly", "monthly")
    name: str  # readable name: "completion", "weekly", "monthly"
    template: str  # template name: "completion", "weekly", "bulletin"
    title: str
    due: dt.date | None
    submitter: str
    to: str
    source: str
    recurring: bool


def report_specs(plan: Plan) -> list[ReportSpec]:
    """Every submission and recurring duty of the plan that has a template."""
    out = []
    for s in plan.phases.submissions:
        if s.template:
            out.append(ReportSpec(s.id, s.name, s.template, s.title, s.due, s.submitter, s.to, s.source, False))
    for r in plan.phases.recurring:
        if r.template:
            out.append(ReportSpec(r.id, r.id, r.template, r.title, None, r.by, "各地、各单位", r.source, True))
    return out


def find_report(plan: Plan, text: str) -> tuple[ReportSpec | None, str | None]:
    """Resolve `0805`, `8/5`, `completion`, `任务完成情况报告`, `weekly`, `周调度`, `bulletin`, `月通报`.
    Returns (spec, None) or (None, a message saying why not)."""
    key = "".join(str(text).split()).casefold()
    digits = re.fullmatch(r"(\d{1,2})[/.月-](\d{1,2})日?", key)
    if digits:
        key = f"{int(digits.group(1)):02d}{int(digits.group(2)):02d}"
    specs = report_specs(plan)
    for spec in specs:
        if key in {spec.id.casefold(), spec.name.casefold(), spec.template.casefold(), spec.title.casefold()}:
            return spec, None
    for s in plan.phases.submissions + plan.phases.recurring:
        names = {s.id.casefold(), s.title.casefold()} | ({s.name.casefold()} if hasattr(s, "name") else set())
        if key in names:
            return None, f"“{s.title}”没有报告模板（data/phases.yaml 中未设 template），不能生成"
    choices = "、".join(f"{s.id}（{s.title}）" for s in specs)
    return None, f"找不到报送材料“{text}”。可选：{choices}"


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
    """One unit's standing on one task, with every text a report shows already written out."""

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
    done: bool  # closed or pending review
    closed: bool
    pending_review: bool
    category: str  # done | ongoing | standing
    category_label: str  # 已完成 / 正在推进 / 长期坚持
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
    flag: str  # 逾期12天 / 临期 / 逾期完成 / ''
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
    evidence: list[str]
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
class Totals:
    units: int
    total: int
    lead: int
    closed: int
    pending_review: int
    in_progress: int
    not_started: int
    done: int
    open: int
    overdue: int
    due_soon: int
    closed_late: int
    standing: int
    plan_missing: int  # rows whose work plan has missing entries
    plan_complete: int
    reason_missing: int
    evidence: int  # evidence items cited
    rate_pct: str  # closed / total
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
    plan_missing: int = 0  # items whose work plan has missing entries
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
class InvalidLedger:
    """A ledger that does not validate: its unit is left out of the numbers and listed as 台账无效."""

    unit_id: str
    label: str
    path: str
    problems: list[str]  # the first few problems, as `path:line:col: 错误 CODE …`
    more: int  # how many more problems there are


@dataclass(frozen=True)
class LightRule:
    red_overdue: int
    yellow_behind_pct: str
    yellow_due_soon: bool
    due_soon_days: int
    text: str  # the rule in words, for the report's 说明


@dataclass(frozen=True)
class Change:
    """A state change between `since` and `as_of` (weekly dispatch)."""

    unit_label: str
    task_id: int
    title: str
    before: str
    after: str
    dates_cn: str  # when the ledger says it happened
    actions: str  # 申请销号（2020年8月3日，王五）
    note: str


@dataclass
class ReportContext:
    """Everything a report template receives (see docs/reports.md)."""

    meta: Meta
    unit: UnitInfo | None  # the unit (--unit) or the lead unit (--lead); None for the office's report
    totals: Totals
    rows: list[ReportRow]  # every (task, unit) row in scope, task order then unit order
    done: list[ReportRow]  # 已完成 (closed or pending review), non-standing
    ongoing: list[ReportRow]  # 正在推进: not done, non-standing (overdue ones flagged)
    standing: list[ReportRow]  # 长期坚持
    outstanding: list[ReportRow]  # not done and overdue: 未完成事项
    upcoming: list[ReportRow]  # not done, not yet due, by due date
    plan_gaps: list[ReportRow]  # rows whose work plan has missing entries
    targets_unmet: list[ReportRow]
    leadership: list[ReportRow]  # tasks of the plan's first section (党政主要负责人履职)
    extensions: list[ReportRow]  # rows with extension requests
    tasks: list[TaskLine]  # per task across units (lead and office reports)
    by_task: list[TaskGroup]  # rows grouped by task, task order
    by_unit: list[UnitGroup]  # rows grouped by unit, order of data/units.yaml
    plan_gaps_by_unit: list[UnitGroup]  # rows with missing work-plan entries, by unit
    leadership_tasks: list[TaskLine]  # task lines of the plan's first section
    units: list[UnitLine]  # per unit, ranked (bulletin rule)
    top_units: list[UnitLine]  # the first three ranked units that have closed something
    on_schedule: list[UnitLine]  # 按序时进度
    behind: list[UnitLine]  # 未达序时进度
    lights: dict[str, int]  # {"red": n, "yellow": n, "green": n}
    red_units: list[UnitLine]  # units with a red light, in rank order
    overdue_by_unit: list[UnitGroup]  # most overdue first, then unit order
    invalid_ledgers: list[InvalidLedger]
    missing_ledgers: list[str]  # labels of units in scope with no ledger file
    light_rule: LightRule
    changes: list[Change] = field(default_factory=list)  # weekly: state changes since `since`
    new_overdue: list[ReportRow] = field(default_factory=list)  # weekly: became overdue this week

    def as_dict(self) -> dict:
        return asdict(self)


# --- building rows ------------------------------------------------------------------------------

PLAN_FIELDS = (("leader", "分管领导"), ("owner", "具体负责人"), ("measures", "具体措施"), ("due", "完成时限"))
EXTENSION_DECISIONS = {Decision.APPROVED: "已批准", Decision.REFUSED: "未批准", None: "待审批"}


def _join(items) -> str:
    return "、".join(i for i in items if i)


def _brief(names: list[str], limit: int = 6) -> str:
    """Up to `limit` names; more become “甲、乙、丙等31个单位”."""
    if len(names) <= limit:
        return _join(names)
    return _join(names[: limit - 1]) + f"等{len(names)}个单位"


def report_row(plan: Plan, row: Row, as_of: dt.date) -> ReportRow:
    """Write out one status row for templates (only what the ledger said up to `as_of`)."""
    entry = row.entry
    unit = plan.units[row.unit_id]
    work = entry.plan if entry and entry.plan else None
    plan_values = {
        "leader": clean_text(work.leader) if work and work.leader else "",
        "owner": clean_text(work.owner) if work and work.owner else "",
        "measures": clean_text(work.measures) if work and work.measures else "",
        "due": work.due if work and work.due else None,
    }
    missing = [label for key, label in PLAN_FIELDS if not plan_values[key]]
    progress = []
    history = []
    log = []
    extensions = []
    if entry is not None:
        for p in sorted((p for p in entry.progress if p.date <= as_of), key=lambda p: p.date):
            ev = [clean_text(_evidence(e)) for e in p.evidence]
            progress.append(ProgressLine(p.date.isoformat(), cn_date(p.date), clean_text(p.note), ev, _join(ev)))
        labels = {t.key: t.label for t in row.task.targets}
        for rec in entry.records:
            if rec.date <= as_of:
                what = clean_text(labels.get(rec.target, rec.target))
                if rec.value is not None:
                    what += f" {rec.value:g}"
                if rec.note:
                    what += f"：{clean_text(rec.note)}"
                ev = [clean_text(_evidence(e)) for e in rec.evidence]
                history.append(ProgressLine(rec.date.isoformat(), cn_date(rec.date), what, ev, _join(ev)))
        history = sorted(progress + history, key=lambda p: p.date)
        for item in entry.log:
            if item.date <= as_of:
                log.append(LogLine(cn_date(item.date), ACTION_LABELS[item.action], clean_text(item.by), clean_text(item.note)))
        for ext in entry.extensions:
            if ext.requested <= as_of:
                decided = ext.decision if ext.decided is None or ext.decided <= as_of else None
                extensions.append(
                    ExtensionLine(cn_date(ext.requested), clean_text(ext.reason), cn_date(ext.new_due), EXTENSION_DECISIONS[decided])
                )
    done = row.state in DONE_STATES
    standing = row.task.kind is TaskKind.STANDING
    category = "standing" if standing else ("done" if done else "ongoing")
    reason, next_date, next_source = "", "", ""
    if not done:
        reason = _reason(entry, as_of, progress)
        if row.extension_pending:
            next_date, next_source = cn_date(row.extension_pending), "延期申请（待审批）"
        elif row.extended:
            next_date, next_source = cn_date(row.due), "延期申请（已批准）"
        elif plan_values["due"]:
            next_date, next_source = cn_date(plan_values["due"]), "工作方案"
        else:
            next_date, next_source = cn_date(row.due), "方案时限"
    evidence = [clean_text(e) for e in row.evidence]
    return ReportRow(
        task_id=row.task.id,
        title=clean_text(row.task.title),
        text=clean_text(row.task.text),
        section=row.task.section,
        kind=row.task.kind.value,
        kind_label=TASK_KIND_LABELS[row.task.kind],
        standing=standing,
        unit_id=row.unit_id,
        unit_label=row.unit_label,
        unit_name=unit.name,
        role=row.role,
        role_label="牵头" if row.role == "lead" else "责任",
        state=row.state.value,
        state_label=STATE_LABELS[row.state],
        done=done,
        closed=row.state is State.CLOSED,
        pending_review=row.state is State.PENDING_REVIEW,
        category=category,
        category_label={"done": "已完成", "ongoing": "正在推进", "standing": "长期坚持"}[category],
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
        flag=row.flag_label(),
        leader=plan_values["leader"],
        owner=plan_values["owner"],
        measures=plan_values["measures"],
        planned_cn=cn_date(plan_values["due"]),
        planned_late=row.planned_late,
        plan_missing=missing,
        plan_missing_text=_join(missing),
        targets=[TargetLine(clean_text(t.label), clean_text(t.summary()), t.met) for t in row.targets],
        target_summary=clean_text(row.target_summary()),
        targets_met=row.targets_met,
        evidence=evidence,
        evidence_text=_join(evidence),
        progress=progress,
        history=history,
        latest_note=progress[-1].note if progress else "",
        log=log,
        extensions=extensions,
        reason=reason,
        reason_missing=not done and not reason,
        next_date_cn=next_date,
        next_date_source=next_source,
    )


def _evidence(item) -> str:
    return item.path if hasattr(item, "path") else str(item)


def _reason(entry, as_of: dt.date, progress: list[ProgressLine]) -> str:
    """Why an item is not done, in the ledger's own words: a pending or approved extension's reason,
    the office's last sending-back, else the latest progress note."""
    if entry is None:
        return ""
    for ext in reversed(entry.extensions):
        if ext.requested <= as_of and ext.decision is not Decision.REFUSED:
            return f"申请延期：{clean_text(ext.reason)}"
    for item in reversed(entry.log):
        if item.date <= as_of and item.action is Action.REJECT and item.note:
            return f"销号被退回：{clean_text(item.note)}"
        if item.date <= as_of and item.action in (Action.REOPEN,) and item.note:
            return f"重新打开：{clean_text(item.note)}"
    if progress:
        return f"进展：{progress[-1].note}"
    return ""


# --- roll-ups -------------------------------------------------------------------------------------


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
        + "。完成率为已销号事项占承担事项的比例（待审核销号不计入）；序时进度为完成时限已过的事项占承担事项的比例。"
        + "排名依次按完成率从高到低、逾期事项从少到多、单位在 data/units.yaml 中的顺序。"
        + "阈值在 data/settings.yaml 的 traffic_light 中设置。"
    )
    return LightRule(t.red_overdue, behind, t.yellow_due_soon, plan.settings.due_soon_days, text)


def traffic_light(plan: Plan, s: UnitSummary) -> tuple[str, str]:
    """红 if overdue ≥ red_overdue; 黄 if (yellow_due_soon and something is due soon) or the rate is
    behind 序时进度 by more than yellow_behind; else 绿. Returns (light, reason)."""
    t = plan.settings.traffic_light
    if s.overdue >= t.red_overdue:
        return "red", f"逾期{s.overdue}项"
    reasons = []
    if t.yellow_due_soon and s.due_soon > 0:
        reasons.append(f"临期{s.due_soon}项")
    if s.rate < s.expected - t.yellow_behind - 1e-9:
        gap = round((s.expected - s.rate) * 100, 1)
        reasons.append(f"落后序时进度{gap:g}个百分点")
    if reasons:
        return "yellow", "，".join(reasons)
    return "green", "按序时推进"


LIGHT_LABELS = {"red": "红", "yellow": "黄", "green": "绿"}


def rank_units(plan: Plan, summaries: list[UnitSummary]) -> list[UnitSummary]:
    """Completion rate high to low, then overdue count low to high, then order in data/units.yaml."""
    order = {uid: i for i, uid in enumerate(plan.units)}
    return sorted(summaries, key=lambda s: (-round(s.rate, 9), s.overdue, order.get(s.unit_id, len(order))))


def unit_lines(plan: Plan, rows: list[Row], report_rows: list[ReportRow], as_of: dt.date, present: set[str]) -> list[UnitLine]:
    gaps: dict[str, int] = {}
    for r in report_rows:
        if r.plan_missing:
            gaps[r.unit_id] = gaps.get(r.unit_id, 0) + 1
    out = []
    for rank, s in enumerate(rank_units(plan, summarize(plan, rows, as_of)), start=1):
        light, reason = traffic_light(plan, s)
        unit = plan.units[s.unit_id]
        out.append(
            UnitLine(
                rank=rank,
                unit_id=s.unit_id,
                label=s.unit_label,
                name=unit.name,
                total=s.total,
                closed=s.done,
                pending_review=s.counts.get(State.PENDING_REVIEW.value, 0),
                in_progress=s.counts.get(State.IN_PROGRESS.value, 0),
                not_started=s.counts.get(State.NOT_STARTED.value, 0),
                overdue=s.overdue,
                due_soon=s.due_soon,
                closed_late=s.closed_late,
                plan_missing=gaps.get(s.unit_id, 0),
                rate=s.rate,
                rate_pct=pct(s.rate),
                expected=s.expected,
                expected_pct=pct(s.expected),
                on_schedule=s.rate >= s.expected - 1e-9,
                light=light,
                light_label=LIGHT_LABELS[light],
                light_reason=reason,
                has_ledger=s.unit_id in present,
            )
        )
    return out


def totals(rows: list[ReportRow], raw: list[Row], as_of: dt.date) -> Totals:
    n = len(rows)

    def count(pred) -> int:
        return sum(1 for r in rows if pred(r))

    closed = count(lambda r: r.closed)
    pending = count(lambda r: r.pending_review)
    expected = (sum(1 for r in raw if r.due < as_of) / n) if n else 0.0
    return Totals(
        units=len({r.unit_id for r in rows}),
        total=n,
        lead=count(lambda r: r.role == "lead"),
        closed=closed,
        pending_review=pending,
        in_progress=count(lambda r: r.state == State.IN_PROGRESS.value),
        not_started=count(lambda r: r.state == State.NOT_STARTED.value),
        done=closed + pending,
        open=n - closed - pending,
        overdue=count(lambda r: r.overdue),
        due_soon=count(lambda r: r.due_soon),
        closed_late=count(lambda r: r.closed_late),
        standing=count(lambda r: r.standing),
        plan_missing=count(lambda r: bool(r.plan_missing)),
        plan_complete=count(lambda r: not r.plan_missing),
        reason_missing=count(lambda r: r.reason_missing),
        evidence=sum(len(r.evidence) for r in rows),
        rate_pct=pct(closed / n) if n else "0%",
        done_pct=pct((closed + pending) / n) if n else "0%",
        expected_pct=pct(expected),
    )


def task_lines(plan: Plan, rows: list[ReportRow]) -> list[TaskLine]:
    by_task: dict[int, list[ReportRow]] = {}
    for r in rows:
        by_task.setdefault(r.task_id, []).append(r)
    out = []
    for tid in sorted(by_task):
        mine = by_task[tid]
        task = plan.tasks[tid]
        closed = sum(r.closed for r in mine)
        dues = sorted({r.due for r in mine})
        due_cn = cn_date(dt.date.fromisoformat(dues[0])) + ("" if len(dues) == 1 else f"至{cn_date(dt.date.fromisoformat(dues[-1]))}")
        out.append(
            TaskLine(
                task_id=tid,
                title=clean_text(task.title),
                section=task.section,
                kind_label=mine[0].kind_label,
                lead=_join(plan.units[r.unit_id].label for r in mine if r.role == "lead"),
                due_cn=due_cn,
                units=len(mine),
                closed=closed,
                pending_review=sum(r.pending_review for r in mine),
                in_progress=sum(r.state == State.IN_PROGRESS.value for r in mine),
                not_started=sum(r.state == State.NOT_STARTED.value for r in mine),
                open=sum(not r.done for r in mine),
                overdue=sum(r.overdue for r in mine),
                rate_pct=pct(closed / len(mine)),
                overdue_units=_join(r.unit_label for r in mine if r.overdue),
                overdue_units_brief=_brief([r.unit_label for r in mine if r.overdue]),
                open_units=_join(r.unit_label for r in mine if not r.done),
            )
        )
    return out


def group_by_unit(plan: Plan, rows: list[ReportRow]) -> list[UnitGroup]:
    """Rows grouped by unit, in the order of data/units.yaml."""
    groups: dict[str, list[ReportRow]] = {}
    for r in rows:
        groups.setdefault(r.unit_id, []).append(r)
    return [_unit_group(plan, uid, groups[uid]) for uid in plan.units if uid in groups]


def _unit_group(plan: Plan, uid: str, items: list[ReportRow]) -> UnitGroup:
    gaps = sum(1 for r in items if r.plan_missing)
    overdue = sum(1 for r in items if r.overdue)
    return UnitGroup(uid, plan.units[uid].label, len(items), items, overdue, gaps, len(items) - gaps)


def group_by_task(plan: Plan, rows: list[ReportRow], lines: list[TaskLine]) -> list[TaskGroup]:
    by_line = {line.task_id: line for line in lines}
    groups: dict[int, list[ReportRow]] = {}
    for r in rows:
        groups.setdefault(r.task_id, []).append(r)
    out = []
    for tid in sorted(groups):
        first = groups[tid][0]
        out.append(TaskGroup(tid, first.title, first.text, first.section, first.kind_label, by_line[tid], groups[tid]))
    return out


def overdue_by_unit(plan: Plan, rows: list[ReportRow]) -> list[UnitGroup]:
    """Overdue items grouped by unit: most overdue first, then the order of data/units.yaml."""
    order = {uid: i for i, uid in enumerate(plan.units)}
    groups: dict[str, list[ReportRow]] = {}
    for r in rows:
        if r.overdue:
            groups.setdefault(r.unit_id, []).append(r)
    ordered = sorted(groups, key=lambda uid: (-len(groups[uid]), order.get(uid, 0)))
    return [_unit_group(plan, uid, groups[uid]) for uid in ordered]


# --- weekly changes -----------------------------------------------------------------------------


def changes_between(plan: Plan, rows: list[Row], since: dt.date, as_of: dt.date) -> list[Change]:
    """State changes between the two dates (each row's state derived from its log at both dates),
    in unit order then task order, with the log actions dated inside (since, as_of]."""
    order = {uid: i for i, uid in enumerate(plan.units)}
    out = []
    for r in sorted(rows, key=lambda r: (order.get(r.unit_id, 0), r.task.id)):
        before_state = derive(r.entry, since).state
        after_state = derive(r.entry, as_of).state
        if before_state is after_state:
            continue
        actions, dates, notes = [], [], []
        if r.entry is not None:
            for item in r.entry.log:
                if since < item.date <= as_of:
                    who = f"，{clean_text(item.by)}" if item.by else ""
                    actions.append(f"{ACTION_LABELS[item.action]}（{cn_date(item.date)}{who}）")
                    dates.append(item.date)
                    if item.note:
                        notes.append(clean_text(item.note))
            for p in r.entry.progress + r.entry.records:
                if since < p.date <= as_of:
                    dates.append(p.date)
                    if getattr(p, "note", None) and not actions:
                        notes.append(clean_text(p.note))
        out.append(
            Change(
                unit_label=r.unit_label,
                task_id=r.task.id,
                title=clean_text(r.task.title),
                before=STATE_LABELS[before_state],
                after=STATE_LABELS[after_state],
                dates_cn=_join(dict.fromkeys(cn_date(d) for d in sorted(dates))),
                actions=_join(actions) or "填报进展",
                note="；".join(notes),
            )
        )
    return out


# --- the context ------------------------------------------------------------------------------


def leadership_section(plan: Plan) -> str:
    """The plan's first section (二(一) 加强党对法治政府建设的领导): its tasks are what the 党政主要负责人
    report on as 第一责任人 in the annual summary."""
    first = min(plan.tasks)
    return plan.tasks[first].section


def build_report(
    view: Book,
    spec: ReportSpec,
    *,
    scope: str = "office",
    unit_id: str | None = None,
    invalid: list[InvalidLedger] | None = None,
    present: set[str] | None = None,
    revision: str | None = None,
    since: dt.date | None = None,
    generator: str = "fazhi",
) -> ReportContext:
    """The context of one report, from a Book as of the report's day. Units in `invalid` are left
    out of every number and listed as 台账无效; `present` are units with a ledger file."""
    plan, ledgers, as_of = view.plan, view.ledgers, view.as_of_day
    invalid = invalid or []
    present = set(ledgers) if present is None else present
    bad = {i.unit_id for i in invalid}
    keep = [uid for uid in plan.units if uid not in bad]
    unit_info = None
    tasks_filter: list[int] | None = None
    units_filter = keep
    if scope in ("unit", "lead"):
        assert unit_id is not None
        u = plan.units[unit_id]
        unit_info = UnitInfo(u.id, u.name, u.label, LEVEL_LABELS[u.level])
    if scope == "unit":
        units_filter = [unit_id]
    elif scope == "lead":
        tasks_filter = view.tasks_led_by(unit_id)
    raw = status_rows(view, units=units_filter, tasks=tasks_filter)
    rows = [report_row(plan, r, as_of) for r in raw]
    in_scope = {r.unit_id for r in raw}
    if scope == "lead":
        carrying = set()
        resp = view.responsibilities
        for tid in tasks_filter or []:
            carrying.update(resp[tid].everyone)
        invalid = [i for i in invalid if i.unit_id in carrying or i.unit_id not in plan.units]
    elif scope == "unit":
        invalid = [i for i in invalid if i.unit_id == unit_id]
    units = unit_lines(plan, raw, rows, as_of, present)
    section = leadership_section(plan)

    weekly_changes: list[Change] = []
    new_overdue: list[ReportRow] = []
    if spec.template == "weekly":
        since = since or as_of - dt.timedelta(days=7)
        before = status_rows(view.as_of(since), units=units_filter, tasks=tasks_filter)
        weekly_changes = changes_between(plan, raw, since, as_of)
        was_overdue = {(r.task.id, r.unit_id) for r in before if r.overdue}
        new_overdue = [r for r in rows if r.overdue and (r.task_id, r.unit_id) not in was_overdue]

    rev = revision or ""
    footer = f"截至{cn_date(as_of)}" + (f" · 数据版本 {rev}" if rev else "") + f" · {generator} 生成"
    office = plan.units.get(plan.office_unit_id or "")
    meta = Meta(
        kind=spec.template,
        scope=scope,
        submission_id=spec.id,
        submission_name=spec.name,
        title=clean_text(spec.title),
        due=cn_date(spec.due),
        submitter=clean_text(spec.submitter),
        to=clean_text(spec.to),
        source=clean_text(spec.source),
        plan_title=clean_text(plan.phases.title),
        year=plan.year,
        office=office.name if office else "",
        as_of=as_of.isoformat(),
        as_of_cn=cn_date(as_of),
        since=since.isoformat() if since else "",
        since_cn=cn_date(since) if since else "",
        month=as_of.month,
        revision=rev,
        generator=generator,
        footer=footer,
    )
    lights = {k: sum(1 for u in units if u.light == k) for k in ("red", "yellow", "green")}
    lines = task_lines(plan, rows)
    return ReportContext(
        meta=meta,
        unit=unit_info,
        totals=totals(rows, raw, as_of),
        rows=rows,
        done=[r for r in rows if r.category == "done"],
        ongoing=[r for r in rows if r.category == "ongoing"],
        standing=[r for r in rows if r.category == "standing"],
        outstanding=[r for r in rows if r.overdue],
        upcoming=sorted((r for r in rows if not r.done and not r.overdue), key=lambda r: (r.due, r.task_id)),
        plan_gaps=[r for r in rows if r.plan_missing],
        targets_unmet=[r for r in rows if r.targets_met is False],
        leadership=[r for r in rows if r.section == section],
        extensions=[r for r in rows if r.extensions],
        tasks=lines,
        by_task=group_by_task(plan, rows, lines),
        by_unit=group_by_unit(plan, rows),
        plan_gaps_by_unit=group_by_unit(plan, [r for r in rows if r.plan_missing]),
        leadership_tasks=[line for line in lines if line.section == section],
        units=units,
        top_units=[u for u in units if u.closed > 0][:3],
        on_schedule=[u for u in units if u.on_schedule],
        behind=[u for u in units if not u.on_schedule],
        lights=lights,
        red_units=[u for u in units if u.light == "red"],
        overdue_by_unit=overdue_by_unit(plan, rows),
        invalid_ledgers=invalid,
        missing_ledgers=[plan.units[uid].label for uid in plan.units if uid in in_scope and uid not in present],
        light_rule=light_rule(plan),
        changes=weekly_changes,
        new_overdue=new_overdue,
    )


# --- the ledger table (fazhi export) ---------------------------------------------------------

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit", "单位"),
    ("unit_id", "单位编号"),
    ("task", "序号"),
    ("title", "任务"),
    ("role", "角色"),
    ("kind", "任务类型"),
    ("leader", "分管领导"),
    ("owner", "具体负责人"),
    ("measures", "具体措施"),
    ("planned", "计划完成"),
    ("due", "完成时限"),
    ("due_source", "时限依据"),
    ("state", "状态"),
    ("done_date", "完成日期"),
    ("overdue", "逾期"),
    ("days_overdue", "逾期天数"),
    ("due_soon", "临期"),
    ("closed_late", "逾期完成"),
    ("extension", "延期"),
    ("target", "量化目标"),
    ("notes", "工作进展"),
    ("evidence", "佐证材料"),
    ("reason", "未完成原因"),
)
UNIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "排名"),
    ("unit", "单位"),
    ("total", "任务数"),
    ("closed", "已销号"),
    ("pending_review", "待审核"),
    ("in_progress", "推进中"),
    ("not_started", "未启动"),
    ("overdue", "逾期"),
    ("due_soon", "临期"),
    ("rate", "完成率"),
    ("expected", "序时进度"),
    ("light", "灯"),
    ("light_reason", "说明"),
)


def ledger_table_row(r: ReportRow) -> dict:
    """One row of the 台账 table with Chinese values, keyed by LEDGER_COLUMNS' keys."""
    extension = ""
    if r.extensions:
        last = r.extensions[-1]
        extension = f"{last.requested_cn}申请延至{last.new_due_cn}（{last.decision}）"
    return {
        "unit": r.unit_label,
        "unit_id": r.unit_id,
        "task": r.task_id,
        "title": r.title,
        "role": r.role_label,
        "kind": r.kind_label,
        "leader": r.leader,
        "owner": r.owner,
        "measures": r.measures,
        "planned": r.planned_cn,
        "due": r.due_cn,
        "due_source": r.due_source,
        "state": r.state_label,
        "done_date": r.done_date_cn,
        "overdue": "是" if r.overdue else "",
        "days_overdue": r.days_overdue or "",
        "due_soon": "是" if r.due_soon else "",
        "closed_late": "是" if r.closed_late else "",
        "extension": extension,
        "target": r.target_summary,
        "notes": "\n".join(f"{p.date_cn}：{p.note}" for p in r.progress),
        "evidence": "\n".join(r.evidence),
        "reason": r.reason,
    }


def unit_table_row(u: UnitLine) -> dict:
    return {
        "rank": u.rank,
        "unit": u.label,
        "total": u.total,
        "closed": u.closed,
        "pending_review": u.pending_review,
        "in_progress": u.in_progress,
        "not_started": u.not_started,
        "overdue": u.overdue,
        "due_soon": u.due_soon,
        "rate": u.rate_pct,
        "expected": u.expected_pct,
        "light": u.light_label,
        "light_reason": u.light_reason,
    }


def ledger_json_row(row: Row, r: ReportRow) -> dict:
    """The JSON record of one row: the status fields (as `fazhi status --format json`) plus the
    work plan, progress notes and the reason it is not done."""
    return row.as_dict() | {
        "leader": r.leader or None,
        "owner": r.owner or None,
        "measures": r.measures or None,
        "progress": [{"date": p.date, "note": p.note, "evidence": p.evidence} for p in r.progress],
        "reason": r.reason or None,
    }


@dataclass
class LedgerTable:
    rows: list[ReportRow]
    raw: list[Row]
    units: list[UnitLine]


def ledger_table(
    view: Book,
    *,
    scope: str = "office",
    unit_id: str | None = None,
    exclude: set[str] | None = None,
    present: set[str] | None = None,
) -> LedgerTable:
    """Rows of the 台账 for export, from a Book as of a day: every (task, unit) in scope, units in
    `exclude` left out."""
    plan, ledgers, as_of = view.plan, view.ledgers, view.as_of_day
    exclude = exclude or set()
    units = [uid for uid in plan.units if uid not in exclude]
    tasks = None
    if scope == "unit":
        units = [unit_id]
    elif scope == "lead":
        tasks = view.tasks_led_by(unit_id)
    raw = status_rows(view, units=units, tasks=tasks)
    rows = [report_row(plan, r, as_of) for r in raw]
    return LedgerTable(rows, raw, unit_lines(plan, raw, rows, as_of, set(ledgers) if present is None else present))
