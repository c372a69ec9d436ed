"""Shared pieces of the models: strict base class and safe identifiers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic_core import PydanticCustomError
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {
    f"lpt{i}" for i in range(1, 10)
}
SAFE_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class Strict(BaseModel):
    """Base: unknown keys are errors (a typo like `lead_unti` must not vanish silently)."""

    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


def check_safe_id(value: str) -> str:
    """An id that is also a file name on every system: lowercase ASCII, no path parts."""
    if not SAFE_ID.match(value) or value.split(".")[0] in WINDOWS_RESERVED:
        raise ValueError(
            f"编号“{value if len(value) <= 40 else value[:37] + '…'}”不能用作文件名：只能用小写英文字母、数字和连字符，以字母开头，"
            "不超过 40 个字符，且不能是 CON、NUL 等 Windows 保留名"
        )
    return value


SafeId = Annotated[str, AfterValidator(check_safe_id)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

# Who may edit: a git e-mail address or a server user name (optionally @name). Nothing else, so
# that a value written into CODEOWNERS or compared with a pusher cannot carry spaces, newlines,
# glob characters or another rule.
EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+")
USER_NAME = re.compile(r"@?[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_identity(value: str) -> str:
    """An editor's identity: `zhang@kerqin.gov.cn` or a server user name such as `zhangsan`."""
    if not (EMAIL.fullmatch(value) or USER_NAME.fullmatch(value)):
        shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in value[:60]) + ("…" if len(value) > 60 else "")
        raise ValueError(
            f"编辑人员“{shown}”无效：应为 git 邮箱（如 zhang@kerqin.gov.cn）或服务器用户名"
            "（英文字母、数字和 . _ -，不超过 64 个字符），不能含空格、换行或其他符号"
        )
    return value


Identity = Annotated[str, AfterValidator(check_identity)]


def _date_input(value: Any) -> Any:
    """Dates are written as text (2020-07-31); a bare number is not a date (pydantic would take
    it as a Unix timestamp and turn 0 into 1970-01-01)."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise PydanticCustomError("date_type", "“{value}”不是日期，应写成 YYYY-MM-DD，如 2020-07-31", {"value": value})
    return value


Date = Annotated[dt.date, BeforeValidator(_date_input)]


# Full-width digits and the few signs a number or a date is typed with on a Chinese keyboard.
FULL_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ord("."), 0xFF05: ord("%"), 0xFF0D: ord("-")}


def fold_full_width(text: str) -> str:
    """０８０５ → 0805, ８６．５％ → 86.5%: what a clerk typed in full width, as ASCII."""
    return text.translate(FULL_WIDTH)

