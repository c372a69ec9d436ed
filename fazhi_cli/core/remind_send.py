"""Sending 催办 mail (`fazhi remind --send`) and remembering what was sent.

The record is `.fazhi/reminders-sent.json` in the workspace (git-ignored, never a ledger): for each
addressee, the keys of the reminders already sent (engine/remind.Item.key: the item and its
window). It is written with the atomic writer under its lock, once per message actually accepted
by the server — a connection refused or a login refused records nothing.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from fazhi_cli.models.plan import Smtp
from fazhi_cli.store.safewrite import WriteError, atomic_write, locked

RECORD = Path(".fazhi") / "reminders-sent.json"
USER_ENV, PASSWORD_ENV = "FAZHI_SMTP_USER", "FAZHI_SMTP_PASSWORD"
TIMEOUT = 30.0


class SendError(Exception):
    """The mail could not be sent at all (connection, TLS, login): a Chinese message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SentRecord:
    path: Path
    sent: dict[str, dict[str, str]]  # addressee → key → day sent (YYYY-MM-DD)

    def was_sent(self, addressee: str, key: str) -> bool:
        return key in self.sent.get(addressee, {})

    def add(self, addressee: str, keys: list[str], day: str) -> None:
        mine = self.sent.setdefault(addressee, {})
        for key in keys:
            mine.setdefault(key, day)


def record_path(root: Path) -> Path:
    return root / RECORD


def load_record(root: Path) -> SentRecord:
    """The record as on disk (empty when there is none; an unreadable one is an error)."""
    path = record_path(root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return SentRecord(path, {})
    except OSError as exc:
        raise SendError(f"无法读取催办发送记录 {RECORD.as_posix()}：{exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        sent = {str(a): {str(k): str(v) for k, v in keys.items()} for a, keys in data.get("sent", {}).items()}
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise SendError(f"催办发送记录 {RECORD.as_posix()} 已损坏（不是有效的 JSON）；请检查或删除后重试（删除后已发过的提醒会再发一次）") from None
    return SentRecord(path, sent)


def save_record(record: SentRecord) -> None:
    record.path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"version": 1, "sent": record.sent}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    try:
        with locked(record.path):
            atomic_write(record.path, data.encode("utf-8"), expected_sha256=None)
    except WriteError as exc:
        raise SendError(f"邮件已发送，但无法写入发送记录：{exc.message}") from None


@dataclass(frozen=True)
class Outgoing:
    addressee: str
    keys: list[str]  # the reminders this message carries that were not sent before
    message: EmailMessage


def send_all(root: Path, smtp: Smtp, outgoing: list[Outgoing], day: str, *, user: str | None, password: str | None) -> list[Outgoing]:
    """Send each message over one connection, recording each one the server accepted. Returns
    those sent. SendError when the connection or login fails (nothing recorded), or when a message
    is refused (those sent before it are recorded)."""
    record = load_record(root)
    sent: list[Outgoing] = []
    where = f"{smtp.host}:{smtp.port}"
    try:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT)
    except (ConnectionRefusedError, socket.timeout, TimeoutError) as exc:
        raise SendError(f"无法连接邮件服务器 {where}（{_reason(exc)}）：请检查 data/settings.yaml 中 smtp 的 host 和 port，以及服务器能否访问；没有发送任何邮件") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"无法连接邮件服务器 {where}（{_reason(exc)}）；没有发送任何邮件") from None
    try:
        with client:
            try:
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                if user:
                    client.login(user, password or "")
            except smtplib.SMTPAuthenticationError:
                raise SendError(f"邮件服务器 {where} 拒绝登录：请检查环境变量 {USER_ENV} 和 {PASSWORD_ENV}；没有发送任何邮件") from None
            except smtplib.SMTPNotSupportedError as exc:
                what = "STARTTLS" if smtp.starttls and not user else "登录（AUTH）"
                raise SendError(f"邮件服务器 {where} 不支持{what}（{_reason(exc)}）：请检查 smtp 的 starttls 设置；没有发送任何邮件") from None
            except (ssl.SSLError, smtplib.SMTPException, OSError) as exc:
                raise SendError(f"与邮件服务器 {where} 建立加密连接或登录失败（{_reason(exc)}）；没有发送任何邮件") from None
            for out in outgoing:
                try:
                    client.send_message(out.message)
                except (smtplib.SMTPException, OSError) as exc:
                    raise SendError(f"邮件服务器 {where} 拒收发给 {out.message['To']} 的邮件（{_reason(exc)}）；已发送 {len(sent)} 封并已记录") from None
                sent.append(out)
                record.add(out.addressee, out.keys, day)
                save_record(record)
    except smtplib.SMTPServerDisconnected:
        pass  # QUIT after the last message: what was sent is recorded
    return sent


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "连接超时"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, socket.gaierror):
        return "找不到该服务器地址"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
