"""What counts as evidence (佐证材料), decided once for the commands and for `fazhi check`.

Evidence is one of three things: a document number that looks like one (通司发〔2020〕12号; the
pattern is `document_number` in data/settings.yaml), a web address that parses (a bare www.… is
an address), or a file under evidence/ — the unit's own evidence/<unit>/, or a shared folder the
settings name — that exists. Anything else (无, -, 见附件, a bare title) means nothing to an
inspector and is refused with what is accepted instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fazhi_cli.models.plan import Settings

ACCEPTED = "可以填写：evidence/单位编号/ 下的文件路径，文号（如 通司发〔2020〕12号），或网址（如 https://www.tongliao.gov.cn/…）"

FILE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,6}$")


@dataclass(frozen=True)
class Kind:
    """What an evidence text is: "url", "document", "file" (with its workspace path), or
    "invalid" (with why)."""

    kind: str
    path: str | None = None
    problem: str | None = None


def looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or bool(FILE_SUFFIX.search(text))


def is_url(text: str) -> bool:
    candidate = text if "://" in text else ("http://" + text if text.lower().startswith("www.") else text)
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in (parts.hostname or "") and " " not in text


def classify_text(text: str, settings: Settings) -> Kind:
    """A text evidence item as written (not a file check: see `file_problem`)."""
    value = text.strip()
    if not value:
        return Kind("invalid", problem="佐证材料为空")
    if value.lower().startswith(("http://", "https://", "www.")):
        return Kind("url") if is_url(value) else Kind("invalid", problem=f"“{value}”不是有效的网址")
    if re.match(settings.document_number, value):
        return Kind("document")
    if looks_like_path(value):
        return Kind("file", path=value.replace("\\", "/"))
    return Kind("invalid", problem=f"“{value}”不是文件、文号或网址，不能作为佐证材料")


def allowed_folders(unit_id: str, settings: Settings) -> list[str]:
    return [f"evidence/{unit_id}", *settings.shared_evidence]


def file_problem(path: str, unit_id: str, settings: Settings) -> str | None:
    """Why a workspace path cannot be this unit's evidence (it must lie under evidence/<unit>/ or
    a shared folder), or None. Existence is checked by the caller, who can read files."""
    if path.startswith("/") or ".." in path.split("/") or (len(path) > 1 and path[1] == ":"):
        return f"佐证材料路径“{path}”不在工作区内"
    folders = allowed_folders(unit_id, settings)
    if not any(path == f or path.startswith(f + "/") for f in folders):
        where = "、".join(f + "/" for f in folders)
        return f"佐证材料文件“{path}”应放在 {where} 下（台账、方案数据和其他单位的文件不能作为本单位的佐证材料）"
    return None
