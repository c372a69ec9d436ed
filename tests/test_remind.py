"""`fazhi remind`: 催办 as of a day, cross-checked against `fazhi status`, and `--send` against a
real SMTP server (aiosmtpd on 127.0.0.1): recipients, the Chinese subject and body as received,
no reminder sent twice, a dry run sending nothing, a refused connection and login as clear errors."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import socket
from pathlib import Path

import pytest

from conftest import copy_workspace, run_cli
from git_helpers import set_editors

AS_OF = "2020-07-24"
KQ = "kq1@kerqin.gov.cn"
ZFB = "zfb@tongliao.gov.cn"
OFFICE = "office@yfb.gov.cn"
KAILU = "kl@kailu.gov.cn"
EDITORS = {"kerqin": [KQ, "kqclerk"], "zhengfuban": [ZFB], "kailu": [KAILU], "office": [OFFICE]}


def ok(*args, user: str | None = None, env: dict | None = None):
    result = run_cli(*args, env=({"FAZHI_USER": user} if user else {}) | (env or {}))
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def active(tmp_path_factory) -> Path:
    """The shipped plan with editors for 科尔沁区, 政府办, 开鲁县 and the office, and activity made
    with the commands: progress, an apply awaiting review, a confirmed close, a pending and an
    approved extension, a rejected apply."""
    ws = copy_workspace(tmp_path_factory.mktemp("remind") / "ws")
    set_editors(ws, EDITORS)
    r = ("--root", ws)
    ok("progress", 7, "--unit", "kerqin", "--note", "起草清单", "--date", "2020-04-10", *r, user=KQ)
    ok("close", 20, "--unit", "kerqin", "--evidence", "通司发〔2020〕12号", "--date", "2020-07-20", *r, user=KQ)
    ok("extend", "request", 21, "--unit", "kerqin", "--new-due", "2020-09-30", "--reason", "需要第三方评估", "--date", "2020-07-10", *r, user=KQ)
    ok("close", 22, "--unit", "kerqin", "--evidence", "通司发〔2020〕13号", "--date", "2020-07-15", *r, user=KQ)
    ok("confirm", 22, "--unit", "kerqin", "--date", "2020-07-16", *r, user=ZFB)
    ok("close", 23, "--unit", "kailu", "--evidence", "开政发〔2020〕3号", "--date", "2020-07-01", *r, user=KAILU)
    ok("reject", 23, "--unit", "kailu", "--reason", "缺少制度文本", "--date", "2020-07-02", *r, user=OFFICE)
    ok("extend", "request", 13, "--unit", "kailu", "--new-due", "2020-08-31", "--reason", "专项行动延长", "--date", "2020-07-05", *r, user=KAILU)
    ok("extend", "approve", 13, "--unit", "kailu", "--date", "2020-07-06", *r, user=OFFICE)
    ok("close", 7, "--unit", "kailu", "--evidence", "开政发〔2020〕4号", "--date", "2020-07-22", *r, user=KAILU)
    return ws


def remind_json(ws: Path, *extra: str, day: str = AS_OF) -> dict:
    return json.loads(ok("remind", "--as-of", day, "--format", "json", "--root", ws, *extra).stdout)


def status_rows(ws: Path, unit: str, day: str = AS_OF) -> list[dict]:
    return json.loads(ok("status", "--unit", unit, "--as-of", day, "--format", "json", "--root", ws).stdout)


def notice(data: dict, addressee: str) -> dict:
    found = [n for n in data["notices"] if n["addressee"] == addressee]
    assert len(found) == 1, addressee
    return found[0]


# --- what is reminded, cross-checked against `fazhi status` --------------------------------------


def test_reminders_as_of_0724_are_exactly_the_items_status_calls_overdue_or_within_the_window(active):
    """Done-when: the overdue items of `fazhi remind` are exactly those `fazhi status --overdue`
    lists (unit, task, deadline, days overdue); each unit's items due within the windows number
    what `fazhi status` counts as 临期 (the widest window, 7 days, is due_soon_days); and for the
    units with activity, and two without, they are exactly the rows `fazhi status --unit` shows
    not applied or closed with a deadline 0–7 days away."""
    data = remind_json(active)
    day = dt.date.fromisoformat(AS_OF)
    assert data["meta"]["windows"] == [7, 3]
    by_unit = {n["addressee"]: n for n in data["notices"] if n["addressee"] != "office"}
    overdue = json.loads(ok("status", "--overdue", "--as-of", AS_OF, "--format", "json", "--root", active).stdout)
    assert {(i["unit_id"], i["task_id"], i["due"], i["days_overdue"]) for n in by_unit.values() for i in n["overdue"]} == {
        (r["unit"], r["task"], r["due"], r["days_overdue"]) for r in overdue
    }
    summary = json.loads(ok("status", "--as-of", AS_OF, "--format", "json", "--root", active).stdout)
    assert {u["unit"]: len(by_unit[u["unit"]]["due"]) if u["unit"] in by_unit else 0 for u in summary} == {u["unit"]: u["due_soon"] for u in summary}
    assert sum(u["due_soon"] for u in summary) > 100 and len(overdue) >= 20
    for uid in ("kerqin", "kailu", "zhengfuban", "shiweiban", "naiman"):
        rows = status_rows(active, uid)
        want_due = {
            (r["task"], r["due"], (dt.date.fromisoformat(r["due"]) - day).days)
            for r in rows
            if not r["overdue"] and r["state"] not in ("pending_review", "closed") and 0 <= (dt.date.fromisoformat(r["due"]) - day).days <= 7
        }
        n = by_unit.get(uid, {"overdue": [], "due": []})
        assert {(i["task_id"], i["due"], i["days_left"]) for i in n["due"]} == want_due, uid
        assert {i["task_id"] for i in n["overdue"]} == {r["task"] for r in rows if r["overdue"]}, uid
    kq = by_unit["kerqin"]
    assert 7 in {i["task_id"] for i in kq["overdue"]}  # in progress, still overdue
    assert {20, 22}.isdisjoint({i["task_id"] for i in kq["due"] + kq["overdue"]})  # applied, closed
    kl = by_unit["kailu"]
    assert 13 not in {i["task_id"] for i in kl["due"]}  # extended to 31 August: outside the window
    assert 23 in {i["task_id"] for i in kl["due"]}  # sent back: open again, due 31 July
    assert 7 not in {i["task_id"] for i in kl["overdue"]}  # applied on 22 July


def test_reviews_and_extension_requests_go_to_their_reviewers(active):
    data = remind_json(active)
    office, zfb, kq = notice(data, "office"), notice(data, "zhengfuban"), notice(data, "kerqin")
    assert [(i["unit_id"], i["task_id"], i["since_cn"]) for i in office["reviews"]] == [("kailu", 7, "2020年7月22日"), ("kerqin", 20, "2020年7月20日")]  # by deadline
    assert [(i["unit_id"], i["task_id"], i["new_due_cn"]) for i in office["extensions"]] == [("kerqin", 21, "2020年9月30日")]
    # 政府办 leads tasks 20 and 21 (not task 7): it reviews 科尔沁区's apply and extension request
    assert [(i["unit_id"], i["task_id"]) for i in zfb["reviews"]] == [("kerqin", 20)]
    assert [(i["unit_id"], i["task_id"]) for i in zfb["extensions"]] == [("kerqin", 21)]
    assert [i["task_id"] for i in kq["own_extensions"]] == [21]
    assert kq["reviews"] == [] and kq["extensions"] == []
    assert office["recipients"] == [OFFICE]
    assert kq["recipients"] == [KQ]  # kqclerk is a user name, not an address
    assert kq["identities"] == sorted([KQ, "kqclerk"])


def test_windows_and_overdue_rounds_make_the_keys():
    from fazhi_cli.engine.remind import due_window, overdue_round

    assert [due_window(d, (7, 3)) for d in (8, 7, 4, 3, 0, -1)] == [None, 7, 7, 3, 3, None]
    assert [overdue_round(d, 1) for d in (1, 2, 3)] == [0, 1, 2]
    assert [overdue_round(d, 7) for d in (1, 7, 8, 14, 15)] == [0, 0, 1, 1, 2]


def test_unit_filter_text_and_documents(active, tmp_path):
    text = ok("remind", "--as-of", AS_OF, "--unit", "科区", "--root", active).stdout
    assert "催办通知单（截至2020年7月24日）" in text and "科尔沁区：" in text
    assert "任务7 公布权力和公共服务事项清单：完成时限 2020年4月30日，逾期85天（推进中）" in text
    assert "开鲁县" not in text
    md = ok("remind", "--as-of", AS_OF, "--unit", "kerqin", "--format", "md", "-o", "-", "--root", active).stdout
    assert md.startswith("# 催办通知单") and "| 7 | 公布权力和公共服务事项清单 | 科尔沁区 | 2020年4月30日 | 逾期85天 | 推进中 |" in md
    assert "中共通辽市委全面依法治市委员会办公室<br>2020年7月24日" in md
    out = tmp_path / "通知单.docx"
    ok("remind", "--as-of", AS_OF, "--unit", "office", "--format", "docx", "-o", out, "--root", active)
    from docx import Document

    doc = Document(str(out))
    paragraphs = [p.text for p in doc.paragraphs]
    assert "催办通知单" in paragraphs and "依法治市办审核人员：" in paragraphs
    assert paragraphs[-2:] == ["中共通辽市委全面依法治市委员会办公室", "2020年7月24日"]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "2020年7月20日申请销号" in cells and "重大行政决策法定程序" in cells


# --- sending, against a real SMTP server -------------------------------------------------------


class Collector:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def with_smtp(src: Path, dest: Path, port: int) -> Path:
    shutil.copytree(src, dest)
    settings = dest / "data" / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  starttls: false\n  from: yfzsb@tongliao.gov.cn\n",
        encoding="utf-8",
    )
    return dest


def test_send_mails_each_notice_once_to_its_addresses(active, tmp_path, smtp_server):
    controller, got = smtp_server
    ws = with_smtp(active, tmp_path / "ws", controller.port)
    assert ok("check", "--root", ws).exit_code == 0  # the smtp block is valid settings

    dry = ok("remind", "--as-of", AS_OF, "--send", "--dry-run", "--root", ws)
    assert "试运行：将发送 4 封邮件" in dry.stdout and f"将发送：{KQ}" in dry.stdout
    assert got.messages == [] and not (ws / ".fazhi").exists()

    sent = ok("remind", "--as-of", AS_OF, "--send", "--root", ws)
    assert "已发送 4 封催办邮件" in sent.stdout
    assert "未发送：" in sent.stderr and "市委办" in sent.stderr  # units with no address are named
    assert sorted(r for rcpt, _ in got.messages for r in rcpt) == sorted([KQ, ZFB, KAILU, OFFICE])
    mails = {rcpt[0]: email.message_from_bytes(raw, policy=email.policy.default) for rcpt, raw in got.messages}
    kq = mails[KQ]
    assert kq["Subject"].startswith("【催办通知单】科尔沁区：逾期1项，临期")
    assert "（截至2020年7月24日）" in kq["Subject"] and kq["To"] == KQ and kq["From"] == "yfzsb@tongliao.gov.cn"
    body = kq.get_body(("plain",)).get_content()
    assert "科尔沁区：" in body and "任务7 公布权力和公共服务事项清单：完成时限 2020年4月30日，逾期85天" in body
    assert "任务21 决策听取法律顾问意见：完成时限 2020年7月31日，2020年7月10日申请延期至2020年9月30日" in body
    attachment = next(kq.iter_attachments())
    assert attachment.get_filename() == "remind-2020-07-24-kerqin.docx" and attachment.get_content()[:2] == b"PK"
    assert "待您审核的销号申请" in mails[OFFICE].get_body(("plain",)).get_content()
    assert "【催办通知单】政府办：" in mails[ZFB]["Subject"] and "待审核2项" in mails[ZFB]["Subject"]

    record = json.loads((ws / ".fazhi" / "reminders-sent.json").read_text(encoding="utf-8"))
    assert set(record["sent"]) == {"kerqin", "zhengfuban", "kailu", "office"}
    assert "overdue:kerqin:7:2020-04-30:84" in record["sent"]["kerqin"]

    again = ok("remind", "--as-of", AS_OF, "--send", "--root", ws)
    assert "没有新的提醒需要发送" in again.stdout and len(got.messages) == 4

    # the next day: overdue items are reminded again (every day); due items stay in the 7-day window
    next_day = ok("remind", "--as-of", "2020-07-25", "--send", "--dry-run", "--root", ws)
    assert f"将发送：{KQ}" in next_day.stdout and f"将发送：{OFFICE}" not in next_day.stdout
    # four days later items due on 31 July enter the 3-day window: a second reminder
    later = ok("remind", "--as-of", "2020-07-28", "--send", "--dry-run", "--root", ws)
    assert f"将发送：{KAILU}" in later.stdout and f"将发送：{OFFICE}" not in later.stdout and len(got.messages) == 4


def test_a_refused_connection_is_a_clear_error_and_nothing_is_recorded(active, tmp_path):
    ws = with_smtp(active, tmp_path / "ws", free_port())  # nobody listens there
    result = run_cli("remind", "--as-of", AS_OF, "--send", "--root", ws)
    assert result.exit_code == 2
    assert "无法连接邮件服务器 127.0.0.1:" in result.stderr and "连接被拒绝" in result.stderr and "没有发送任何邮件" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (ws / ".fazhi").exists()


def test_a_refused_login_is_a_clear_error(active, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    handler = Collector()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
        authenticator=lambda server, session, envelope, mechanism, auth_data: AuthResult(success=False, handled=False),
    )
    controller.start()
    try:
        ws = with_smtp(active, tmp_path / "ws", controller.port)
        result = run_cli("remind", "--as-of", AS_OF, "--send", "--root", ws, env={"FAZHI_SMTP_USER": "yfzsb", "FAZHI_SMTP_PASSWORD": "wrong"})
    finally:
        controller.stop()
    assert result.exit_code == 2
    assert "拒绝登录" in result.stderr and "FAZHI_SMTP_USER" in result.stderr
    assert handler.messages == [] and not (ws / ".fazhi").exists()


def test_send_without_smtp_settings_cannot_run(active):
    result = run_cli("remind", "--as-of", AS_OF, "--send", "--root", active)
    assert result.exit_code == 2 and "没有设置 smtp" in result.stderr
    assert run_cli("remind", "--dry-run", "--root", active).exit_code == 1
