"""`fazhi site`: the static dashboard (看板) — a folder of HTML pages with inline SVG charts that any
browser opens from disk, or that the intranet's web server publishes after each push.

Rebuilding is incremental: a page whose bytes are unchanged is not written again, and pages of
units or tasks no longer there are removed — only files the previous build wrote (listed in the
folder's `.fazhi-site`) and named as the site names its files, never anything else.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli import __version__
from fazhi_cli.cli.common import EXIT_CANNOT_RUN, EXIT_PROBLEMS, AsOfOpt, ForceOpt, RootOpt, fail, open_or_exit, print_problems, view_day
from fazhi_cli.cli.report import invalid_ledgers
from fazhi_cli.render.console import make_console

MANIFEST = ".fazhi-site"

SiteOutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="输出目录（默认工作区下的 site/）", show_default=False)]


def site(as_of: AsOfOpt = None, output: SiteOutputOpt = None, force: ForceOpt = False, root: RootOpt = None) -> None:
    """生成静态看板：全市总览、每个单位一页、每项任务一页，图表为内嵌 SVG。

    不需要服务器和网络：直接用浏览器打开 site/index.html（可打印）；每页注明统计截止日期和数据版本。
    数字与 `fazhi status`、月通报一致。重复生成时只写入有变化的页面，并删除已不存在的单位或任务的页面。

    示例：fazhi site --as-of 2020-08-06

    示例：fazhi site -o /var/www/html/fazhi
    """
    from fazhi_cli.render.site import SITE_FILE, build_site
    from fazhi_cli.store.revision import current_revision

    started = time.monotonic()
    book = open_or_exit(root)
    day = view_day(book, as_of)
    root_dir = book.ws.root
    target = output if output is not None else root_dir / "site"
    check_folder(root_dir, target, force=force)  # before the work: a refusal is immediate
    files = build_site(book, day, revision=current_revision(root_dir), generator=f"fazhi {__version__}", invalid=invalid_ledgers(book))
    written, same, removed = write_site(root_dir, target, files, SITE_FILE, force=force)
    err = make_console(stderr=True)
    if book.invalid_ledgers():
        err.print("警告：以下台账无效，未纳入统计，已在看板中列为“台账无效”：" + "、".join(sorted(f.path for f in book.invalid_ledgers().values())), markup=False)
    typer.echo(f"已生成：{(target / 'index.html').as_posix()}")
    err.print(
        f"共 {len(files)} 个文件：写入 {written} 个，未变 {same} 个，删除 {removed} 个（用时 {time.monotonic() - started:.1f} 秒）",
        markup=False,
    )


def _previous(folder: Path) -> set[str] | None:
    """Names the previous build wrote (None: the folder is not a fazhi site)."""
    path = folder / MANIFEST
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else None


def check_folder(root: Path, folder: Path, names: list[str] | None = None, *, force: bool = False) -> set[str]:
    """Refuse (exit 1) a folder in the workspace's records (data/, ledgers/ …), a target that is
    not a folder or not a regular file, and a non-empty folder that is not a fazhi site unless
    `force`. Returns the names the previous build wrote."""
    from fazhi_cli.core.outputs import output_problem

    names = names or ["index.html"]
    problems = [p for p in (output_problem(root, folder / name, Path(name).suffix) for name in [*names, MANIFEST]) if p is not None]
    if problems:
        print_problems(problems[:1])
        raise typer.Exit(EXIT_PROBLEMS)
    if folder.exists() and not folder.is_dir():
        fail(f"“{folder}”不是目录，不能写入看板；请用 -o 另选目录")
    previous = _previous(folder) if folder.is_dir() else set()
    if previous is None:
        if any(folder.iterdir()) and not force:
            fail(f"“{folder}”不是空目录，也不是 fazhi 生成的看板，不会写入；请用 -o 另选目录，或加 --force 确认写入（只写入看板自己的文件）")
        previous = set()
    return previous


def write_site(root: Path, folder: Path, files: dict[str, bytes], pattern, *, force: bool = False) -> tuple[int, int, int]:
    """Write `files` into `folder` through the atomic writer, skipping those whose bytes are
    unchanged; remove the previous build's files no longer produced. Refuses a folder in the
    workspace's records (data/, ledgers/ …), and a non-empty folder that is not a fazhi site
    unless `force`. Returns (written, unchanged, removed)."""
    from fazhi_cli.store.safewrite import WriteError, atomic_write

    previous = check_folder(root, folder, list(files), force=force)
    written = same = removed = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = folder / name
            try:
                if stat.S_ISREG(os.lstat(path).st_mode) and path.read_bytes() == data:
                    same += 1
                    continue
            except FileNotFoundError:
                pass
            atomic_write(path, data, expected_sha256=None)
            written += 1
        for name in sorted(previous - set(files)):
            path = folder / name
            if not pattern.match(name):
                continue
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        manifest = (json.dumps(sorted(files), ensure_ascii=False, indent=0) + "\n").encode("utf-8")
        if _previous(folder) != set(files):
            atomic_write(folder / MANIFEST, manifest, expected_sha256=None)
    except WriteError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法写入“{folder}”：{exc.strerror or exc}", EXIT_CANNOT_RUN)
    return written, same, removed


def register(app: typer.Typer) -> None:
    app.command("site")(site)
