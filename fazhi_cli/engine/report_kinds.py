"""The report kinds, in one registry: what each is called, for which scopes it is made, whether it
covers a period, and what it adds to the common context. data/phases.yaml names a kind (the
`template` of a submission or recurring duty); everything else about the kind is here."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from fazhi_cli.book.plan import Plan

SCOPES = ("unit", "lead", "office")
SCOPE_NAMES = {"unit": "本单位", "lead": "牵头任务", "office": "全市"}


@dataclass(frozen=True)
class ReportKind:
    name: str  # template name: completion
    names: tuple[str, ...]  # Chinese names it may be asked by: 完成情况报告 …
    scopes: tuple[str, ...]  # unit | lead | office
    period: bool  # covers (since, as_of] (周调度), not just a day
    default_days: int = 7  # period: default length in days
    compare: str | None = None  # quarter | month: also what changed since the previous period's end
    review: bool = False  # 年总结: the standings at every month and quarter end of the year


KINDS: dict[str, ReportKind] = {
    k.name: k
    for k in (
        ReportKind("work-plan", ("工作方案", "实施方案", "工作实施方案"), SCOPES, False),
        ReportKind("self-check", ("自查报告", "自查"), SCOPES, False),
        ReportKind("completion", ("完成情况报告", "任务完成情况报告", "完成情况"), SCOPES, False),
        ReportKind("summary", ("年度总结", "年度报告", "总结"), SCOPES, False),
        ReportKind("bulletin", ("月通报", "通报"), ("lead", "office"), False, compare="month"),
        ReportKind("quarterly", ("季通报", "季度通报"), ("lead", "office"), False, compare="quarter"),
        ReportKind("evaluation", ("年总结", "年度评价", "年度考评", "年终评价"), ("lead", "office"), False, review=True),
        ReportKind("weekly", ("周调度", "调度"), ("lead", "office"), True),
    )
}


@dataclass(frozen=True)
class ReportSpec:
    """A report the plan asks for: a dated submission (0320 …) or a recurring one (周调度、月通报)."""

    id: str  # "0805", or the recurring duty's id ("weekly", "monthly")
    name: str  # readable name: "completion", "weekly", "monthly"
    kind: ReportKind
    title: str
    due: dt.date | None
    submitter: str
    to: str
    source: str
    recurring: bool

    @property
    def template(self) -> str:
        return self.kind.name


def report_specs(plan: Plan) -> list[ReportSpec]:
    """Every submission and recurring duty of the plan whose template is a known kind."""
    out = []
    for s in plan.phases.submissions:
        if s.template in KINDS:
            out.append(ReportSpec(s.id, s.name, KINDS[s.template], s.title, s.due, s.submitter, s.to, s.source, False))
    for r in plan.phases.recurring:
        if r.template in KINDS:
            out.append(ReportSpec(r.id, r.id, KINDS[r.template], r.title, None, r.by, "各地、各单位", r.source, True))
    return out


def _key(text: str) -> str:
    """Full-width forms folded (０８０５ → 0805), spaces dropped, case folded, 8/5 → 0805."""
    key = "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()
    digits = re.fullmatch(r"(\d{1,2})[/.月-](\d{1,2})日?", key)
    if digits:
        key = f"{int(digits.group(1)):02d}{int(digits.group(2)):02d}"
    return key


def spec_names(spec: ReportSpec) -> set[str]:
    return {_key(n) for n in (spec.id, spec.name, spec.kind.name, spec.title, *spec.kind.names)}


def find_report(plan: Plan, text: str) -> tuple[ReportSpec | None, str | None]:
    """Resolve `0805`, `０８０５`, `8/5`, `completion`, `完成情况报告`, `工作方案`, `年度总结`, `weekly`,
    `周调度`, `bulletin`, `月通报`. Returns (spec, None) or (None, a message saying why not)."""
    key = _key(text)
    specs = report_specs(plan)
    for spec in specs:
        if key in spec_names(spec):
            return spec, None
    for s in plan.phases.submissions + plan.phases.recurring:
        names = {_key(s.id), _key(s.title)} | ({_key(s.name)} if hasattr(s, "name") else set())
        if key in names:
            return None, f"“{s.title}”没有报告模板（data/phases.yaml 中未设 template），不能生成"
    choices = "、".join(f"{s.id}（{s.title}）" for s in specs)
    return None, f"找不到报送材料“{text}”。可选：{choices}"
