"""`fazhi codeowners`: a CODEOWNERS file from data/units.yaml, so the git server (GitHub, GitLab,
Gitea) asks the right people to approve a merge request: each ledger is owned by its unit's
editors (and the office's people), data/ and templates/ by the office."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, RootOpt, fail, open_or_exit, print_problems
from fazhi_cli.core.outputs import output_problem
from fazhi_cli.store.source import Unreadable, read_regular
from fazhi_cli.cli.options import NoCommitOpt
from fazhi_cli.book.plan import Plan
from fazhi_cli.render.console import make_console
from fazhi_cli.store.git import GitError, commit_paths, is_work_tree
from fazhi_cli.core.history import HistoryError, open_repo
from fazhi_cli.store.safewrite import WriteError, atomic_write


class Style(str, Enum):
    github = "github"
    gitlab = "gitlab"
    gitea = "gitea"


HEADER = """\
# CODEOWNERS —— 由 `fazhi codeowners` 根据 data/units.yaml 生成，请勿手工修改。
# 要调整谁可以修改哪个台账：编辑 data/units.yaml 中各单位的 editors 和 office.editors，
# 然后重新运行 `fazhi codeowners`。
# 规则：每个单位的台账归本单位的编辑人员所有，依法治市办的人员可以修改所有台账；
# data/、templates/ 和本文件归依法治市办。
"""


def owners_of(plan: Plan) -> tuple[list[str], dict[str, list[str]]]:
    """The office's people, and each unit's editors (e-mail addresses as listed, no repeats)."""
    office = list(dict.fromkeys(e.strip() for e in plan.units_file.office.editors if e.strip()))
    units = {u.id: list(dict.fromkeys(e.strip() for e in u.editors if e.strip())) for u in plan.units_file.units}
    return office, units


def render_codeowners(plan: Plan, style: Style, *, prefix: str = "", users: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The file's text, and the e-mail addresses that have no user name (Gitea needs @用户名)."""
    office, units = owners_of(plan)
    unmapped: list[str] = []

    def handle(email: str) -> str:
        if style is not Style.gitea or email.startswith("@"):
            return email
        name = (users or {}).get(email.lower())
        if name is None:
            if email not in unmapped:
                unmapped.append(email)
            return "@?"
        return "@" + name.lstrip("@")

    def pattern(path: str, folder: bool = False) -> str:
        full = prefix + path
        if style is Style.gitea:  # Go regular expressions, with the file's own escaping (\\. for a dot)
            body = re.sub(r"([.+*?()|\[\]{}^$])", r"\\\\\1", full)
            return body + ("/.*" if folder else "")
        return "/" + full + ("/" if folder else "")

    def rule(path: str, people: list[str], folder: bool = False) -> str:
        return f"{pattern(path, folder)} {' '.join(handle(p) for p in people)}"

    lines = [HEADER]
    if style is Style.gitea:
        lines.append("# Gitea 格式：路径为正则表达式，所有者为 @用户名（由 --user 邮箱=用户名 对应）。\n")
    else:
        lines.append("# 同一文件匹配多条规则时，以最后一条为准。\n")
    lines.append("# 依法治市办")
    if office:
        if style is not Style.gitea:
            lines.append(f"* {' '.join(handle(p) for p in office)}")
        lines.append(rule("data", office, folder=True))
        lines.append(rule("templates", office, folder=True))
        lines.append(rule("CODEOWNERS", office))
    else:
        lines.append("# （data/units.yaml 的 office.editors 为空：data/、templates/ 未指定所有者）")
    lines.append("")
    lines.append("# 各单位台账")
    for unit in plan.units_file.units:
        people = list(dict.fromkeys(units[unit.id] + office))
        lines.append(f"# {unit.name}（{unit.id}）")
        if people:
            lines.append(rule(f"ledgers/{unit.id}.yaml", people))
        else:
            lines.append(f"# （未登记编辑人员：ledgers/{unit.id}.yaml 未指定所有者）")
    return "\n".join(lines) + "\n", unmapped


