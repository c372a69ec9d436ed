"""Evidence given on the command line (or a form): classified by the engine's one rule, files
looked up and hashed here. Every bad item is reported at once, with what is accepted instead."""

from __future__ import annotations

import os
from pathlib import Path

from fazhi_cli.book.book import Book
from fazhi_cli.core.lookup import Refusal
from fazhi_cli.engine.evidence import ACCEPTED, classify_text, file_problem
from fazhi_cli.models.ledger import Evidence, EvidenceFile
from fazhi_cli.models.plan import Unit
from fazhi_cli.problems import Problem, refusal
from fazhi_cli.store.files import file_sha256, inside, kind_of


def parse_evidence(book: Book, unit: Unit, values: list[str] | None, cwd: Path | None = None) -> list[Evidence]:
    """Each value as a document number, a URL, or a file under the unit's evidence folder
    (recorded with its sha256). Raises Refusal listing every value that is none of these."""
    root = book.ws.root
    settings = book.plan.settings
    out: list[Evidence] = []
    problems: list[Problem] = []
    for raw in values or []:
        text = raw.strip()
        if not text:
            continue
        kind = classify_text(text, settings)
        if kind.kind in ("url", "document"):
            out.append(text)
            continue
        if kind.kind == "invalid":
            problems.append(refusal("R205", f"{kind.problem}；{ACCEPTED}"))
            continue
        candidate = Path(text)
        bases = [candidate] if candidate.is_absolute() else [(cwd or Path.cwd()) / candidate, root / candidate]
        present = next((c for c in bases if os.path.lexists(c)), None)
        kind = kind_of(present) if present is not None else None
        if kind is not None:
            problems.append(refusal("R205", f"佐证材料“{text}”是{kind}，不是普通文件；请登记具体的文件（如 PDF、图片）"))
            continue
        found = next((c for c in bases if c.is_file()), None)
        if found is not None and os.path.islink(found):
            problems.append(refusal("R205", f"佐证材料“{text}”是符号链接；请把文件本身复制到 evidence/{unit.id}/ 下再登记"))
            continue
        if found is None:
            problems.append(refusal("R205", f"佐证材料文件“{text}”不存在；请确认路径（相对于当前目录或工作区），或改填文号、网址"))
            continue
        relative = inside(root, found)
        if relative is None:
            problems.append(
                refusal("R205", f"佐证材料文件“{text}”不在工作区内；请先复制到工作区的 evidence/{unit.id}/ 目录下再登记，以便随台账一起存档")
            )
            continue
        why = file_problem(relative, unit.id, settings)
        if why:
            problems.append(refusal("R205", f"{why}；请先复制到 evidence/{unit.id}/ 下再登记"))
            continue
        try:
            digest = file_sha256(root / relative)
        except OSError as exc:
            problems.append(refusal("R205", f"佐证材料文件“{text}”无法读取：{exc.strerror or exc}；请检查文件的访问权限"))
            continue
        out.append(EvidenceFile(path=relative, sha256=digest))
    if problems:
        raise Refusal(problems)
    return out
