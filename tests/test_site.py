"""`fazhi site` in a real browser: the static dashboard of a small workspace with ledger activity,
opened from disk in headless Chromium (one launch, driven over the DevTools protocol on a pipe).

The browser shows what `fazhi status --format json` says: the city's and every unit's completion
rate, 序时进度 and counts, the unit names, a bar per unit in the completion chart. The pages load
with no console message, no Content-Security-Policy violation and no request that is not a local
file; they contain no script and no external URL; a hostile note stays text.

Chromium is Debian's `chromium` (.ci/run installs it). Where `CI` is set a missing browser fails
the test; elsewhere the browser tests are skipped. The overview's screenshot is kept in the test's
temporary folder, and copied to $FAZHI_TEST_ARTIFACTS when that is set.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run_cli
from fazhi_cli.render.svg import BAR_W
from git_helpers import git, identify
from test_reports_workspace import TASKS, UNITS

AS_OF = "2020-08-06"
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> {{ 7*7 }} "引号"'
DOC = "通司发〔2020〕12号"


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def need_chromium() -> str:
    found = chromium_binary()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium is not installed (apt-get install chromium); in CI this test fails instead")
    return found


# --- the workspace ------------------------------------------------------------------------------


def make_workspace(path: Path) -> Path:
    """The report tests' small plan (6 units, 5 tasks), empty ledgers, and activity written with
    the commands themselves; one git commit, so the pages show a revision."""
    (path / "data").mkdir(parents=True)
    (path / "ledgers").mkdir()
    repo = Path(__file__).resolve().parents[1]
    (path / "data" / "units.yaml").write_text(UNITS, encoding="utf-8")
    (path / "data" / "tasks.yaml").write_text(TASKS, encoding="utf-8")
    shutil.copy(repo / "data" / "phases.yaml", path / "data" / "phases.yaml")
    shutil.copy(repo / "data" / "settings.yaml", path / "data" / "settings.yaml")

    def cli(*args: str) -> None:
        result = run_cli(*args, "--root", str(path), "--no-commit")
        assert result.exit_code == 0, (args, result.stdout, result.stderr)

    # kailu: tasks 2 and 3 closed (April and July), 1 in progress; kerqin: 2 pending, 3 with a
    # hostile note; gonganju: 3 closed (August). Everything else is not started.
    cli("close", "2", "--unit", "开鲁县", "--evidence", DOC, "--date", "2020-04-20")
    cli("confirm", "2", "--unit", "开鲁县", "--date", "2020-04-22")
    cli("close", "3", "--unit", "开鲁县", "--evidence", DOC, "--date", "2020-07-15")
    cli("confirm", "3", "--unit", "开鲁县", "--date", "2020-07-20")
    cli("progress", "1", "--unit", "开鲁县", "--note", "已安排专题汇报", "--date", "2020-05-06")
    cli("close", "2", "--unit", "科区", "--evidence", DOC, "--date", "2020-07-28")
    cli("progress", "3", "--unit", "科区", "--note", HOSTILE, "--date", "2020-06-01")
    cli("close", "3", "--unit", "公安局", "--evidence", DOC, "--date", "2020-08-03")
    cli("confirm", "3", "--unit", "公安局", "--date", "2020-08-04")
    git(path, "init", "-q", "-b", "main")
    identify(path, "office@yfb.gov.cn", "依法治市办")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "台账")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(workspace, site folder, `fazhi status --format json` records) as of AS_OF."""
    ws = make_workspace(tmp_path_factory.mktemp("site") / "ws")
    out = ws.parent / "site"
    result = run_cli("site", "--root", str(ws), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.stdout + result.stderr
    status = run_cli("status", "--root", str(ws), "--as-of", AS_OF, "--format", "json")
    assert status.exit_code == 0, status.stderr
    return ws, out, {r["unit"]: r for r in json.loads(status.stdout)}


# --- the browser, over the DevTools protocol on a pipe (--remote-debugging-pipe) -----------------


class Browser:
    """One headless Chromium; `open(url)` loads a page and returns its DOM, console and log
    messages, and every request it made."""

    def __init__(self, binary: str, profile: Path):
        self.read_fd, child_write = os.pipe()
        child_read, self.write_fd = os.pipe()

        def fds() -> None:  # the child reads commands on fd 3 and writes answers on fd 4
            os.dup2(child_read, 100)
            os.dup2(child_write, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(child_read)
        os.close(child_write)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=self.session)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise AssertionError("Chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise AssertionError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, timeout: float = 20, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params} | ({"sessionId": session} if session else {})
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self.next_id:
                assert "error" not in answer, (method, answer["error"])
                return answer.get("result", {})
            self.events.append(answer)

    def open(self, url: str) -> dict:
        self.events = []
        self.call("Page.navigate", session=self.session, url=url)
        deadline = time.monotonic() + 20
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(deadline))
        dom = self.evaluate("document.documentElement.outerHTML")
        return {
            "dom": dom,
            "messages": [e["params"] for e in self.events if e.get("method") in ("Log.entryAdded", "Runtime.consoleAPICalled", "Runtime.exceptionThrown")],
            "requests": [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"],
            "failed": [e["params"] for e in self.events if e.get("method") == "Network.loadingFailed"],
        }

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", session=self.session, expression=expression, returnByValue=True)["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280) -> None:
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.call("Emulation.setDeviceMetricsOverride", session=self.session, width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", session=self.session, format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except AssertionError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.read_fd)
        os.close(self.write_fd)


@pytest.fixture(scope="module")
def pages(built):
    """The overview, kerqin's page and task 3's page as Chromium rendered them (one launch), and a
    screenshot of the overview."""
    binary = need_chromium()
    ws, out, status = built
    profile = Path(tempfile.mkdtemp(prefix="fazhi-chromium-"))
    browser = Browser(binary, profile)
    try:
        loaded = {name: browser.open((out / name).as_uri()) for name in ("unit-kerqin.html", "task-3.html", "index.html")}
        browser.screenshot(out.parent / "site-overview.png")
        if os.environ.get("FAZHI_TEST_ARTIFACTS"):  # CI keeps the screenshot
            Path(os.environ["FAZHI_TEST_ARTIFACTS"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(out.parent / "site-overview.png", Path(os.environ["FAZHI_TEST_ARTIFACTS"]) / "site-overview.png")
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    return loaded


# --- reading the DOM ------------------------------------------------------------------------------


class Dom(HTMLParser):
    """Elements as (tag, attributes, text) and the text of each element by id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, list[str]]] = []
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = (tag, dict(attrs), [])
        self.elements.append(element)
        if tag not in ("meta", "link", "br", "img", "input", "line", "rect", "path", "circle"):
            self.stack.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for element in self.stack:
            element[2].append(data)

    def text(self, element_id: str) -> str:
        found = [e for e in self.elements if e[1].get("id") == element_id]
        assert found, f"no element #{element_id}"
        return "".join(found[0][2]).strip()

    def cells(self, row_id: str) -> dict[str, str]:
        """The text of each classed element in the table row with id `row_id`, by its last class."""
        start = next(i for i, e in enumerate(self.elements) if e[1].get("id") == row_id)
        out = {}
        for e in self.elements[start + 1 :]:
            if e[0] == "tr":
                break
            if e[1].get("class"):
                out.setdefault(e[1]["class"].split()[-1], "".join(e[2]).strip())
        return out

    def inside(self, element_id: str, tag: str, cls: str | None = None) -> list[tuple[str, dict, list[str]]]:
        """Elements `tag` (with class `cls`) inside the element with id `element_id`."""
        start = next(i for i, e in enumerate(self.elements) if e[1].get("id") == element_id)
        container = self.elements[start]
        out = []
        for e in self.elements[start + 1 :]:
            if e[0] == container[0] and e[1].get("id") and e[1].get("id") != element_id and tag != container[0]:
                break  # the next chart
            if e[0] == tag and (cls is None or cls in e[1].get("class", "").split()):
                out.append(e)
        return out


def pct(rate: float) -> str:
    number = round(rate * 100, 1)
    return f"{int(number)}%" if float(number).is_integer() else f"{number}%"


def kpi(dom: Dom, name: str) -> str:
    return re.sub(r"\s+", "", dom.text(f"kpi-{name}"))


# --- the tests ----------------------------------------------------------------------------------


def test_every_page_loads_clean_from_disk(pages, built):
    """No console message, no CSP violation, nothing failed, every request a local file; the CSP
    meta tag is there; no script, event handler, style attribute or external URL in the DOM."""
    _, out, _ = built
    for name, page in pages.items():
        assert page["messages"] == [], (name, page["messages"])
        assert page["failed"] == [], (name, page["failed"])
        assert page["requests"] and all(url.startswith("file://") for url in page["requests"]), (name, page["requests"])
        assert (out / "site.css").as_uri() in page["requests"], name
        dom = Dom(page["dom"])
        csp = [e[1]["content"] for e in dom.elements if e[0] == "meta" and e[1].get("http-equiv") == "Content-Security-Policy"]
        assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0], name
        assert not [e for e in dom.elements if e[0] in ("script", "iframe", "object", "embed")], name
        for tag, attrs, _ in dom.elements:
            assert not [a for a in attrs if a.startswith("on") or a == "style"], (name, tag, attrs)
            for key in ("src", "href"):
                assert not re.match(r"\s*(https?:|//|javascript:)", attrs.get(key) or "", re.I), (name, tag, attrs)


def test_the_overview_shows_the_status_numbers(pages, built):
    _, _, status = built
    dom = Dom(pages["index.html"]["dom"])
    records = list(status.values())
    total = sum(r["total"] for r in records)
    closed = sum(r["closed"] for r in records)
    assert kpi(dom, "closed") == f"{closed}已销号"
    assert kpi(dom, "pending") == f"{sum(r['pending_review'] for r in records)}待审核销号"
    assert kpi(dom, "overdue") == f"{sum(r['overdue'] for r in records)}逾期未完成"
    assert kpi(dom, "rate") == f"{pct(closed / total)}完成率（已销号）"
    ranking = [e for e in dom.elements if e[0] == "tr" and "unit-row" in e[1].get("class", "")]
    assert len(ranking) == len(status)
    columns = ("total", "closed", "pending_review", "in_progress", "not_started", "overdue", "due_soon")
    for unit, record in status.items():
        cells = dom.cells(f"rank-{unit}")
        assert cells["unit-name"] == record["unit_name"], unit
        assert [cells[c.replace("_review", "").replace("_", "-")] for c in columns] == [str(record[c]) for c in columns], unit
        assert (cells["rate"], cells["expected"]) == (pct(record["completion_rate"]), pct(record["expected_rate"])), unit
    # the completion-rate chart: one bar per unit, each as long as its rate, labelled with it
    bars = dom.inside("chart-rate", "rect", "bar")
    assert len(bars) == len(status)
    widths = sorted(float(b[1]["width"]) for b in bars)
    assert all(abs(a - b) < 0.2 for a, b in zip(widths, sorted(BAR_W * r["completion_rate"] for r in status.values())))
    labels = {"".join(e[2]) for e in dom.inside("chart-rate", "text", "label")}
    assert {r["unit_name"] for r in status.values()} <= labels
    # overdue by lead unit: one bar per lead unit (sifaju leads 1, 2, 4; gonganju 3, 5)
    assert len(dom.inside("chart-overdue", "rect", "bar")) == 2
    # the closing curve has its series and the phases' deadlines
    assert len(dom.inside("chart-closing", "path", "series")) == 3
    assert len(dom.inside("chart-closing", "line", "deadline")) == 5
    assert "截至 2020年8月6日" in dom.text("as-of") and re.fullmatch(r"[0-9a-f]{7,}", dom.text("revision"))


def test_a_unit_page_and_a_task_page(pages, built):
    ws, _, status = built
    tasks = json.loads(run_cli("tasks", "--root", str(ws), "--format", "json").stdout)
    task3 = next(t for t in tasks if t["id"] == 3)
    kerqin = status["kerqin"]
    dom = Dom(pages["unit-kerqin.html"]["dom"])
    assert dom.text("unit-name") == "科尔沁区"
    assert kpi(dom, "rate") == f"{pct(kerqin['completion_rate'])}完成率（已销号）"
    assert kpi(dom, "expected") == f"{pct(kerqin['expected_rate'])}序时进度"
    assert kpi(dom, "total") == f"{kerqin['total']}承担事项"
    assert kpi(dom, "pending") == f"{kerqin['pending_review']}待审核销号"
    assert kpi(dom, "overdue") == f"{kerqin['overdue']}逾期未完成"
    assert len([e for e in dom.elements if e[0] == "tr" and e[1].get("class") == "row"]) == kerqin["total"]
    # the hostile note is shown as text; nothing of it became an element
    assert HOSTILE in dom.text("item-3")
    assert not [e for e in dom.elements if e[0] in ("script", "img")]
    task = Dom(pages["task-3.html"]["dom"])
    assert task.text("task-title").startswith("任务3")
    carrying = [uid for uid in status if f'id="row-{uid}"' in pages["task-3.html"]["dom"]]
    assert carrying and sorted(carrying) == sorted(set(task3["lead"]) | set(task3["responsible"]))
    assert "已销号" in task.text("row-kailu") and "已销号" in task.text("row-gonganju")
    assert kpi(task, "closed") == "2已销号"


def test_the_overview_screenshot_is_kept(pages, built):
    shot = built[1].parent / "site-overview.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000, shot


# --- no browser needed --------------------------------------------------------------------------


def test_a_rebuild_writes_only_what_changed_and_removes_stale_pages(built, tmp_path):
    ws, out, _ = built
    copy = tmp_path / "site"
    shutil.copytree(out, copy)
    again = run_cli("site", "--root", str(ws), "--as-of", AS_OF, "-o", str(copy))
    assert again.exit_code == 0 and "写入 0 个" in again.stderr, again.stderr
    (copy / "task-99.html").write_text("old", encoding="utf-8")  # listed by a previous build …
    (copy / ".fazhi-site").write_text(json.dumps(json.loads((copy / ".fazhi-site").read_text()) + ["task-99.html", "notes.txt"]))
    (copy / "notes.txt").write_text("mine", encoding="utf-8")  # … but not named as the site names its files
    stamp = (copy / "index.html").stat().st_mtime_ns
    later = run_cli("site", "--root", str(ws), "--as-of", "2020-08-07", "-o", str(copy))
    assert later.exit_code == 0, later.stderr
    assert not (copy / "task-99.html").exists() and (copy / "notes.txt").read_text() == "mine"
    assert "2020年8月7日" in (copy / "index.html").read_text(encoding="utf-8") and (copy / "index.html").stat().st_mtime_ns != stamp


def test_the_site_is_never_written_into_the_records_or_a_foreign_folder(built, tmp_path):
    ws, _, _ = built
    for folder in ("data/site", "ledgers", "templates/x", ".git/site"):
        result = run_cli("site", "--root", str(ws), "--as-of", AS_OF, "-o", str(ws / folder))
        assert result.exit_code == 1 and "R212" in result.stderr, (folder, result.stderr)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "index.html").write_text("my page", encoding="utf-8")
    result = run_cli("site", "--root", str(ws), "--as-of", AS_OF, "-o", str(foreign))
    assert result.exit_code == 1 and (foreign / "index.html").read_text() == "my page"
    assert git(ws, "status", "--porcelain") == ""
