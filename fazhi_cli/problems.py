"""Problems: errors and warnings as values, each with a location and a stable code.

Every layer returns lists of `Problem` instead of raising, so `fazhi check` can show all of
them at once and editors can read them as JSON. Codes are stable: scripts may match on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# Stable codes. Messages are Chinese and may change; codes do not.
CODES: dict[str, str] = {
    # E0xx: reading files
    "E001": "文件无法读取",
    "E002": "文件编码不是 UTF-8",
    "E003": "文件含二进制内容（NUL 字节）",
    "E004": "文件为空",
    "E005": "文件过大",
    "E006": "YAML 语法错误",
    "E007": "含制表符（Tab）",
    "E008": "重复的键",
    "E009": "不允许的 YAML 锚点/别名",
    "E010": "不允许的 YAML 标签",
    "E011": "一个文件只能有一个 YAML 文档",
    "E012": "嵌套层数过深",
    "E013": "行过长",
    "E014": "不是普通文件（符号链接、管道、设备或目录）",
    # E1xx: shape of the data
    "E101": "缺少必填字段",
    "E102": "未知字段",
    "E103": "类型或取值错误",
    "E104": "日期无效",
    # E2xx: cross references in the plan
    "E201": "重复的编号",
    "E202": "名称或别名重复",
    "E203": "单位或分组名称无法识别",
    "E204": "编号不是安全的文件名",
    "E205": "日期超出方案年度",
    "E206": "阶段日期重叠或颠倒",
    "E207": "分组循环包含",
    "E208": "引用的任务不存在",
    "E209": "引用的模板不存在",
    "E210": "模板名不是安全的文件名",
    # E3xx: ledgers
    "E301": "台账对应的单位不存在",
    "E302": "台账文件名与单位不符",
    "E303": "台账中的任务不存在",
    "E304": "台账记录了本单位不承担的任务",
    "E305": "佐证材料文件缺失",
    "E306": "佐证材料文件已被改动",
    "E307": "台账记录前后矛盾",
    "E308": "计数目标不存在",
    "E309": "同一单位有多个台账文件",
    "E310": "同一任务在台账中写了两次",
    "E311": "任务条目为空",
    "E312": "销号申请缺少有效的佐证材料",
    "E313": "需要审核的工作区中直接销号",
    "E314": "销号记录的日期早于前一条",
    "E315": "延期审批与申请不符",
    "E316": "延期申请晚于完成时限",
    "E317": "佐证材料无效",
    "E318": "数值超出合理范围",
    "E319": "日期早于方案年度",
    "E320": "受理日期与时限记录不符",
    # E4xx: writing
    "E401": "修改超出允许的范围",
    "E402": "无法在保留原文的前提下写入",
    "E403": "台账写入失败",
    "E404": "台账文件只读",
    # R: a write request refused (nothing was written)
    "R101": "找不到单位",
    "R102": "指定的是分组而不是单位",
    "R103": "任务不存在",
    "R104": "单位不承担该任务",
    "R105": "该单位的台账有错误，须先改正",
    "R201": "没有要写入的内容",
    "R202": "事项当前状态不允许此操作",
    "R203": "缺少理由或说明",
    "R204": "缺少佐证材料",
    "R205": "佐证材料无效",
    "R206": "日期无效",
    "R207": "数值无效",
    "R208": "延期申请不符合规定",
    "R209": "量化目标不明确",
    "R210": "不能认领",
    "R211": "文字内容无效（过长或含无效字符）",
    "R212": "输出位置不允许",
    "R213": "无法确定操作人身份",
    "R214": "不是本单位的编辑人员",
    "R215": "不能审核本单位的事项",
    "R216": "不是该任务的审核人",
    "R217": "台账在打开页面后已被修改",
    # W: warnings
    "W301": "计划完成时间晚于规定时限",
    "W302": "佐证材料未记录校验值",
    "W303": "日期晚于当前日期",
    "W304": "日期不在方案年度内",
    "W305": "未登记编辑人员：任何人都可以修改台账和确认销号",
    "W306": "单位未登记编辑人员：无人可以填报其台账",
    "W307": "完成时限不是工作日（周末或法定节假日）",
    "W308": "工作日历不含该年度：按周一至周五计算工作日",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the workspace, at a place a person can open in an editor."""

    path: str
    line: int | None
    column: int | None
    code: str
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        parts = [self.path or "<工作区>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_text(self) -> str:
        label = "错误" if self.is_error else "警告"
        return f"{self.location()}: {label} {self.code} {self.message}"

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }


def error(path: str, line: int | None, column: int | None, code: str, message: str) -> Problem:
    return Problem(path, line, column, code, message, Severity.ERROR)


def warning(path: str, line: int | None, column: int | None, code: str, message: str) -> Problem:
    return Problem(path, line, column, code, message, Severity.WARNING)


def refusal(code: str, message: str, path: str = "") -> Problem:
    """A write request refused: nothing was written. Codes R1xx name the target, R2xx the request."""
    assert code in CODES, code
    return Problem(path, None, None, code, message, Severity.ERROR)


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.column or 0, p.code, p.message))


class MessageError(Exception):
    """A failure whose `message` (Chinese, for the user) is shown as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
