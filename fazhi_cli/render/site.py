"""`fazhi site`: the static dashboard — an overview, a page per unit and a page per task — as
files (name → bytes), rendered from the templates in fazhi_cli/templates/site/.

Every number is the monthly bulletin's: the facts are `engine.report_context.build_report` of the
bulletin kind for the whole city (the rows, totals, ranking and lights `fazhi report monthly` and
`fazhi status` show), written out by `render.report_fields.report_context`. The charts add:
- the closing curve: `engine.facts.totals` of `engine.status.status_rows` of `book.as_of(day)` on
  each day a 销号 action was dated (the same numbers `status --as-of DAY` gives), against
  `engine.facts.expected_progress` (序时进度) and the phases' end dates;
- overdue items by lead unit: `engine.facts.totals` of the rows of the tasks each unit leads (what
  `status --lead U` and the lead's reports count).

Pages carry no script, no event handler, no style attribute and no external URL; a strict
Content-Security-Policy says so, and site.css is the only other file they load.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from fazhi_cli.book.book import Book
from fazhi_cli.engine import facts
from fazhi_cli.engine.report_context import InvalidLedger, ReportFacts, build_report
from fazhi_cli.engine.report_kinds import KINDS, ReportSpec
from fazhi_cli.engine.status import status_rows
from fazhi_cli.models.plan import TASK_KIND_LABELS
from fazhi_cli.render.report_fields import ReportContext, ReportRow, UnitLine, report_context
from fazhi_cli.render.svg import Bar, Deadline, Point, bar_chart, closing_chart
from fazhi_cli.render.text import cn_date, pct, points

CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
STYLESHEET = "site.css"
INDEX = "index.html"
# Every file a build writes is named so: what a rebuild may remove as stale, and nothing else.
SITE_FILE = re.compile(r"^(index\.html|site\.css|unit-[a-z][a-z0-9-]{0,39}\.html|task-[0-9]{1,6}\.html)$")
MAX_CURVE_DAYS = 120  # more distinct 销号 days than this: the curve is sampled weekly instead

STATE_CLASSES = {"closed": "st-closed", "pending_review": "st-pending", "in_progress": "st-progress", "not_started": "st-none"}
STATE_MARKS = {"closed": "✓", "pending_review": "审", "in_progress": "推", "not_started": "·"}


def unit_page(unit_id: str) -> str:
    return f"unit-{unit_id}.html"


def task_page(task_id: int) -> str:
    return f"task-{task_id}.html"


def site_spec() -> ReportSpec:
    """The facts of the site are the bulletin's (月通报, whole city)."""
    return ReportSpec("site", "site", KINDS["bulletin"], "法治政府建设工作看板", None, "", "", "", True)


@dataclass(frozen=True)
class Cell:
    """One square of the units × tasks grid."""

    row: ReportRow | None  # None: the unit does not carry the task
    css: str
    mark: str
    tip: str


@dataclass(frozen=True)
class GridLine:
    unit: UnitLine
    cells: list[Cell]


@dataclass(frozen=True)
class LeadLine:
    unit_id: str
    label: str
    tasks: int
    overdue: int
    total: int


def _cell(r: ReportRow | None) -> Cell:
    if r is None:
        return Cell(None, "st-na", "", "")
    css = STATE_CLASSES[r.state] + (" st-overdue" if r.overdue else "")
    mark = "!" if r.overdue else STATE_MARKS[r.state]
    tip = f"{r.unit_label} · 任务{r.task_id} {r.title}：{r.state_label}" + (f"（{r.flag}）" if r.flag else "")
    return Cell(r, css, mark, tip)


def grid(ctx: ReportContext, plan_units: list[str], task_ids: list[int]) -> list[GridLine]:
    """Units (in data/units.yaml order) × tasks, each cell coloured by the row's state."""
    by_key = {(r.unit_id, r.task_id): r for r in ctx.rows}
    lines = {u.unit_id: u for u in ctx.units}
    return [GridLine(lines[uid], [_cell(by_key.get((uid, tid))) for tid in task_ids]) for uid in plan_units if uid in lines]


def lead_lines(view: Book, f: ReportFacts) -> list[LeadLine]:
    """Each lead unit: the overdue items among the tasks it leads (engine.facts.totals)."""
    plan = view.plan
    out = []
    for uid in plan.units:
        led = set(view.tasks_led_by(uid))
        if not led:
            continue
        rows = [r.row for r in f.rows if r.row.task.id in led]
        t = facts.totals(rows, f.as_of, plan.year)
        out.append(LeadLine(uid, plan.units[uid].label, len(led), t.overdue, t.total))
    return sorted(out, key=lambda line: -line.overdue)  # stable: ties keep data/units.yaml order


