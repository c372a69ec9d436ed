"""`fazhi serve` in a real browser: the real server process (waitress) on 127.0.0.1, driven with
Playwright in Debian's chromium (no browser download), one browser context per person.

One story, in order, on one server and one browser (this module's cost is a server start, a
browser start and a few dozen page loads):
- 科尔沁区's clerk logs in, records progress with an uploaded PDF (saved under evidence/kerqin/,
  its sha256 in the ledger) and applies for 销号 citing it;
- 开鲁县's clerk cannot see the reviewers' queue (403) nor post a confirmation to it (403, R216);
- the lead unit 司法局's reviewer confirms from the queue;
- a POST without a CSRF token, an upload named `../../x` and an oversized upload are refused,
  and change nothing;
- two browsers editing the same task: one success, one clear refusal (R217) that keeps what was typed;
- `git log`: one commit per action, each with the right author;
- no page breaks its Content-Security-Policy or logs a console error.

Chromium is Debian's (`.ci/run` installs it) and Playwright comes with the test extras. Where `CI`
is set a missing one fails the test; elsewhere it is skipped. With FAZHI_SCREENSHOTS=DIR the main
pages are saved there as PNG (docs/img/serve-*.png).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from web_helpers import LOGINS, PDF, commits, make_web_workspace

MAX_UPLOAD_KB = 64


def need(what: str, found) -> None:
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing: .ci/run installs it for this test")
        pytest.skip(f"{what} is missing; in CI this test fails instead")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(workspace, base URL) of a running `fazhi serve`."""
    ws = make_web_workspace(tmp_path_factory.mktemp("serve") / "ws")
    port = free_port()
    log = open(ws.parent / "serve.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fazhi_cli", "serve", "--root", str(ws), "--port", str(port), "--max-upload", f"{MAX_UPLOAD_KB}KB"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("fazhi serve did not start: " + (ws.parent / "serve.log").read_text(errors="replace"))
        time.sleep(0.05)
    yield ws, base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    need("Debian's chromium (apt-get install chromium)", chromium)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("the playwright Python package (pip install -e '.[test]')", False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


class Person:
    """One browser context: its own cookies, one page, its console and CSP complaints."""

    def __init__(self, browser, base: str, login: str):
        self.base = base
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.complaints: list[str] = []
        self.page.on("console", lambda m: self.complaints.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.complaints.append(str(e)))
        self.login = login

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def log_in(self, path: str = "/") -> None:
        self.goto(path)
        assert "/login" in self.page.url
        self.page.fill("input[name=login]", self.login)
        self.page.fill("input[name=password]", LOGINS[self.login].password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.content()

    def token(self) -> str:
        return self.page.locator("input[name=csrf_token]").first.get_attribute("value")

    def stamp(self) -> str:
        return self.page.locator("input[name=stamp]").first.get_attribute("value")

    def notices(self, kind: str) -> str:
        return " ".join(self.page.locator(f".notice-{kind}").all_inner_texts())

    def shot(self, name: str) -> None:
        folder = os.environ.get("FAZHI_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def ledger(ws: Path) -> str:
    path = ws / "ledgers" / "kerqin.yaml"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_clerks_and_reviewers_in_a_real_browser(server, browser, tmp_path):
    ws, base = server
    clerk = Person(browser, base, "kerqin")

    # 1. The clerk logs in (sent to the login page first) and lands on the item asked for.
    clerk.log_in("/unit/kerqin/task/2")
    assert clerk.page.url.endswith("/unit/kerqin/task/2")
    assert "任务2" in clerk.page.inner_text("#entry-title") and "王五（kerqin）" in clerk.page.inner_text("#user")

    # 2. Progress with an uploaded PDF: saved under evidence/kerqin/, cited with its sha256.
    upload = tmp_path / "权力清单（2020）.pdf"
    upload.write_bytes(PDF)
    form = clerk.page.locator("#form-progress")
    form.locator("input[name=date]").fill("2020-04-10")
    form.locator("textarea[name=note]").fill("完成权力清单梳理 <b>未加粗</b>")
    form.locator("input[name=upload]").set_input_files(str(upload))
    form.locator("button[type=submit]").click()
    clerk.page.wait_for_load_state()
    assert "已提交" in clerk.notices("ok"), clerk.page.content()
    stored = ws / "evidence" / "kerqin" / "权力清单（2020）.pdf"
    assert stored.read_bytes() == PDF
    import hashlib

    assert f"sha256: {hashlib.sha256(PDF).hexdigest()}" in ledger(ws)
    assert "完成权力清单梳理 <b>未加粗</b>" in clerk.page.inner_text("#item-2")  # typed markup shown as text
    clerk.shot("serve-ledger")

    # 3. 申请销号, citing the uploaded file.
    close = clerk.page.locator("#form-close")
    close.locator("input[name=cited]").check()
    close.locator("input[name=date]").fill("2020-04-20")
    close.locator("button[type=submit]").click()
    clerk.page.wait_for_load_state()
    assert clerk.page.inner_text("#state") == "待审核销号"

    # 4. Another unit's clerk: no queue, and a confirmation posted anyway is refused.
    outsider = Person(browser, base, "kailu")
    outsider.log_in()
    answer = outsider.goto("/review")
    assert answer.status == 403 and "没有审核权限" in outsider.page.inner_text("#error")
    outsider.goto("/unit/kailu")
    before = ledger(ws)
    posted = outsider.context.request.post(base + "/review/kerqin/2/confirm", form={"csrf_token": outsider.token(), "stamp": "", "date": "2020-04-21"})
    assert posted.status == 403 and "R216" in posted.text() and "kailu 不是任务 2 的审核人" in posted.text()
    assert ledger(ws) == before

    # 5. The lead unit's reviewer confirms from the queue.
    reviewer = Person(browser, base, "sifaju")
    reviewer.log_in("/review")
    item = reviewer.page.locator("#q-kerqin-2-review")
    assert "销号申请" in item.inner_text() and "evidence/kerqin/权力清单（2020）.pdf" in item.inner_text()
    reviewer.shot("serve-queue")
    confirm = item.locator("form[action$='/confirm']")
    confirm.locator("input[name=date]").fill("2020-04-22")
    confirm.locator("button[type=submit]").click()
    reviewer.page.wait_for_load_state()
    assert "确认销号" in reviewer.notices("ok") and reviewer.page.locator("#queue-empty").count() == 1

    # 6. Refused requests change nothing: no CSRF token, an upload named ../../x, an oversized one.
    clerk.goto("/unit/kerqin/task/1")
    token, stamp, before, count = clerk.token(), clerk.stamp(), ledger(ws), len(commits(ws))
    url = base + "/unit/kerqin/task/1/progress"
    pdf = {"name": "a.pdf", "mimeType": "application/pdf", "buffer": PDF}
    no_token = clerk.context.request.post(url, multipart={"stamp": stamp, "note": "无令牌", "date": "2020-04-23", "upload": pdf})
    assert no_token.status == 400 and "CSRF" in no_token.text()
    sneaky = clerk.context.request.post(
        url, multipart={"csrf_token": token, "stamp": stamp, "note": "路径", "date": "2020-04-23", "upload": {"name": "../../x", "mimeType": "application/pdf", "buffer": PDF}}
    )
    assert sneaky.status == 422 and "含有路径" in sneaky.text() and "路径" in sneaky.text()
    big = {"name": "big.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * (MAX_UPLOAD_KB * 1024)}
    oversized = clerk.context.request.post(url, multipart={"csrf_token": token, "stamp": stamp, "note": "太大", "date": "2020-04-23", "upload": big})
    assert oversized.status in (413, 422) and "上限" in oversized.text()
    assert ledger(ws) == before and len(commits(ws)) == count
    assert not (ws.parent.parent / "x").exists() and not (ws / "x").exists() and not (ws / "evidence" / "kerqin" / "big.pdf").exists()

    # 7. Two browsers on the same task: the first wins, the second is told and keeps its text.
    second = Person(browser, base, "kerqin")
    second.log_in("/unit/kerqin/task/1")
    clerk.goto("/unit/kerqin/task/1")
    for person, note in ((clerk, "召开专题会议听取汇报"), (second, "另一位同事的记录")):
        form = person.page.locator("#form-progress")
        form.locator("input[name=date]").fill("2020-05-06")
        form.locator("textarea[name=note]").fill(note)
    clerk.page.locator("#form-progress button[type=submit]").click()
    clerk.page.wait_for_load_state()
    assert "已提交" in clerk.notices("ok")
    with second.page.expect_navigation() as navigation:
        second.page.locator("#form-progress button[type=submit]").click()
    assert navigation.value.status == 409
    assert "R217" in second.notices("error") and "已被修改" in second.notices("error")
    assert second.page.locator("#form-progress textarea[name=note]").input_value() == "另一位同事的记录"
    assert "召开专题会议听取汇报" in ledger(ws) and "另一位同事的记录" not in ledger(ws)

    # 8. One commit per action, by the person who did it.
    kerqin, sifaju = LOGINS["kerqin"], LOGINS["sifaju"]
    assert commits(ws) == [
        (kerqin.name, kerqin.email, "工作进展: 科区 任务2 公布权力清单"),
        (kerqin.name, kerqin.email, "销号申请: 科区 任务2 公布权力清单"),
        (sifaju.name, sifaju.email, "确认销号: 科区 任务2 公布权力清单"),
        (kerqin.name, kerqin.email, "工作进展: 科区 任务1 专题听取汇报"),
    ]
    from git_helpers import git

    assert "evidence/kerqin/权力清单（2020）.pdf" in git(ws, "show", "--name-only", "--format=", "HEAD~3")
    assert git(ws, "status", "--porcelain").strip() == ""

    # 9. The status view with its charts, as of a day; no page broke its CSP or logged an error.
    reviewer.goto("/status?as_of=2020-08-06")
    assert reviewer.page.locator("svg.chart").count() == 3 and "2020年8月6日" in reviewer.page.inner_text("#as-of")
    reviewer.shot("serve-status")
    for person in (clerk, outsider, reviewer, second):
        assert [c for c in person.complaints if "403" not in c and "409" not in c] == [], person.complaints
        person.context.close()
