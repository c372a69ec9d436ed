"""Where a generated file (report, export) may be written: never over what fazhi does not own."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fazhi_cli.problems import Problem, refusal
from fazhi_cli.store.files import inside

# The workspace's own records: an output never lands in them.
PROTECTED = ("data", "ledgers", "evidence", "templates", ".git")


def output_problem(root: Path, target: Path, suffix: str, *, force: bool = False) -> Problem | None:
    """Why `target` may not receive a generated `suffix` file, or None: it lies in data/,
    ledgers/, evidence/, templates/ or .git/; it exists and is not a regular file (a FIFO, a
    device, a folder); or it exists with another file type (a .yaml never becomes a .csv) and
    `force` was not given."""
    relative = inside(root, target)
    if relative is not None and relative.split("/")[0] in PROTECTED:
        return refusal("R212", f"不能把生成的文件写到 {relative}：data/、ledgers/、evidence/、templates/ 和 .git/ 中是工作区的原始记录；请用 -o 另选位置（如 reports/）", relative)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return refusal("R212", f"无法写入“{target}”：{exc.strerror or exc}", str(target))
    if not stat.S_ISREG(info.st_mode):
        return refusal("R212", f"“{target}”不是普通文件（目录、管道或设备），不能写入；请用 -o 另选文件名", str(target))
    if target.suffix.lower() != suffix.lower() and not force:
        return refusal("R212", f"“{target}”已存在且不是 {suffix} 文件，不会覆盖它；请用 -o 另选文件名，或加 --force 确认覆盖", str(target))
    return None
