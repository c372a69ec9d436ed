"""`fazhi serve`: the web application (网页版) on waitress; `--add-user` sets a login's password."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, RootOpt, fail, open_or_exit
from fazhi_cli.render.console import make_console

WEB_PACKAGES = (("flask", "Flask"), ("waitress", "waitress"), ("argon2", "argon2-cffi"))


def need_web_packages() -> None:
    """The web extras are installed, or the command says how to install them (exit 2)."""
    import importlib.util

    missing = [name for module, name in WEB_PACKAGES if importlib.util.find_spec(module) is None]
    if missing:
        fail(f"网页版需要的软件包尚未安装（缺少 {'、'.join(missing)}）；请运行 pip install \"fazhi[serve]\" 后再试", EXIT_CANNOT_RUN)


def parse_size(text: str) -> int:
    """`20MB`, `500KB`, `20` (MB) → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(kb|k|mb|m)?\s*", text or "", re.I)
    if not match:
        fail(f"--max-upload “{text}”无效：请写成 20MB 或 500KB")
    number, unit = float(match.group(1)), (match.group(2) or "mb").lower()
    size = int(number * (1024 if unit.startswith("k") else 1024 * 1024))
    if size < 1024:
        fail("--max-upload 至少 1KB")
    return size


def serve(
    host: Annotated[str, typer.Option("--host", metavar="地址", help="监听的地址；放在反向代理之后时保持 127.0.0.1")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="端口", help="监听的端口", min=1, max=65535)] = 8080,
    trust_proxy: Annotated[
        Optional[list[str]],
        typer.Option("--trust-proxy", metavar="地址", help="反向代理的地址：只有来自这些地址的请求，其身份标头才被采信；可重复多次", show_default=False),
    ] = None,
    user_header: Annotated[str, typer.Option("--user-header", metavar="标头", help="反向代理传递登录名所用的标头")] = "X-Remote-User",
    users: Annotated[
        Optional[Path], typer.Option("--users", metavar="文件", help="登录账号文件（默认工作区的 .fazhi/users.json，不纳入 git）", show_default=False)
    ] = None,
    max_upload: Annotated[str, typer.Option("--max-upload", metavar="大小", help="单个上传文件的上限，如 20MB、500KB")] = "20MB",
    secure_cookie: Annotated[
        Optional[bool],
        typer.Option("--secure-cookie/--no-secure-cookie", help="会话 Cookie 是否只经 HTTPS 发送（默认：监听 127.0.0.1 且无反向代理时否，其他情况是）", show_default=False),
    ] = None,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="即使工作区跟踪中心仓库，也不在填报前同步、填报后推送")] = False,
    threads: Annotated[int, typer.Option("--threads", metavar="数量", help="同时处理请求的线程数", min=1, max=64)] = 4,
    add_user: Annotated[
        Optional[str], typer.Option("--add-user", metavar="登录名", help="添加登录账号或重设其密码（提示输入两次密码），然后退出", show_default=False)
    ] = None,
    name: Annotated[Optional[str], typer.Option("--name", metavar="姓名", help="与 --add-user 一起：姓名（记为提交作者）", show_default=False)] = None,
    email: Annotated[Optional[str], typer.Option("--email", metavar="邮箱", help="与 --add-user 一起：邮箱（记为提交作者的邮箱）", show_default=False)] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="与 --add-user 一起：从标准输入读取密码（供脚本使用）")] = False,
    root: RootOpt = None,
) -> None:
    """网页版：浏览器中查看进度、填报台账、审核销号和延期、下载报表。

    \b
    身份：由反向代理（Apache 基本认证或单位统一身份认证）通过 --user-header 标头传递，
    只采信 --trust-proxy 地址发来的请求；否则使用内置登录（密码以 argon2 散列保存在 .fazhi/users.json）。
    每次填报都经过与命令行相同的规则、锁和校验，并以登录用户为作者提交一次 git；
    工作区跟踪中心仓库时，填报前先同步（git pull --ff-only），填报后推送，被服务器拒绝时撤回本地提交。

    示例：fazhi serve --add-user kerqin --name 王五 --email wang@kerqin.example.gov.cn

    示例：fazhi serve --port 8080

    示例：fazhi serve --trust-proxy 127.0.0.1 --user-header X-Remote-User
    """
    need_web_packages()
    book = open_or_exit(root)
    from fazhi_cli.web.config import ServeConfig

    config = ServeConfig(
        root=book.ws.root, host=host, port=port, trust_proxy=tuple(trust_proxy or ()), user_header=user_header, users_file=users,
        secure_cookie=secure_cookie, max_upload=parse_size(max_upload), sync=False if no_sync else None, threads=threads,
    )
    if add_user is not None:
        _add_user(config.users_path, add_user, name, email, password_stdin)
        return
    _run(config)


def _add_user(path: Path, login: str, name: str | None, email: str | None, from_stdin: bool) -> None:
    from fazhi_cli.web.auth import AuthError, add_user

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(f"{login} 的新密码：")
        if getpass.getpass("再输入一次：") != password:
            fail("两次输入的密码不一致，未作修改")
    try:
        new = add_user(path, login, password, name=name or "", email=email or "")
    except AuthError as exc:
        fail(exc.message)
    typer.echo(f"{'已添加' if new else '已更新'}登录账号 {login}（{path}）")


def _run(config) -> None:
    from waitress import serve as waitress_serve

    from fazhi_cli.web.app import FORM_SLACK, create_app
    from fazhi_cli.web.auth import AuthError, read_users

    app = create_app(config)
    err = make_console(stderr=True)
    try:
        has_users = bool(read_users(config.users_path))
    except AuthError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    if not has_users and not config.trust_proxy:
        err.print(f"警告：还没有登录账号（{config.users_path}）；请先运行 fazhi serve --add-user 登录名", markup=False)
    sync = app.extensions["fazhi"].sync
    if sync.active:
        err.print(f"中心仓库：{sync.upstream.shown}（每次填报前同步，填报后推送）", markup=False)
    shown_host = f"[{config.host}]" if ":" in config.host else config.host
    typer.echo(f"fazhi 网页版：http://{shown_host}:{config.port}/ （工作区 {config.root}；按 Ctrl-C 停止）")
    sys.stdout.flush()
    try:
        waitress_serve(
            app, host=config.host, port=config.port, threads=config.threads, ident="fazhi", max_request_body_size=config.max_upload + FORM_SLACK,
            clear_untrusted_proxy_headers=True, _quiet=True,
        )
    except OSError as exc:
        fail(f"无法在 {config.host}:{config.port} 上启动：{exc.strerror or exc}", EXIT_CANNOT_RUN)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
