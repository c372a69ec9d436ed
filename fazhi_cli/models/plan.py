"""The plan as data: units and groups, tasks with deadlines and targets, phases and submissions."""

from __future__ import annotations

import re
from enum import Enum

from pydantic import Field, field_validator, model_validator

from fazhi_cli.models.common import EMAIL, Date, Identity, NonEmpty, SafeId, Strict


class Level(str, Enum):
    """Administrative level of a unit; some deadlines depend on it (task 7: 市本级 vs 旗县级)."""

    CITY = "city"  # 市本级：市直部门、市委各部门、人民团体等
    COUNTY = "county"  # 旗县级：旗县市区人民政府、开发区管委会


LEVEL_LABELS = {Level.CITY: "市本级", Level.COUNTY: "旗县级"}


class Unit(Strict):
    id: SafeId
    name: NonEmpty = Field(description="单位全称")
    short: NonEmpty | None = Field(None, description="简称（表格和报告中显示）")
    aliases: list[NonEmpty] = Field(default_factory=list, description="方案文本中使用的其他名称")
    level: Level
    editors: list[Identity] = Field(
        default_factory=list, description="可以修改本单位台账的人员：git 邮箱或服务器用户名"
    )
    note: str | None = None

    @property
    def label(self) -> str:
        return self.short or self.name


class Group(Strict):
    """A named set of units ("旗县市区", "各相关部门"); members may name units or other groups."""

    id: SafeId
    name: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    members: list[NonEmpty] = Field(default_factory=list)
    open: bool = Field(
        False,
        description="开放式分组（如“各相关部门”）：方案未列全成员，单位可在台账中认领任务",
    )
    note: str | None = None


class Office(Strict):
    """The supervising office (依法治市办) and its staff, who may edit every ledger."""

    unit: NonEmpty = Field(description="依法治市办所在单位（id、全称或别名）")
    editors: list[Identity] = Field(default_factory=list, description="依法治市办人员：git 邮箱或服务器用户名")


class UnitsFile(Strict):
    office: Office
    units: list[Unit]
    groups: list[Group] = Field(default_factory=list)


class TaskKind(str, Enum):
    DELIVERABLE = "deliverable"  # 一次性成果：公布清单、建立制度
    COUNT = "count"  # 年度计数：每年不少于 N 次
    MEASURED = "measured"  # 量化指标：比率、时限
    STANDING = "standing"  # 长期坚持：无终点，须证明已落实并常态化


TASK_KIND_LABELS = {
    TaskKind.DELIVERABLE: "一次性任务",
    TaskKind.COUNT: "年度计数",
    TaskKind.MEASURED: "量化指标",
    TaskKind.STANDING: "长期坚持",
}


class Measure(str, Enum):
    COUNT = "count"  # 次数：每项活动以带日期的记录计数
    PERCENT = "percent"  # 百分比：填报测得的数值
    WORKDAYS = "workdays"  # 工作日：填报测得的时限


class Target(Strict):
    """A quantified target of a task, e.g. 中心组学法 ≥ 4 次 a year, 双随机一公开 ≥ 80%."""

    key: SafeId = Field(description="目标编号（台账中引用）")
    label: NonEmpty
    measure: Measure
    min: float | None = Field(None, description="不少于")
    max: float | None = Field(None, description="不超过")
    unit: NonEmpty = Field(description="计量单位：次、期、%、个工作日")
    per_year: bool = Field(False, description="按自然年度计数")
    source: NonEmpty = Field(description="方案原文")

    @model_validator(mode="after")
    def _has_bound(self) -> "Target":
        if self.min is None and self.max is None:
            raise ValueError("目标至少要有 min（不少于）或 max（不超过）之一")
        return self

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            bound = f"{_num(self.min)}–{_num(self.max)}"
        elif self.min is not None:
            bound = f"≥{_num(self.min)}"
        else:
            bound = f"≤{_num(self.max)}"
        return f"{self.label} {bound}{self.unit}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Deadline(Strict):
    """A deadline stated in the task's own text; `level` limits it to 市本级 or 旗县级 units."""

    due: Date
    level: Level | None = None
    source: NonEmpty = Field(description="时限出处（方案原文）")


class Task(Strict):
    id: int = Field(ge=1, description="分解表序号")
    title: NonEmpty = Field(description="简称")
    text: NonEmpty = Field(description="分解表中的任务原文")
    section: NonEmpty = Field(description="对应方案条目，如 二(一)")
    kind: TaskKind
    lead: list[NonEmpty] = Field(min_length=1, description="牵头单位")
    responsible: list[NonEmpty] = Field(default_factory=list, description="责任单位（可含分组）")
    deadlines: list[Deadline] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    note: str | None = None


class TasksFile(Strict):
    tasks: list[Task]


class DefaultDue(Strict):
    due: Date
    source: NonEmpty
    rule: str | None = None


class Phase(Strict):
    id: SafeId
    name: NonEmpty
    section: NonEmpty
    start: Date
    end: Date
    summary: str | None = None


class Scope(str, Enum):
    UNIT = "unit"  # 各单位各自报送
    OFFICE = "office"  # 依法治市办汇总


class Submission(Strict):
    """A document the plan requires by a date (3月20日 工作方案, 4月30日 自查报告 …)."""

    id: NonEmpty = Field(description="编号：月日四位数字，如 0805")
    name: SafeId = Field(description="易读名称，如 completion")
    title: NonEmpty
    due: Date
    phase: SafeId
    submitter: NonEmpty = Field(description="报送单位：单位/分组名称，或“各地各单位”")
    to: NonEmpty
    scope: Scope
    template: str | None = Field(None, description="模板名（不含扩展名）")
    source: NonEmpty


