"""`fazhi serve` in-process, with Flask's test client (no browser adds anything here): security
headers and cookies, login and its throttle, the proxy header believed only from the proxy, CSRF,
upload names, types and sizes, escaping, a ledger changed by hand between showing and posting,
the central repository (pull before, push after, a push the guard refuses rolled back), and the
command itself (`--add-user`, missing web packages). tests/test_serve_browser.py runs the real
server in a real browser."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from git_helpers import git, identify
from web_helpers import LOGINS, PDF, commits, make_web_workspace

if not os.environ.get("CI"):  # in CI a missing web package fails the tests instead
    pytest.importorskip("flask")


def make_app(ws: Path, **options):
    from fazhi_cli.web.app import create_app
    from fazhi_cli.web.config import ServeConfig

    return create_app(ServeConfig(root=ws, **options))


def token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def stamp(response) -> str:
    return re.search(r'name="stamp" value="([^"]*)"', response.get_data(as_text=True)).group(1)


def texts(response) -> str:
    return response.get_data(as_text=True)


def logged_in(app, login: str, **environ):
    client = app.test_client()
    client.environ_base.update(environ)
    page = client.get("/login")
    answer = client.post("/login", data={"csrf_token": token(page), "login": login, "password": LOGINS[login].password, "next": "/"})
    assert answer.status_code == 303, texts(answer)
    return client


@pytest.fixture
def ws(tmp_path):
    return make_web_workspace(tmp_path / "ws")


def test_headers_cookies_login_and_throttle(ws):
    app = make_app(ws)
    client = app.test_client()
    answer = client.get("/status")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")
    page = client.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain 127.0.0.1, no proxy
    assert "<script" not in texts(page)
    for _ in range(5):
        wrong = client.post("/login", data={"csrf_token": token(page), "login": "kerqin", "password": "wrong-password"})
        assert wrong.status_code == 401 and "登录名或密码不正确" in texts(wrong)
    blocked = client.post("/login", data={"csrf_token": token(page), "login": "kerqin", "password": LOGINS["kerqin"].password})
    assert blocked.status_code == 429 and "次数过多" in texts(blocked)
    secure = make_app(ws, host="0.0.0.0").test_client().get("/login")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_the_proxy_header_is_believed_only_from_the_proxy(ws):
    app = make_app(ws, trust_proxy=("127.0.0.2",))
    header = {"X-Remote-User": "sifaju"}
    from_proxy = app.test_client().get("/review", headers=header, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert from_proxy.status_code == 200 and "李四（sifaju）" in texts(from_proxy)
    from_elsewhere = app.test_client().get("/review", headers=header, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert from_elsewhere.status_code == 303 and "/login" in from_elsewhere.headers["Location"]
    untrusting = make_app(ws).test_client().get("/review", headers=header, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert untrusting.status_code == 303
    # a login the proxy vouches for, listed without a password: its name and e-mail, and no password login
    users = ws / ".fazhi" / "users.json"
    table = json.loads(users.read_text(encoding="utf-8"))
    table["users"]["sifaju"] = {"name": "李四", "email": LOGINS["sifaju"].email}
    users.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    assert "李四（sifaju）" in texts(app.test_client().get("/review", headers=header, environ_base={"REMOTE_ADDR": "127.0.0.2"}))
    assert app.test_client().post("/login", data={"csrf_token": "x", "login": "sifaju", "password": ""}).status_code == 400
    client = app.test_client()
    form = client.get("/login")
    assert client.post("/login", data={"csrf_token": token(form), "login": "sifaju", "password": LOGINS["sifaju"].password}).status_code == 401


def test_csrf_uploads_escaping_and_a_hand_edit(ws):
    app = make_app(ws, max_upload=4096)
    clerk = logged_in(app, "kerqin")
    page = clerk.get("/unit/kerqin/task/3")
    url = "/unit/kerqin/task/3/progress"
    fields = {"stamp": stamp(page), "date": "2020-05-01", "note": "<script>alert(1)</script>"}
    assert clerk.post(url, data=fields).status_code == 400
    assert clerk.post(url, data={**fields, "csrf_token": "forged"}).status_code == 400

    def post(name: str, data: bytes):
        return clerk.post(url, data={**fields, "csrf_token": token(page), "upload": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    for name, data, why in (
        ("../../x.pdf", PDF, "含有路径"),
        ("sub/x.pdf", PDF, "含有路径"),
        ("清单\x07.pdf", PDF, "控制字符"),
        ("run.exe", b"MZ", "不能上传 .exe"),
        ("假的.pdf", b"<html>", "内容与扩展名 .pdf 不符"),
        ("big.pdf", PDF + b"0" * 5000, "超过上传上限"),
    ):
        answer = post(name, data)
        assert answer.status_code == 422 and why in texts(answer), (name, texts(answer))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts(answer)  # the form keeps the note, escaped
    huge = post("huge.pdf", PDF + b"0" * (2 * 1024 * 1024))
    assert huge.status_code == 413 and "上限" in texts(huge)
    assert not (ws / "ledgers" / "kerqin.yaml").exists() and not (ws / "evidence").exists() or not any((ws / "evidence").rglob("*.*"))
    assert commits(ws) == []

    ok = post("CON.pdf", PDF)
    assert ok.status_code == 303
    assert (ws / "evidence" / "kerqin" / "_CON.pdf").read_bytes() == PDF
    shown = texts(clerk.get("/unit/kerqin/task/3"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown

    # a hand edit of the same entry between showing the form and posting it
    page = clerk.get("/unit/kerqin/task/3")
    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("        note: <script>", "        note: 手工改过 <script>"), encoding="utf-8")
    stale = clerk.post(url, data={"csrf_token": token(page), "stamp": stamp(page), "date": "2020-05-02", "note": "我填的内容"})
    assert stale.status_code == 409 and "R217" in texts(stale) and "手工编辑" in texts(stale) and "我填的内容" in texts(stale)
    assert "我填的内容" not in ledger.read_text(encoding="utf-8")
    again = clerk.post(url, data={"csrf_token": token(stale), "stamp": stamp(stale), "date": "2020-05-02", "note": "我填的内容"})
    assert again.status_code == 303 and "我填的内容" in ledger.read_text(encoding="utf-8")


def test_stored_names_are_derived_never_taken_as_paths(tmp_path):
    from fazhi_cli.web.config import UPLOAD_TYPES
    from fazhi_cli.web.uploads import UploadRefused, safe_name, save_evidence

    for name in ("../../x", "..\\..\\x.pdf", "a/b.pdf", "C:\\Users\\x.pdf", "..", "", "x\u202e.pdf"):
        with pytest.raises(UploadRefused):
            safe_name(name, UPLOAD_TYPES)
    assert safe_name("  会议纪要 (2020).PDF ", UPLOAD_TYPES) == "会议纪要 (2020).pdf"
    assert safe_name('a<b>:c?.docx', UPLOAD_TYPES) == "a_b__c_.docx" and safe_name("nul.txt", UPLOAD_TYPES) == "_nul.txt"
    first = save_evidence(tmp_path, "kerqin", "a.pdf", PDF, limit=4096, allowed=UPLOAD_TYPES)
    same = save_evidence(tmp_path, "kerqin", "a.pdf", PDF, limit=4096, allowed=UPLOAD_TYPES)
    other = save_evidence(tmp_path, "kerqin", "a.pdf", PDF + b"%", limit=4096, allowed=UPLOAD_TYPES)
    assert (first.relative, first.created, same.created, other.relative) == ("evidence/kerqin/a.pdf", True, False, "evidence/kerqin/a-2.pdf")
    with pytest.raises(UploadRefused):
        save_evidence(tmp_path, "..", "a.pdf", PDF, limit=4096, allowed=UPLOAD_TYPES)


def test_refusals_in_chinese_with_the_form_refilled(ws):
    app = make_app(ws)
    clerk = logged_in(app, "kerqin")
    page = clerk.get("/unit/kerqin/task/2")
    answer = clerk.post("/unit/kerqin/task/2/close", data={"csrf_token": token(page), "stamp": stamp(page), "note": "已公布", "name": "王五", "date": "2020-04-20"})
    assert answer.status_code == 422 and "销号必须附佐证材料：请用“佐证材料”栏给出" in texts(answer) and "（R204）" in texts(answer) and "--evidence" not in texts(answer) and ">已公布</textarea>" in texts(answer)
    outsider = logged_in(app, "kailu")
    page = outsider.get("/unit/kerqin/task/2")
    assert "只能查看，不能填报" in texts(page)
    refused = outsider.post("/unit/kerqin/task/2/progress", data={"csrf_token": token(page), "stamp": "", "note": "代填", "date": "2020-04-20"})
    assert refused.status_code == 403 and "R214" in texts(refused)
    assert commits(ws) == []


def test_clerks_writing_at_once_lose_nothing(ws):
    """Four sessions post to one ledger at the same moment (the server's threads): every entry is
    written, each in its own commit."""
    import threading

    app = make_app(ws)
    tasks = [1, 2, 3, 1]
    sessions = [(logged_in(app, "kerqin"), tid) for tid in tasks]
    forms = [(client, tid, token(client.get(f"/unit/kerqin/task/{tid}"))) for client, tid in sessions]
    codes: list[int] = []

    def post(i: int) -> None:
        client, tid, csrf = forms[i]
        codes.append(client.post(f"/unit/kerqin/task/{tid}/progress", data={"csrf_token": csrf, "note": f"同时填报{i}", "date": "2020-05-01"}).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = (ws / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")
    assert codes == [303] * len(forms) and all(f"同时填报{i}" in text for i in range(len(forms)))
    assert len(commits(ws)) == len(forms) and git(ws, "status", "--porcelain").strip() == ""


def test_claim_then_fill_in_an_open_ended_task(ws):
    app = make_app(ws)
    clerk = logged_in(app, "kailu")
    page = clerk.get("/unit/kailu")
    assert "可认领的任务" in texts(page) and "行政复议规范化建设" in texts(page)
    assert clerk.get("/unit/kailu/task/6").status_code == 404
    claimed = clerk.post("/unit/kailu/task/6/claim", data={"csrf_token": token(page), "date": "2020-03-15"})
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/unit/kailu"
    assert "已提交：开鲁县 任务6" in texts(clerk.get("/unit/kailu"))
    entry = clerk.get("/unit/kailu/task/6")
    assert entry.status_code == 200 and 'id="form-progress"' in texts(entry)
    assert commits(ws) == [(LOGINS["kailu"].name, LOGINS["kailu"].email, "认领任务: 开鲁县 任务6 行政复议规范化建设")]


def test_extension_request_and_the_offices_decisions_from_the_queue(ws):
    app = make_app(ws)
    clerk = logged_in(app, "kerqin")
    page = clerk.get("/unit/kerqin/task/3")
    asked = clerk.post("/unit/kerqin/task/3/extend", data={"csrf_token": token(page), "stamp": stamp(page), "new_due": "2020-09-30", "reason": "平台采购未完成", "date": "2020-07-10"})
    assert asked.status_code == 303
    page = clerk.get("/unit/kerqin/task/2")
    clerk.post("/unit/kerqin/task/2/close", data={"csrf_token": token(page), "stamp": stamp(page), "evidence": "科政发〔2020〕5号", "date": "2020-04-20"})
    office = logged_in(app, "office")
    queue = office.get("/review")
    assert 'id="q-kerqin-3-extension"' in texts(queue) and 'id="q-kerqin-2-review"' in texts(queue) and "平台采购未完成" in texts(queue)
    stamp3 = re.search(r'action="/review/kerqin/3/approve"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+"><input type="hidden" name="stamp" value="([^"]*)"', texts(queue)).group(1)
    stamp2 = re.search(r'action="/review/kerqin/2/reject"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+"><input type="hidden" name="stamp" value="([^"]*)"', texts(queue)).group(1)
    no_reason = office.post("/review/kerqin/2/reject", data={"csrf_token": token(queue), "stamp": stamp2, "reason": "", "date": "2020-04-22"})
    assert no_reason.status_code == 422 and "退回必须说明理由" in texts(no_reason) and "--reason" not in texts(no_reason)
    rejected = office.post("/review/kerqin/2/reject", data={"csrf_token": token(queue), "stamp": stamp2, "reason": "缺少公布网址", "date": "2020-04-22"})
    approved = office.post("/review/kerqin/3/approve", data={"csrf_token": token(queue), "stamp": stamp3, "date": "2020-07-12"})
    assert rejected.status_code == approved.status_code == 303 and 'id="queue-empty"' in texts(office.get("/review"))
    office_login = LOGINS["office"]
    assert [c[2] for c in commits(ws)][-2:] == ["退回销号: 科区 任务2 公布权力清单", "同意延期: 科区 任务3 行政执法三项制度"]
    assert commits(ws)[-1][:2] == (office_login.name, office_login.email)


def test_downloads_as_of_a_day(ws):
    app = make_app(ws)
    office = logged_in(app, "office")
    for url, name, start in (
        ("/download/report?kind=0805&scope=office&format=docx&as_of=2020-08-06", "0805-city.docx", b"PK"),
        ("/download/report?kind=monthly&scope=lead&unit_lead=sifaju&format=html&as_of=2020-08-06", "monthly-2020-08-06-lead-sifaju.html", b"<!DOCTYPE"),
        ("/download/export?scope=office&format=xlsx&as_of=2020-08-06", "ledger-2020-08-06.xlsx", b"PK"),
    ):
        answer = office.get(url)
        assert answer.status_code == 200, texts(answer)
        assert answer.headers["Content-Disposition"] == f'attachment; filename="{name}"' and answer.data.startswith(start)
    assert office.get("/download/report?kind=0805&scope=lead&unit_lead=kailu&format=docx").status_code == 422


# --- the central repository ---------------------------------------------------------------------


def central_world(tmp_path: Path):
    """A bare central repository (every unit's ledger created by the office) and the server's clone."""
    source = make_web_workspace(tmp_path / "source", users=False)
    from conftest import run_cli

    office = {"FAZHI_USER": LOGINS["office"].email}  # the office creates every ledger first (docs/multi-unit.md §1)
    assert run_cli("init", "--root", str(source), env=office).exit_code == 0
    central = tmp_path / "central.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(central))
    served = tmp_path / "served"
    git(tmp_path, "clone", "-q", str(central), str(served))
    identify(served, "serve@yfb.example.gov.cn", "fazhi 网页版")
    from web_helpers import write_users

    write_users(served / ".fazhi" / "users.json")
    return central, served


def install_guard(central: Path, pusher: str | None = None) -> None:
    """`fazhi guard` as the pre-receive hook; `pusher`: the login the server says pushed (else the
    pusher's own REMOTE_USER, which a push over a local path passes on)."""
    pin = f"REMOTE_USER={pusher}; export REMOTE_USER\n" if pusher else ""
    hook = central / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\n{pin}exec '{sys.executable}' -m fazhi_cli guard\n", encoding="utf-8")
    hook.chmod(0o755)


def test_central_repository_pull_push_and_a_refused_push_rolled_back(tmp_path, cli):
    central, served = central_world(tmp_path)
    app = make_app(served)
    clerk = logged_in(app, "kerqin")
    page = clerk.get("/unit/kerqin/task/1")
    # meanwhile the clerk's colleague pushes from a clone of their own
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(central), str(other))
    identify(other, LOGINS["kerqin"].email, "王五")
    assert cli("progress", "1", "-u", "kerqin", "--note", "另一处填报", "--date", "2020-05-01", "--root", other).exit_code == 0
    git(other, "push", "-q", "origin", "HEAD:main")
    install_guard(central)
    stale = clerk.post("/unit/kerqin/task/1/progress", data={"csrf_token": token(page), "stamp": stamp(page), "note": "网页填报", "date": "2020-05-02"})
    assert stale.status_code == 409 and "同步了中心仓库" in texts(stale) and "网页填报" in texts(stale)
    accepted = clerk.post("/unit/kerqin/task/1/progress", data={"csrf_token": token(stale), "stamp": stamp(stale), "note": "网页填报", "date": "2020-05-02"})
    assert accepted.status_code == 303
    assert git(central, "log", "-1", "--format=%ae %s", "main").strip() == f"{LOGINS['kerqin'].email} 工作进展: 科区 任务1 专题听取汇报"

    # the server authenticates its pushes as 开鲁县's account: the guard refuses kerqin's ledger
    install_guard(central, pusher="kailu")
    before = git(served, "rev-parse", "HEAD").strip()
    page = clerk.get("/unit/kerqin/task/1")
    refused = clerk.post(
        "/unit/kerqin/task/1/progress",
        data={"csrf_token": token(page), "stamp": stamp(page), "note": "被拒绝的填报", "date": "2020-05-03", "upload": (io.BytesIO(PDF), "会议纪要.pdf")},
        content_type="multipart/form-data",
    )
    shown = texts(refused)
    assert refused.status_code == 409 and "中心仓库（origin/main）拒绝了这次提交" in shown
    assert "A005" in shown and "kailu 不是科区的编辑人员" in shown.replace("科尔沁区", "科区") and "已在本地撤回" in shown
    assert ">被拒绝的填报</textarea>" in shown
    assert git(served, "rev-parse", "HEAD").strip() == before == git(central, "rev-parse", "main").strip()
    assert "被拒绝的填报" not in (served / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")
    assert not (served / "evidence" / "kerqin" / "会议纪要.pdf").exists() and git(served, "status", "--porcelain").strip() == ""


# --- the command --------------------------------------------------------------------------------


def test_add_user_writes_an_argon2_hash_outside_git(ws):
    from fazhi_cli.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--root", str(ws), "--add-user", "office2", "--name", "钱七", "--password-stdin"], input="a-long-password\n")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "已添加登录账号 office2" in result.stdout
    users = ws / ".fazhi" / "users.json"
    entry = json.loads(users.read_text(encoding="utf-8"))["users"]["office2"]
    assert entry["hash"].startswith("$argon2id$") and "a-long-password" not in users.read_text(encoding="utf-8") and entry["name"] == "钱七"
    assert stat.S_IMODE(users.stat().st_mode) == 0o600 and (ws / ".fazhi" / ".gitignore").read_text() == "*\n"
    assert "users.json" not in git(ws, "status", "--porcelain", "--ignored=no")
    short = runner.invoke(app, ["serve", "--root", str(ws), "--add-user", "x", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "密码太短" in short.stderr


def test_serve_without_the_web_packages_says_how_to_install_them(ws, monkeypatch, cli):
    import fazhi_cli.cli.serve as serve

    monkeypatch.setattr(serve, "WEB_PACKAGES", (("fazhi_no_such_module", "Flask"),))
    result = cli("serve", "--root", ws)
    assert result.exit_code == 2 and 'pip install "fazhi[serve]"' in result.stderr and "Traceback" not in result.stderr + result.stdout
