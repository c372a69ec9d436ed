"""`fazhi remind`: 催办 — what each unit is to be reminded of (due soon, overdue, reviews and
extension requests awaiting a decision), as text, JSON or a printable 催办通知单; `--send` mails
each notice to its editors' addresses, never the same reminder twice."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from fazhi_cli import __version__
from fazhi_cli.cli.common import (
    EXIT_CANNOT_RUN,
    AsOfOpt,
    ForceOpt,
    RootOpt,
    UnitOpt,
    fail,
    open_or_exit,
    resolve_unit,
    save_output,
    to_stdout,
    view_day,
)
from fazhi_cli.engine.remind import OFFICE, reminders
from fazhi_cli.render.console import make_console
from fazhi_cli.render.records import to_json


class RemindFormat(str, Enum):
    text = "text"
    json = "json"
    md = "md"
    docx = "docx"


def remind(
    unit: UnitOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[RemindFormat, typer.Option("--format", "-f", help="text（文字）、json、md（Markdown 通知单）、docx（Word 通知单）")] = RemindFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="输出文件（md、docx 默认写到 reports/；- 表示标准输出）", show_default=False)] = None,
    send: Annotated[bool, typer.Option("--send", help="把各单位的催办通知单发送到其编辑人员的邮箱（data/settings.yaml 的 smtp）")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="与 --send 同用：只列出将要发送的邮件，不发送、不记录")] = False,
    force: ForceOpt = False,
    root: RootOpt = None,
) -> None:
    """催办：列出各单位临近完成时限、已逾期的事项，待审核的销号申请和待审批的延期申请。

    提醒时点在 data/settings.yaml 中设置：remind_before（距时限几天提醒，默认 7 天、3 天）、
    remind_overdue_every（逾期后每隔几天提醒，默认每天）。--unit 只看一个单位（office 为依法治市办的审核事项）。
    --send 把每个单位的通知单发到其编辑人员中的邮箱地址；同一提醒（同一事项、同一时点）只发一次，
    记录在工作区的 .fazhi/reminders-sent.json；--dry-run 只显示将要发送的内容。

    示例：fazhi remind --as-of 2020-07-24

    示例：fazhi remind --unit 科区 --format docx -o 催办通知单.docx

    示例：fazhi remind --send --dry-run
    """
    if dry_run and not send:
        fail("--dry-run 只和 --send 一起使用")
    book = open_or_exit(root)
    day = view_day(book, as_of)
    view = book.as_of(day)
    plan = view.plan
    wanted = None
    if unit:
        wanted = [OFFICE] if unit.strip().lower() in (OFFICE, "依法治市办审核") else [resolve_unit(book, unit).id]
    invalid = book.invalid_ledgers()
    if invalid:
        make_console(stderr=True).print(
            f"警告：以下台账有错误，未列入催办：{'、'.join(sorted(f.path for f in invalid.values()))}（运行 `fazhi check` 查看）", markup=False
        )
    facts = reminders(view, units=wanted, exclude=set(invalid))
    from fazhi_cli.render import remind as view_of
    from fazhi_cli.store.revision import current_revision

    context = view_of.remind_context(plan, facts, revision=current_revision(book.ws.root) or "", generator=f"fazhi {__version__}")
    if send:
        _send(book.ws.root, book.ws.templates_dir, plan, context, day, dry_run)
        return
    if fmt is RemindFormat.text and output is None:
        typer.echo(view_of.context_text(context), nl=False)
        return
    if fmt is RemindFormat.json and output is None:
        typer.echo(to_json(context.as_dict()), nl=False)
        return
    data = _document(context, fmt.value, book.ws.templates_dir)
    suffix = {"text": ".txt", "json": ".json", "md": ".md", "docx": ".docx"}[fmt.value]
    target = output if output is not None else view_of.default_output(book.ws.root, wanted[0] if wanted else None, day, suffix)
    save_output(book.ws.root, target, data, "Word/WPS", suffix, force=force)
    if not to_stdout(target):
        typer.echo(f"已生成：{target}")


def _document(context, fmt: str, templates_dir) -> bytes:
    from fazhi_cli.render import remind as view_of
    from fazhi_cli.render.documents import RenderError, render_report

    if fmt == "text":
        return view_of.context_text(context).encode("utf-8")
    try:
        return render_report(context, fmt, templates_dir)
    except RenderError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)


def _send(root: Path, templates_dir, plan, context, day, dry_run: bool) -> None:
    from fazhi_cli.core.remind_send import PASSWORD_ENV, USER_ENV, Outgoing, SendError, load_record, send_all
    from fazhi_cli.render import remind as view_of

    smtp = plan.settings.smtp
    if smtp is None and not dry_run:
        fail("data/settings.yaml 中没有设置 smtp（host、port、starttls、from），无法发送催办邮件；可先用 --dry-run 查看", EXIT_CANNOT_RUN)
    try:
        record = load_record(root)
    except SendError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    out = make_console()
    outgoing: list[Outgoing] = []
    skipped_no_mail, unchanged = [], 0
    sender = smtp.sender if smtp else "fazhi@localhost"
    for n in context.notices:
        keys = [i.key for attr in ("overdue", "due", "own_extensions", "reviews", "extensions") for i in getattr(n, attr)]
        new = [k for k in keys if not record.was_sent(n.addressee, k)]
        if not new:
            unchanged += 1
            continue
        if not n.recipients:
            skipped_no_mail.append(n.label)
            continue
        single = view_of.one(context, n)
        attachment = _document(single, "docx", templates_dir)
        name = view_of.file_name(n.addressee, day, ".docx")
        outgoing.append(Outgoing(n.addressee, new, view_of.mail_message(context.meta, n, sender, attachment, name)))
    for o in outgoing:
        verb = "将发送" if dry_run else "发送"
        out.print(f"{verb}：{o.message['To']} · {o.message['Subject']} · 新提醒 {len(o.keys)} 项", markup=False)
    if skipped_no_mail:
        make_console(stderr=True).print(
            f"警告：以下单位没有登记邮箱（data/units.yaml 的 editors 中没有邮箱地址），未发送：{'、'.join(skipped_no_mail)}", markup=False
        )
    if dry_run:
        out.print(f"试运行：将发送 {len(outgoing)} 封邮件（{unchanged} 个单位没有新的提醒）；未发送，也未记录。", markup=False)
        return
    if not outgoing:
        out.print(f"没有新的提醒需要发送（{unchanged} 个单位的提醒此前已发送）。", markup=False)
        return
    user = (os.environ.get(USER_ENV) or "").strip() or None
    password = os.environ.get(PASSWORD_ENV)
    try:
        sent = send_all(root, smtp, outgoing, day.isoformat(), user=user, password=password)
    except SendError as exc:
        fail(exc.message, EXIT_CANNOT_RUN)
    out.print(f"已发送 {len(sent)} 封催办邮件，记录在 .fazhi/reminders-sent.json。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)
