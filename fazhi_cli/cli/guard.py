"""`fazhi guard`: run as the central repository's pre-receive hook, or install it there."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEMS, fail, today
from fazhi_cli.render.console import make_console

HOOK_MARK = "# fazhi guard"


def hook_text(python: str) -> str:
    """The pre-receive hook: no repository path in it, so it can be copied to another server."""
    quoted = "'" + python.replace("'", "'\\''") + "'"
    return f"#!/bin/sh\n{HOOK_MARK} —— 由 `fazhi guard --install` 写入；推送的每个提交都按 data/units.yaml 的角色检查\nexec {quoted} -m fazhi_cli guard\n"


def guard(
    install: Annotated[
        Optional[Path],
        typer.Option("--install", help="把 fazhi guard 安装为该裸仓库的 pre-receive 钩子（hooks/pre-receive）", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的、不是 fazhi 写入的 pre-receive 钩子")] = False,
) -> None:
    """中心仓库的服务器端检查（git pre-receive 钩子）：不合规定的推送整个被拒绝，并逐条说明原因。

    \b
    推送人取自服务器认证的用户，依次读取：
      REMOTE_USER（git http-backend，经 Apache/nginx 认证）、GL_USER（gitolite）、
      GITEA_PUSHER_NAME / GITEA_PUSHER_EMAIL（Gitea、Forgejo）、GL_USERNAME（GitLab 服务器钩子）
    它与 data/units.yaml 中登记的编辑人员（邮箱或用户名）比对，不看提交里写的作者。

    \b
    拒绝：删除主分支或非快进推送（G001、G002）；无法确定推送人（G003）；
    修改别的单位的台账或佐证材料、审核本单位的事项、非依法治市办修改 data/ 和 templates/（A005、A006）；
    删除或改写已有记录（A004）；未经重新打开修改已销号的条目（A003）；违反销号规则（A007）；
    提交时间倒退（A008）；提交说明的 fazhi 标记与修改不符（A009）；推送后所涉文件通不过 fazhi check（G005）。
    补录（A001）和未来日期（A002）只作提示。

    示例：fazhi guard --install /srv/git/fazhi.git
    """
    if install is not None:
        _install(install, force)
        return
    if sys.stdin.isatty():
        fail("fazhi guard 由 git 在收到推送时运行（pre-receive 钩子），从标准输入读取要更新的分支；安装：fazhi guard --install 仓库.git", EXIT_CANNOT_RUN)
    from fazhi_cli.core.guard import judge_push, parse_updates
    from fazhi_cli.core.history import HistoryError, open_repo

    updates = parse_updates(sys.stdin.read())
    try:
        repo = open_repo(Path.cwd())
        verdict = judge_push(repo, updates, today=today())
    except HistoryError as exc:
        fail(f"fazhi guard 无法读取仓库：{exc.message}", EXIT_CANNOT_RUN)
    err = make_console(stderr=True)
    for notice in verdict.notices:
        err.print(f"提示 {notice}", markup=False)
    if verdict.accepted:
        raise typer.Exit(EXIT_OK)
    err.print(f"推送被拒绝（fazhi guard）：{len(verdict.refusals)} 个问题，整个推送未被接受。", markup=False)
    for line in verdict.refusals:
        err.print(f"  {line}", markup=False)
    err.print("请改正后重新提交再推送；如有疑问请联系依法治市办。", markup=False)
    raise typer.Exit(EXIT_PROBLEMS)


def _install(repo: Path, force: bool) -> None:
    hooks = repo / "hooks"
    if not ((repo / "HEAD").is_file() and (repo / "objects").is_dir()):
        fail(f"“{repo}”不是 git 裸仓库（缺少 HEAD 或 objects/）；请给出中心仓库的路径，如 /srv/git/fazhi.git", EXIT_CANNOT_RUN)
    target = hooks / "pre-receive"
    if target.exists() and HOOK_MARK not in target.read_text(encoding="utf-8", errors="replace") and not force:
        fail(f"{target} 已存在且不是 fazhi 写入的；确认可以替换后加 --force（或把 fazhi guard 加进现有钩子）")
    try:
        hooks.mkdir(exist_ok=True)
        from fazhi_cli.store.safewrite import atomic_write

        atomic_write(target, hook_text(sys.executable).encode("utf-8"), expected_sha256=None)
        target.chmod(0o755)
    except OSError as exc:
        fail(f"无法写入 {target}：{exc.strerror or exc}", EXIT_CANNOT_RUN)
    make_console().print(f"已安装：{target}（推送人取自 REMOTE_USER、GL_USER、GITEA_PUSHER_NAME/EMAIL 或 GL_USERNAME）", markup=False)


def register(app: typer.Typer) -> None:
    app.command("guard")(guard)
