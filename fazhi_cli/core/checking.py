"""`fazhi check` as a library call: the engine's checks over a Book, with the work tree's files
(evidence, templates) looked at here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fazhi_cli.book.book import Book
from fazhi_cli.engine.workspacecheck import check_book
from fazhi_cli.problems import Problem, error
from fazhi_cli.store.files import FileFacts
from fazhi_cli.store.templatefiles import template_problems

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_SUFFIXES = (".docx.j2", ".html.j2", ".md.j2")


def template_names(folders: list[Path]) -> set[str]:
    """Names of the templates present in these folders (report.docx.j2 → report)."""
    names: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        try:
            entries = list(folder.iterdir())
        except OSError:  # an unreadable templates/ is reported when a report reads it
            continue
        for path in entries:
            for suffix in TEMPLATE_SUFFIXES:
                if path.name.endswith(suffix) and path.is_file() and not path.is_symlink():
                    names.add(path.name[: -len(suffix)])
    return names


def files_of(book: Book) -> FileFacts | None:
    return FileFacts(book.ws.root) if book.ws is not None else None


def check_workspace(book: Book, today: dt.date) -> list[Problem]:
    """Every problem of the workspace, evidence files and templates included (and every entry of
    templates/ a report could not use: a symlink, FIFO, folder, too big, not UTF-8)."""
    templates = template_names([book.ws.templates_dir, SHIPPED_TEMPLATES]) if book.ws is not None else None
    folders = [] if book.ws is None else [
        error(name, None, None, "E014", f"{name} 是{what}；请改名或移走它，让 {name}/ 成为工作区中的普通文件夹")
        for name, what in book.ws.folder_problems()
    ]
    found = template_problems(book.ws.root) if book.ws is not None else []
    return folders + found + check_book(book, today, files_of(book), templates)