def curve_days(book: Book, day: dt.date, start: dt.date) -> list[dt.date]:
    """The days the closing curve is computed on: its start, every day a 销号 action was dated (up
    to `day`), and `day`; weekly when there are more than MAX_CURVE_DAYS of them."""
    dated = {item.date for ledger in book.ledgers.values() for e in ledger.tasks.values() if e for item in e.log}
    days = sorted(d for d in dated if start <= d <= day)
    if len(days) > MAX_CURVE_DAYS:
        days = [start + dt.timedelta(days=7 * i) for i in range((day - start).days // 7 + 1)]
    return sorted({start, *days, day})


def closing_points(book: Book, units: list[str], days: list[dt.date]) -> list[Point]:
    """已销号 and 已完成 of the city at the end of each day, as `status --as-of DAY` counts them.
    Only units with a 销号 log can have an item applied or closed, so only their rows are computed
    (the others add 0 to both counts)."""
    year = book.plan.year
    acting = {uid for uid, ledger in book.ledgers.items() if any(e and e.log for e in ledger.tasks.values())}
    units = [uid for uid in units if uid in acting]
    out = []
    for d in days:
        t = facts.totals(status_rows(book.as_of(d), units=units), d, year) if units else None
        if t is None:
            out.append(Point(d, 0, 0))
            continue
        out.append(Point(d, t.closed, t.applied_or_closed))
    return out


def expected_curve(rows, start: dt.date, end: dt.date, year: int, total: int) -> list[tuple[dt.date, float]]:
    """序时进度 × 承担事项 (engine.facts.expected_progress of the rows as they stand on the as-of
    day) from `start` to `end`. It is linear between deadlines and steps the day after one, so
    its value on each deadline, the day after, and the ends draws it exactly."""
    days = {start, end}
    for r in rows:
        days |= {d for d in (r.due, r.due + dt.timedelta(days=1)) if start <= d <= end}
    return [(d, facts.expected_progress(rows, d, year) * total) for d in sorted(days)]


@dataclass
class Charts:
    closing: object
    rate_by_unit: object
    overdue_by_lead: object
    curve: list[Point]
    leads: list[LeadLine]


def charts(book: Book, view: Book, f: ReportFacts, ctx: ReportContext, valid_units: list[str]) -> Charts:
    plan = book.plan
    year = plan.year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    first_phase = min((p.start for p in plan.phases.phases), default=start)
    start = min(start, first_phase)
    days = curve_days(book, f.as_of, start) if start <= f.as_of else [f.as_of]
    points = closing_points(book, valid_units, [d for d in days if d <= end] or [f.as_of])
    raw = [r.row for r in f.rows]
    expected = expected_curve(raw, start, end, year, f.totals.total)
    deadlines = [Deadline(p.end, f"{p.name}") for p in plan.phases.phases if start <= p.end <= end]
    closing = closing_chart(
        "chart-closing", "全市已销号事项累计与阶段截止时间", [p for p in points if p.day <= end], expected, deadlines,
        total=f.totals.total, start=start, end=end, as_of=min(max(f.as_of, start), end),
    )
    rate_bars = [
        Bar(u.label, u.rate, u.rate_pct, f"light-{u.light}", unit_page(u.unit_id), u.expected,
            f"{u.label}：完成率 {u.rate_pct}，序时进度 {u.expected_pct}，{u.light_label}灯（{u.light_reason}）")
        for u in ctx.units
    ]
    rate = bar_chart("chart-rate", "各单位完成率（已销号 ÷ 承担事项）", rate_bars, maximum=1.0, unit_label="%", marker_label="竖线：该单位序时进度")
    leads = lead_lines(view, f)
    top = max((line.overdue for line in leads), default=0)
    lead_bars = [
        Bar(line.label, line.overdue, f"{line.overdue}项", "overdue" if line.overdue else "none", None, None,
            f"{line.label}牵头的{line.tasks}项任务中逾期事项 {line.overdue} 项（共 {line.total} 个单位·任务）")
        for line in leads
    ]
    overdue = bar_chart("chart-overdue", "逾期事项（按牵头单位）", lead_bars, maximum=max(top, 4) if top else 4)
    return Charts(closing, rate, overdue, points, leads)


@dataclass(frozen=True)
class Links:
    """Where a page's links point: the static site's file names, or a web application's URLs."""

    home: str = INDEX
    stylesheet: str = STYLESHEET
    layout: str = "site/_page.html.j2"
    unit_page: Callable[[str], str] = unit_page
    task_page: Callable[[int], str] = task_page
    entry_page: Callable[[str, int], str] | None = None  # a unit's item with its forms (web only)


class SiteView:
    """The facts every page of the site is made of, as of one day, computed once; the charts only
    when the overview asks for them."""

    def __init__(self, book: Book, day: dt.date, *, revision: str | None, generator: str, invalid: list[InvalidLedger]):
        self.book = book
        self.plan = book.plan
        self.view = book.as_of(day)
        self.facts = build_report(
            self.view, site_spec(), scope="office", invalid=invalid, present=set(book.ledger_files), revision=revision or "", generator=generator
        )
        self.ctx = report_context(self.plan, self.facts)
        bad = {i.unit_id for i in invalid}
        self.valid_units = [uid for uid in self.plan.units if uid not in bad]
        self.task_ids = sorted(self.plan.tasks)
        self._by_unit = {g.unit_id: g for g in self.ctx.by_unit}
        self._by_task = {g.task_id: g for g in self.ctx.by_task}

    def common(self, links: Links) -> dict:
        return {
            "meta": self.ctx.meta, "csp": CSP, "stylesheet": links.stylesheet, "home": links.home, "layout": links.layout,
            "unit_page": links.unit_page, "task_page": links.task_page, "entry_page": links.entry_page, "pct": pct, "cn_date": cn_date,
        }

    def index_values(self) -> dict:
        ctx, f, plan = self.ctx, self.facts, self.plan
        return dict(
            ctx=ctx, totals=ctx.totals, units=ctx.units, lights=ctx.lights, charts=charts(self.book, self.view, f, ctx, self.valid_units),
            grid=grid(ctx, list(plan.units), self.task_ids), task_ids=self.task_ids, tasks=ctx.tasks, light_rule=ctx.light_rule,
            invalid=ctx.invalid_ledgers, overdue_by_unit=ctx.overdue_by_unit,
            behind=points(f.totals.expected - f.totals.rate) if not facts.on_schedule(f.totals.rate, f.totals.expected) else "",
        )

    def unit_lines(self) -> list[UnitLine]:
        return list(self.ctx.units)

    def unit_values(self, unit_id: str) -> dict | None:
        """The values of a unit's page; None when the unit is not in the numbers (no such unit,
        or its ledger does not validate)."""
        u = next((line for line in self.ctx.units if line.unit_id == unit_id), None)
        if u is None:
            return None
        group = self._by_unit.get(unit_id)
        return dict(
            u=u, unit=self.plan.units[unit_id], rows=group.items if group else [],
            led=[line for line in self.ctx.tasks if unit_id in self.view.responsibilities[line.task_id].lead], count=len(self.ctx.units),
        )

    def task_values(self, task_id: int) -> dict | None:
        g = self._by_task.get(task_id)
        if g is None:
            return None
        task = self.plan.tasks[task_id]
        lead_ids = self.view.responsibilities[task_id].lead
        return dict(
            g=g, task=task, kind_label=TASK_KIND_LABELS[task.kind], leads=[(uid, self.plan.units[uid].label) for uid in lead_ids],
            lead_rows=[r for r in g.items if r.role == "lead"],
        )

    def task_ids_with_page(self) -> list[int]:
        return [g.task_id for g in self.ctx.by_task]


def build_site(book: Book, day: dt.date, *, revision: str | None, generator: str, invalid: list[InvalidLedger]) -> dict[str, bytes]:
    """Every file of the site: name → bytes (site.css, index.html, unit-<id>.html, task-<n>.html)."""
    from fazhi_cli.render.documents import environment

    site = SiteView(book, day, revision=revision, generator=generator, invalid=invalid)
    env = environment("html", None)
    common = site.common(Links())
    files: dict[str, bytes] = {STYLESHEET: env.get_template("site/site.css.j2").render().encode("utf-8")}

    def page(name: str, template: str, values: dict) -> None:
        files[name] = env.get_template(f"site/{template}").render(**common, **values).encode("utf-8")

    page(INDEX, "index.html.j2", site.index_values())
    for u in site.unit_lines():
        page(unit_page(u.unit_id), "unit.html.j2", site.unit_values(u.unit_id))
    for task_id in site.task_ids_with_page():
        page(task_page(task_id), "task.html.j2", site.task_values(task_id))
    return files
