"""`fazhi report`: the documents the plan asks for (工作方案、自查报告、完成情况、年度总结、周调度、月通报),
rendered from templates as Word (.docx), HTML or Markdown."""

from __future__ import annotations

import datetime as dt
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli import __version__
from fazhi_cli.cli.common import (
    complete_lead,
    resolve_lead,
    save_output,
    to_stdout,
    ForceOpt,
    EXIT_CANNOT_RUN,
    AsOfOpt,
    RootOpt,
    UnitOpt,
    fail,
    open_or_exit,
    parse_date,
    print_problems,
    view_day,
    resolve_unit,
    today,
)
from fazhi_cli.engine.report_context import build_report, invalid_ledgers  # noqa: F401  (cli.site and cli.export import it from here)
from fazhi_cli.engine.report_kinds import ReportSpec, find_report, report_specs
from fazhi_cli.models.plan import Unit
from fazhi_cli.render.console import make_console
from fazhi_cli.store.revision import RevisionError, checkout_revision, current_revision
from fazhi_cli.book.book import Book



class ReportFormat(str, Enum):
    docx = "docx"
    html = "html"
    md = "md"
    json = "json"


LeadOpt = Annotated[Optional[str], typer.Option("--lead", metavar="单位", help="牵头单位：生成它对所牵头任务的报告", show_default=False, autocompletion=complete_lead)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="输出文件（默认 reports/ 下按材料和单位命名；- 表示标准输出）", show_default=False)]
RevOpt = Annotated[
    Optional[str], typer.Option("--rev", help="按某次 git 提交时的数据和模板生成（提交号、分支或标签），用于重新生成已报送的材料", show_default=False)
]


def report(
    submission: Annotated[
        str,
        typer.Argument(
            help="报送材料：0320 工作方案、0430 自查报告、0805 完成情况报告、1208 年度总结、weekly 周调度、monthly 月通报、"
            "quarterly 季通报、yearly 年总结（年度评价，默认统计到方案年度末）"
            "（也可用 work-plan、self-check、completion、summary、bulletin，全角数字，或上述中文名称）",
            show_default=False,
        ),
    ],
    unit: UnitOpt = None,
    lead: LeadOpt = None,
    as_of: AsOfOpt = None,
    since: Annotated[
        Optional[str], typer.Option("--since", help="周调度：从哪天之后算起（YYYY-MM-DD，默认 --as-of 前7天）", show_default=False)
    ] = None,
    quarter: Annotated[
        Optional[int], typer.Option("--quarter", help="季通报：第几季度（1–4），按该季度末统计并与上季度末比较（代替 --as-of）", show_default=False)
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="docx（Word/WPS）、html（可打印）、md（Markdown）、json（模板数据）")] = ReportFormat.docx,
    output: OutputOpt = None,
    force: ForceOpt = False,
    rev: RevOpt = None,
    workdays: Annotated[
        bool, typer.Option("--workdays", help="逾期、临期事项注明工作日（按国务院公布的节假日和调休），如“逾期6天（4个工作日）”")
    ] = False,
    root: RootOpt = None,
) -> None:
    """生成报送材料：按 data/phases.yaml 中的报送要求和 templates/ 中的模板。

    --unit U：U 本单位的报告；--lead U：U 对其牵头任务的报告；都不给：依法治市办的全市汇总。
    台账无效的单位不影响全市报告：列为“台账无效”，其余单位照常统计。
    页脚注明统计截止日期和数据版本（git 提交号）；--rev 按当时的提交重新生成。
    工作区 templates/ 中的同名模板优先于内置模板（见 docs/reports.md）。

    示例：fazhi report 0805 --unit 科区 --as-of 2020-08-06

    示例：fazhi report monthly --format html -o 通报.html

    示例：fazhi report 0805 --unit 科区 --rev a1b2c3d
    """
    if unit and lead:
        fail("--unit 和 --lead 只能选一个")
    live = open_or_exit(root)
    if quarter is not None:
        day = _quarter_day(live, quarter, as_of, submission)
    elif as_of is None and _is_yearly(live, submission):
        day = min(today(), dt.date(live.plan.year, 12, 31))  # 年总结 after the year: the whole year
    else:
        day = view_day(live, as_of)
    since_day = parse_date(since, "--since", default_today=False)
    if since_day is not None and since_day >= day:
        fail(f"--since {since_day.isoformat()} 应早于统计日期 {day.isoformat()}")
    if rev:
        with tempfile.TemporaryDirectory(prefix="fazhi-rev-") as folder:
            try:
                short = checkout_revision(live.ws.root, rev, Path(folder))
            except RevisionError as exc:
                fail(exc.message, EXIT_CANNOT_RUN)
            session = open_or_exit(Path(folder))
            _run(live, session, submission, unit, lead, day, since_day, fmt, output, short, force, workdays)
    else:
        _run(live, live, submission, unit, lead, day, since_day, fmt, output, current_revision(live.ws.root), force, workdays)