def _current_text(target: Path) -> str | None:
    """The existing file's text (None when absent); a file that is not UTF-8 (saved as GBK by an
    editor) only differs from what would be written."""
    try:
        data = read_regular(target)
    except FileNotFoundError:
        return None
    except Unreadable as exc:
        fail(f"无法读取“{target}”：{exc.reason}", EXIT_CANNOT_RUN)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "\ufffd"  # never equal to generated text


def codeowners(
    style: Annotated[Style, typer.Option("--style", help="代码托管平台：github、gitlab（两者格式相同）或 gitea")] = Style.github,
    user: Annotated[
        Optional[list[str]],
        typer.Option("--user", help="Gitea 用户名：邮箱=用户名，可重复多次（Gitea 的 CODEOWNERS 不接受邮箱）", show_default=False),
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="写到哪个文件（默认仓库根目录的 CODEOWNERS）", show_default=False)] = None,
    check: Annotated[bool, typer.Option("--check", help="只检查现有文件是否与 data/units.yaml 一致，不写入（不一致时退出码为 1）")] = False,
    stdout: Annotated[bool, typer.Option("--stdout", help="输出到屏幕，不写文件")] = False,
    root: RootOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """根据 data/units.yaml 生成 CODEOWNERS 文件：各单位台账归本单位编辑人员，data/ 和 templates/ 归依法治市办。

    代码托管平台（GitHub、GitLab、Gitea）据此要求合并请求经所有者批准。修改人员名单后重新运行即可；
    在 git 工作区中会自动提交该文件（--no-commit 不提交）。

    示例：fazhi codeowners
    示例：fazhi codeowners --style gitea --user zhang@example.gov.cn=zhangsan
    示例：fazhi codeowners --check
    """
    session = open_or_exit(root)
    plan = session.plan
    users: dict[str, str] = {}
    for item in user or []:
        email, sep, name = item.partition("=")
        if not sep or not email.strip() or not name.strip():
            fail(f"--user “{item}”格式不对，应为 邮箱=用户名，如 zhang@example.gov.cn=zhangsan")
        users[email.strip().lower()] = name.strip()
    prefix = ""
    top = session.ws.root
    try:
        repo = open_repo(session.ws.root)
        prefix = repo.prefix
        if not repo.bare:
            top = Path(repo.git("rev-parse", "--show-toplevel").stdout.strip())
    except HistoryError:
        pass  # not in git (or no git): the file goes into the workspace
    text, unmapped = render_codeowners(plan, style, prefix=prefix, users=users)
    if unmapped:
        fail(
            "以下邮箱没有对应的 Gitea 用户名，请用 --user 邮箱=用户名 给出：" + "、".join(unmapped)
        )
    if stdout:
        typer.echo(text, nl=False)
        return
    target = output if output is not None else top / "CODEOWNERS"
    console = make_console()
    problem = output_problem(top, target, target.suffix)
    if problem is not None:
        print_problems([problem])
        raise typer.Exit(1)
    current = _current_text(target)
    if check:
        if current == text:
            console.print(f"{target.name} 与 data/units.yaml 一致。", markup=False)
            return
        fail(f"{target} {'不存在' if current is None else '与 data/units.yaml 不一致'}；请运行 `fazhi codeowners` 重新生成")
    if current == text:
        console.print(f"没有变化：{target} 已是最新。", markup=False)
        return
    try:
        atomic_write(target, text.encode("utf-8"), expected_sha256=None)
    except WriteError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    ledgers = sum(1 for line in text.splitlines() if "ledgers/" in line and not line.startswith("#"))
    console.print(f"已写入 {target}（{ledgers} 个台账指定了所有者）", markup=False)
    if not no_commit and plan.settings.git_commit and is_work_tree(top) and target.resolve().is_relative_to(top.resolve()):
        try:
            commit_paths(
                top,
                [target],
                "更新 CODEOWNERS: 按 data/units.yaml 的编辑人员生成",
                {"Fazhi-Action": "codeowners"},
            )
        except GitError as exc:
            fail(f"CODEOWNERS 已写入，但未能提交到 git：{exc.message}（修改仍保留在文件中，未暂存）")


def register(app: typer.Typer) -> None:
    app.command("codeowners")(codeowners)


__all__ = ["render_codeowners", "codeowners", "register"]
