"""A unit's work ledger (工作台账): per task its work plan, progress, counted records, 销号 log.

State is never stored: it is derived from the log (see engine.state), so a hand edit cannot make
the file contradict itself.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from fazhi_cli.models.common import Date, NonEmpty, SafeId, Strict


class EvidenceFile(Strict):
    """A file inside the workspace, with its sha256 taken when it was cited."""

    path: NonEmpty
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


# An evidence reference: a workspace path (with hash), a document number such as
# 通司发〔2020〕12号, or a URL.
Evidence = EvidenceFile | NonEmpty


class WorkPlan(Strict):
    """Phase-1 work plan: 分管领导、具体负责人、具体措施、完成时限."""

    leader: str | None = Field(None, description="分管领导")
    owner: str | None = Field(None, description="具体负责人")
    measures: str | None = Field(None, description="具体措施")
    due: Date | None = Field(None, description="计划完成时间")


class Progress(Strict):
    date: Date
    note: NonEmpty
    evidence: list[Evidence] = Field(default_factory=list)


class Record(Strict):
    """One counted occurrence (a 中心组学法 session) or one measured value (双随机 85%)."""

    target: SafeId
    date: Date
    value: float | None = Field(None, allow_inf_nan=False, description="测得的数值（比率、时限）；计数类不填")
    received: Date | None = Field(
        None,
        description="受理日期（时限类目标）：与 date（办结日期）一起填写时，办理时限按两者之间的工作日计算"
        "（不含受理当日、周末和法定节假日，调休上班日计入），不必再填 value",
    )
    note: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Action(str, Enum):
    APPLY = "apply"  # 申请销号（待审核）
    CLOSE = "close"  # 直接销号（无需审核的工作区）
    CONFIRM = "confirm"  # 审核通过，销号
    REJECT = "reject"  # 退回
    REOPEN = "reopen"  # 重新打开


ACTION_LABELS = {
    Action.APPLY: "申请销号",
    Action.CLOSE: "销号",
    Action.CONFIRM: "确认销号",
    Action.REJECT: "退回",
    Action.REOPEN: "重新打开",
}


class LogEntry(Strict):
    date: Date
    action: Action
    by: str | None = Field(None, description="操作人的账号（git 邮箱或服务器用户名），由 fazhi 命令填写")
    name: str | None = Field(None, description="操作人姓名（可选，如 王五）")
    note: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Decision(str, Enum):
    APPROVED = "approved"
    REFUSED = "refused"


class Extension(Strict):
    """延期申请: filed before the deadline, decided by the office; the original stays on record."""

    requested: Date
    reason: NonEmpty
    new_due: Date
    by: str | None = Field(None, description="申请人账号")
    name: str | None = Field(None, description="申请人姓名（可选）")
    decision: Decision | None = None
    decided: Date | None = None
    decided_by: str | None = Field(None, description="审批人账号")
    decided_name: str | None = Field(None, description="审批人姓名（可选）")
    decision_note: str | None = None


class Entry(Strict):
    """What one unit records for one task."""

    claimed: Date | None = Field(None, description="认领开放式任务的日期")
    plan: WorkPlan | None = None
    progress: list[Progress] = Field(default_factory=list)
    records: list[Record] = Field(default_factory=list)
    log: list[LogEntry] = Field(default_factory=list)
    extensions: list[Extension] = Field(default_factory=list)


class Ledger(Strict):
    unit: SafeId
    tasks: dict[int, Entry | None] = Field(default_factory=dict)

    def entry(self, task_id: int) -> Entry:
        return self.tasks.get(task_id) or Entry()