def _run(
    live: Book,
    session: Book,
    submission: str,
    unit: str | None,
    lead: str | None,
    day: dt.date,
    since_day: dt.date | None,
    fmt: ReportFormat,
    output: Path | None,
    revision: str | None,
    force: bool = False,
    workdays: bool = False,
) -> None:
    from fazhi_cli.render.documents import RenderError, render_report, template_origin  # jinja2: only when rendering
    from fazhi_cli.render.report_fields import report_context

    plan = session.plan
    spec, why = find_report(plan, submission)
    if spec is None:
        fail(why)
    kind = spec.kind
    if since_day is not None and not kind.period:
        periodic = "、".join(f"{s.title}（{s.id}）" for s in report_specs(plan) if s.kind.period)
        fail(f"--since 只用于{periodic}")
    invalid = invalid_ledgers(session)
    view = session.as_of(day)  # who carries what is decided as of the report's day too (claims)
    chosen: Unit | None = None
    scope = "office"
    if unit:
        if "unit" not in kind.scopes:
            fail(f"{spec.title}是依法治市办对各单位的通报，不按单位生成；牵头单位可用 --lead 生成其牵头任务的{spec.title}")
        chosen, scope = resolve_unit(session, unit), "unit"
        if chosen.id in {i.unit_id for i in invalid}:
            bad = session.ledger_files[chosen.id]
            print_problems([p for p in bad.problems if p.is_error], limit=10)
            fail(f"{chosen.label}的台账（{bad.path}）有错误，无法生成本单位的{spec.title}；请先运行 `fazhi check` 并改正")
        if not view.tasks_of(chosen.id):
            fail(f"{chosen.label}没有承担任何任务，无需报送{spec.title}")
    elif lead:
        (chosen, _), scope = resolve_lead(view, lead), "lead"
    facts = build_report(
        view,
        spec,
        scope=scope,
        unit_id=chosen.id if chosen else None,
        invalid=invalid,
        present=set(session.ledger_files),
        revision=revision,
        since=since_day,
        generator=f"fazhi {__version__}",
        workdays=workdays,
    )
    context = report_context(plan, facts)
    try:
        data = render_report(context, fmt.value, session.ws.templates_dir)
    except RenderError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    target = output if output is not None else live.ws.root / "reports" / default_name(spec, scope, chosen, day, fmt.value)
    from fazhi_cli.render.documents import EXTENSIONS

    save_output(live.ws.root, target, data, "Word/WPS", EXTENSIONS[fmt.value], force=force)
    err = make_console(stderr=True)
    if context.invalid_ledgers:
        err.print(
            "警告：以下台账无效，未纳入统计，已在报告中列为“台账无效”："
            + "、".join(i.path for i in context.invalid_ledgers)
            + "（运行 `fazhi check` 查看）",
            markup=False,
        )
    override = template_origin(spec.template, fmt.value, session.ws.templates_dir)
    if override:
        err.print(f"使用工作区模板：templates/{Path(override).name}", markup=False)
    if workdays:
        from fazhi_cli.engine.status import workdays_years
        from fazhi_cli.engine.workdays import fallback_notice

        notice = fallback_notice(workdays_years([r.row for r in facts.rows], day))
        if notice:
            err.print(f"注意：{notice}", markup=False)
    who = chosen.label + ("牵头任务" if scope == "lead" else "") if chosen else "全市"
    shown = target if output is not None else _relative(target, live.ws.root)
    if not to_stdout(target):
        typer.echo(f"已生成：{shown}")
    err.print(f"{who} · {spec.title} · {context.meta.footer}", markup=False)


def _is_yearly(book: Book, submission: str) -> bool:
    spec, _ = find_report(book.plan, submission)
    return spec is not None and spec.kind.review


def _quarter_day(book: Book, quarter: int, as_of: str | None, submission: str) -> dt.date:
    """`--quarter N`: the last day of quarter N of the plan's year (季通报 only)."""
    from fazhi_cli.engine.periods import quarter_end

    spec, _ = find_report(book.plan, submission)
    if spec is None or spec.kind.compare != "quarter":
        fail("--quarter 只用于季通报（fazhi report quarterly --quarter 2）")
    if as_of:
        fail("--quarter 和 --as-of 只能选一个：--quarter N 按第N季度末统计")
    if quarter not in (1, 2, 3, 4):
        fail(f"--quarter 应为 1–4，不是 {quarter}")
    return quarter_end(book.plan.year, quarter)


def default_name(spec: ReportSpec, scope: str, unit: Unit | None, day: dt.date, fmt: str) -> str:
    """reports/0805-kerqin.docx, 0805-lead-sifaju.docx, 0805-city.docx; recurring ones carry the date:
    weekly-2020-08-06.html, monthly-2020-08-06-lead-sifaju.docx."""
    from fazhi_cli.render.documents import EXTENSIONS

    stem = spec.id if not spec.recurring else f"{spec.id}-{day.isoformat()}"
    if scope == "unit":
        stem += f"-{unit.id}"
    elif scope == "lead":
        stem += f"-lead-{unit.id}"
    elif not spec.recurring:
        stem += "-city"
    return stem + EXTENSIONS[fmt]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def register(app: typer.Typer) -> None:
    app.command("report")(report)
