"""The workspace's templates/ folder read as carefully as data/ and ledgers/: only regular files,
opened without following a link and without blocking, bounded in size, UTF-8.

Symlinks are refused wherever they point, inside the workspace or outside it (as in data/ and
ledgers/): a link could lead outside the workspace, and `report --rev` extracts a commit's files
without its links, so a linked template would render differently live and at a revision. The
same holds for a symlinked folder on the way (templates/ itself, or templates/parts/). A FIFO, a
device, a socket or a directory where a template should be is refused too (E014); a file over
MAX_TEMPLATE_BYTES is E005, one that is not UTF-8 E002.

`check` lists every such entry (template_problems); rendering refuses them (read_template).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fazhi_cli.problems import Problem, error
from fazhi_cli.store.source import Unreadable, file_kind_problem, read_regular

TEMPLATES = "templates"
MAX_TEMPLATE_BYTES = 1_000_000  # a template is a page of markup; the shipped ones are < 20 kB
MAX_ENTRIES = 10_000  # entries of templates/ that `check` looks at


class TemplateFileError(Exception):
    """A template file that may not be used: `code` (E014, E005, E002, E001), `path` as shown
    (templates/x.md.j2) and a Chinese message naming it."""

    def __init__(self, code: str, path: str, message: str):
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message


def _kind(path: Path, shown: str) -> tuple[str, os.stat_result] | None:
    """("link" | "dir" | "file" | "other", lstat) of `path`; None when absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        raise TemplateFileError("E001", shown, f"{shown} 无法访问：{exc.strerror or exc}") from None
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "link", info
    if stat.S_ISDIR(mode):
        return "dir", info
    if stat.S_ISREG(mode):
        return "file", info
    return "other", info


def _link_message(shown: str) -> str:
    return f"{shown} 是符号链接；templates/ 中不允许符号链接（无论指向工作区内外），请换成普通文件"


def read_template(root: Path, parts: list[str]) -> tuple[str, str] | None:
    """The text of the workspace's templates/<parts…> and its path as shown; None when there is
    no such file (the shipped template is used then). TemplateFileError when it is there but may
    not be used."""
    current = root / TEMPLATES
    shown = TEMPLATES
    for index, part in enumerate([None, *parts]):
        if part is not None:
            current, shown = current / part, f"{shown}/{part}"
        last = index == len(parts)
        found = _kind(current, shown)
        if found is None:
            return None
        kind, info = found
        if kind == "link":
            raise TemplateFileError("E014", shown, _link_message(shown))
        if not last:
            if kind == "dir":
                continue
            if kind == "file":  # templates is a file, or a part of the name is: no such template
                return None
            raise TemplateFileError("E014", shown, f"{shown}：{file_kind_problem(current) or '不是目录'}")
        if kind != "file":
            raise TemplateFileError("E014", shown, f"模板文件 {shown}：{file_kind_problem(current) or '不是普通文件'}")
        return _read(current, shown, info.st_size), shown
    return None  # pragma: no cover - the loop always returns


def _read(path: Path, shown: str, size: int) -> str:
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateFileError("E005", shown, _too_big(shown, size))
    try:
        data = read_regular(path)
    except FileNotFoundError:
        raise TemplateFileError("E001", shown, f"模板文件 {shown} 读取时已不存在") from None
    except Unreadable as exc:
        raise TemplateFileError(exc.code, shown, f"模板文件 {shown} 无法读取：{exc.reason}") from None
    if len(data) > MAX_TEMPLATE_BYTES:  # grew in between
        raise TemplateFileError("E005", shown, _too_big(shown, len(data)))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateFileError(
            "E002", shown, f"模板文件 {shown} 不是 UTF-8 编码（第 {exc.start + 1} 个字节起无法解码）；请另存为 UTF-8"
        ) from None


def _too_big(shown: str, size: int) -> str:
    return f"模板文件 {shown} 过大（{size} 字节，上限 {MAX_TEMPLATE_BYTES} 字节）"


def template_problems(root: Path) -> list[Problem]:
    """Every entry of templates/ that a report could not use: symlinks (file or folder), FIFOs,
    devices, sockets, folders named like a template (*.j2), and *.j2 files too big or not UTF-8.
    Nothing is opened but regular files; folders are walked without following links."""
    problems: list[Problem] = []
    top = root / TEMPLATES
    try:
        found = _kind(top, TEMPLATES)
    except TemplateFileError as exc:
        return [error(TEMPLATES, None, None, exc.code, exc.message)]
    if found is None or found[0] != "dir":  # a link or a file named templates: Workspace.folder_problems
        return []
    pending, seen = [(top, TEMPLATES)], 0
    while pending and seen < MAX_ENTRIES:
        folder, shown_folder = pending.pop()
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            problems.append(error(shown_folder, None, None, "E001", f"目录 {shown_folder} 无法读取：{exc.strerror or exc}"))
            continue
        for name in names:
            seen += 1
            path, shown = folder / name, f"{shown_folder}/{name}"
            try:
                found = _kind(path, shown)
            except TemplateFileError as exc:
                problems.append(error(shown, None, None, exc.code, exc.message))
                continue
            if found is None:
                continue
            kind, info = found
            if kind == "link":
                problems.append(error(shown, None, None, "E014", _link_message(shown)))
            elif kind == "dir":
                if name.endswith(".j2"):
                    problems.append(error(shown, None, None, "E014", f"模板文件 {shown}：这是一个目录，不是普通文件"))
                else:
                    pending.append((path, shown))
            elif kind == "other":
                problems.append(error(shown, None, None, "E014", f"{shown}：{file_kind_problem(path) or '不是普通文件'}"))
            elif name.endswith(".j2"):
                try:
                    _read(path, shown, info.st_size)
                except TemplateFileError as exc:
                    problems.append(error(shown, None, None, exc.code, exc.message))
    return problems


def template_present(root: Path, name: str) -> bool:
    """Whether templates/<name> is a regular file (not a link) that a report could use."""
    try:
        found = _kind(root / TEMPLATES, TEMPLATES)
        if found is None or found[0] != "dir":
            return False
        found = _kind(root / TEMPLATES / name, name)
    except TemplateFileError:
        return False
    return found is not None and found[0] == "file"