class Recurring(Strict):
    """A recurring duty (周调度、月通报；平台月评价、季通报、年总结)."""

    id: SafeId
    title: NonEmpty
    every: NonEmpty = Field(description="week / month / quarter / year")
    by: NonEmpty
    template: str | None = None
    source: NonEmpty


class PhasesFile(Strict):
    year: int = Field(ge=2000, le=2100)
    title: NonEmpty
    default_due: DefaultDue = Field(description="无明确时限任务的完成时限")
    count_due: DefaultDue = Field(description="年度计数任务（每年不少于 N 次）的完成时限")
    phases: list[Phase]
    submissions: list[Submission]
    recurring: list[Recurring] = Field(default_factory=list)


class TrafficLight(Strict):
    """红黄绿灯 thresholds, kept in the workspace so each city can set its own."""

    red_overdue: int = Field(1, ge=1, description="逾期事项达到此数为红灯")
    yellow_behind: float = Field(
        0.0, ge=0, le=1, description="完成率落后序时进度超过此比例为黄灯（0 表示只要落后即黄灯）"
    )
    yellow_due_soon: bool = Field(True, description="有临期事项亦为黄灯")


# 发文字号: issuing organ's short name, the year in 〔〕 (or [] ［］), the number, 号 — 通司发〔2020〕12号.
DOCUMENT_NUMBER = r"^[\u4e00-\u9fff]{1,30}[〔\[［【][12]\d{3}[〕\]］】]第?\d{1,6}号$"


class Smtp(Strict):
    """The mail server `fazhi remind --send` sends through. The user name and password are never
    kept in the repository: they come from FAZHI_SMTP_USER and FAZHI_SMTP_PASSWORD."""

    host: NonEmpty = Field(description="SMTP 服务器地址，如 smtp.example.gov.cn")
    port: int = Field(587, ge=1, le=65535, description="SMTP 端口（STARTTLS 一般为 587，不加密为 25）")
    starttls: bool = Field(True, description="连接后用 STARTTLS 加密")
    sender: NonEmpty = Field(alias="from", description="发件人地址，如 yfzsb@example.gov.cn")

    @field_validator("sender")
    @classmethod
    def _is_address(cls, value: str) -> str:
        if not EMAIL.fullmatch(value.strip()):
            raise ValueError(f"发件人“{value}”不是有效的邮箱地址")
        return value.strip()


class ReviewBy(str, Enum):
    LEAD = "lead"
    OFFICE = "office"


class Settings(Strict):
    review_required: bool = Field(True, description="销号需牵头单位或依法治市办审核确认（两步销号）")
    review_by: ReviewBy = Field(
        ReviewBy.LEAD, description="谁审核销号和延期：lead（任务的牵头单位或依法治市办）或 office（只由依法治市办）"
    )
    due_soon_days: int = Field(7, ge=0, le=90, description="临期提醒天数")
    git_commit: bool = Field(True, description="在 git 工作区中每次修改自动提交")
    backfill_days: int = Field(7, ge=0, description="审计：提交日期晚于记录日期超过此天数视为补录")
    traffic_light: TrafficLight = Field(default_factory=TrafficLight)
    remind_before: list[int] = Field(
        default_factory=lambda: [7, 3], description="催办：距完成时限还有这些天数时提醒（每个天数提醒一次），如 [7, 3]"
    )
    remind_overdue_every: int = Field(1, ge=1, le=366, description="催办：逾期后每隔多少天提醒一次（1 表示每天）")
    smtp: Smtp | None = Field(None, description="催办邮件的发送服务器（fazhi remind --send）；用户名、密码取自环境变量 FAZHI_SMTP_USER、FAZHI_SMTP_PASSWORD")
    document_number: str = Field(
        DOCUMENT_NUMBER,
        description="文号的格式（正则表达式）：发文机关代字 + 〔年份〕或[年份] + 序号 + 号，如 通司发〔2020〕12号",
    )
    office_reports_to: str = Field(
        "市委全面依法治市委员会", description="依法治市办自己的报告（全市汇总、本单位报告）主送谁"
    )
    document_prefix: str | None = Field(
        None, description="依法治市办发文的机关代字（如 通依法办）：全市报告标题上方印“通依法办〔2020〕  号”，号数留待填写"
    )
    shared_evidence: list[str] = Field(
        default_factory=list, description="各单位都可引用的佐证材料目录（如 evidence/shared），默认只能引用本单位的 evidence/单位编号/"
    )

    @field_validator("remind_before")
    @classmethod
    def _windows(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 90 for d in value):
            raise ValueError("催办提醒天数应在 0 到 90 之间")
        return sorted(set(value), reverse=True)

    @field_validator("document_number")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"文号格式不是有效的正则表达式：{exc}") from None
        return value

    @field_validator("shared_evidence")
    @classmethod
    def _under_evidence(cls, value: list[str]) -> list[str]:
        out = []
        for folder in value:
            clean = folder.strip().strip("/")
            if not clean.startswith("evidence/") or ".." in clean.split("/"):
                raise ValueError(f"共享佐证材料目录“{folder}”应在 evidence/ 之下，如 evidence/shared")
            out.append(clean)
        return out
