"""The Flask application: routes, identity and CSRF on every request, security headers.

Flask because the write path is synchronous (file locks, git subprocesses) and Flask is a plain
WSGI application on Werkzeug — mature multipart parsing with size limits, a test client — with
Jinja, which the site's templates already use. Served by waitress (cli/serve.py): pure Python,
production-grade, the same on the office's Windows server as on Linux.
"""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import Markup

from fazhi_cli.book.book import Book
from fazhi_cli.book.load import open_book
from fazhi_cli.core.lookup import Refusal, parse_day
from fazhi_cli.core.writes import CommitFailure, entry_stamp
from fazhi_cli.engine.actions import Who
from fazhi_cli.engine.state import DONE_STATES, STATE_LABELS, State, derive, pending_extension
from fazhi_cli.models.plan import Measure
from fazhi_cli.store.revision import current_revision
from fazhi_cli.store.source import SourceError
from fazhi_cli.store.workspace import WorkspaceNotFound
from fazhi_cli.web import auth, downloads, forms, pages
from fazhi_cli.web.config import MB, ServeConfig
from fazhi_cli.web.sync import Sync
from fazhi_cli.web.uploads import UploadRefused, discard, save_evidence

CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
FORM_SLACK = 1 * MB  # a request may exceed the upload limit by this much (its text fields); a file is checked on its own
PUBLIC = {"login", "static", "health"}


@dataclass
class Server:
    config: ServeConfig
    sync: Sync
    throttle: auth.Throttle = field(default_factory=auth.Throttle)
    styles: dict[str, bytes] = field(default_factory=pages.stylesheets)

    def writing(self):
        """Held around a pull, a write and its push when a central repository is in use."""
        return self.sync.lock if self.sync.active else nullcontext()


def create_app(config: ServeConfig):
    from flask import Flask, Response, g, redirect, request, session
    from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

    app = Flask("fazhi_cli.web", static_folder=None, template_folder=None)
    app.secret_key = auth.secret_key(config.secret_path)
    app.config.update(
        SESSION_COOKIE_NAME="fazhi_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.cookie_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config.session_hours),
        MAX_CONTENT_LENGTH=config.max_upload + FORM_SLACK,
        MAX_FORM_MEMORY_SIZE=FORM_SLACK,
    )
    server = Server(config, Sync(config.root, config.sync))
    app.extensions["fazhi"] = server

    # --- identity, CSRF, headers ------------------------------------------------------------

    @app.before_request
    def identify():
        g.user = None
        g.proxied = False
        user = auth.proxy_user(request.environ, config.trust_proxy, config.user_header, config.users_path)
        if user is not None:
            g.user, g.proxied = user, True
        elif session.get("login"):
            try:
                g.user = auth.session_user(config.users_path, session["login"], session.get("fp", ""))
            except auth.AuthError:
                g.user = None
            if g.user is None:
                session.pop("login", None)
        if request.method == "POST" and not auth.csrf_ok(session, request.form.get(auth.CSRF_FIELD)):
            return error_page(400, "请求缺少有效的安全令牌（CSRF），未作任何修改。请刷新页面后重新提交（登录超时也会如此）。")
        if g.user is None and request.endpoint not in PUBLIC:
            if request.method == "GET":
                return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}), 303)
            return error_page(401, "请先登录。")
        return None

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    # --- helpers ------------------------------------------------------------------------------

    def today() -> dt.date:
        return dt.date.today()

    def book_or_error() -> Book:
        try:
            book = open_book(config.root)
        except (WorkspaceNotFound, SourceError) as exc:
            raise Stop(error_page(500, f"无法打开工作区：{getattr(exc, 'message', exc)}"))
        if book.plan is None:
            problems = [p.as_text() for p in book.plan_problems if p.is_error][:10]
            raise Stop(error_page(500, "方案数据（data/ 目录）有错误，暂时无法使用；请依法治市办运行 `fazhi check` 改正。", problems))
        return book

    def viewer(book: Book) -> pages.Viewer:
        user = g.user
        return pages.viewer_for(book, user.login, user.shown, user.email, auth.csrf_token(session))

    def page(title: str, book: Book | None, **kw) -> pages.Page:
        messages = session.pop("flash", []) if "flash" in session else []
        return pages.Page(title, viewer(book) if book is not None and g.user else None, book, path=request.path, messages=[tuple(m) for m in messages] + kw.pop("messages", []), **kw)

    def flash(kind: str, text: str) -> None:
        session["flash"] = [*session.get("flash", []), [kind, text]][-5:]

    def as_of() -> tuple[dt.date, list[tuple[str, str]]]:
        text = (request.args.get("as_of") or "").strip()
        if not text:
            return today(), []
        try:
            return parse_day(text, "统计日期", today()), []
        except Refusal as exc:
            return today(), [("error", exc.problems[0].message)]

    def html(text: str, status: int = 200):
        return Response(text, status=status, mimetype="text/html")

    def error_page(status: int, message: str, details: list[str] | None = None):
        user = getattr(g, "user", None)
        values = pages.Page("出错了", None).values()
        values.update(viewer=None, csrf=auth.csrf_token(session) if user else "")
        return html(pages.render("web/error.html.j2", **values, status=status, message=message, details=details or []), status)

    def unit_or_404(book: Book, unit_id: str):
        unit = book.plan.units.get(unit_id)
        if unit is None:
            raise Stop(error_page(404, f"没有单位“{unit_id}”。"))
        return unit

    def site_as_asked() -> tuple[Book, dt.date, list[tuple[str, str]], pages.SiteView]:
        """The workspace, the day asked for (`?as_of=`, else today), the notices about that day,
        and the dashboard's view of the workspace as of it."""
        book = book_or_error()
        day, messages = as_of()
        return book, day, messages, pages.site_view(book, day)

    @app.errorhandler(Stop)
    def stopped(exc):
        return exc.response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        return error_page(413, f"上传的内容太大（上限 {config.max_upload // MB if config.max_upload >= MB else config.max_upload // 1024} {'MB' if config.max_upload >= MB else 'KB'}），未作任何修改；请压缩或拆分文件后再上传。")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {404: "没有这个页面。", 405: "不支持这种请求方式。", 400: "请求无效。"}
        return error_page(exc.code or 500, messages.get(exc.code, "请求无法处理。"))

    @app.errorhandler(Exception)
    def internal(exc):
        traceback.print_exception(exc, file=sys.stderr)
        return error_page(500, "内部错误：这是 fazhi 的缺陷，不是您的操作问题；没有文件被部分写入。请把出错的时间和操作告诉维护人员。")

    # --- login --------------------------------------------------------------------------------

    def safe_next(target: str | None) -> str:
        target = target or "/"
        return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"

    @app.route("/login", methods=["GET", "POST"])
    def login():
        values = pages.Page("登录", None).values()
        values.update(csrf=auth.csrf_token(session), next=safe_next(request.values.get("next")), login="", proxied=bool(config.trust_proxy))
        if request.method == "GET":
            if g.user is not None:
                return redirect(values["next"], 303)
            return html(pages.render("web/login.html.j2", **values, error=""))
        name = (request.form.get("login") or "").strip()
        password = request.form.get("password") or ""
        keys = (f"login:{name.lower()}",) + (() if request.remote_addr in config.trust_proxy else (f"addr:{request.remote_addr}",))
        values["login"] = name
        if server.throttle.blocked(*keys):
            return html(pages.render("web/login.html.j2", **values, error="登录失败次数过多，请 15 分钟后再试。"), 429)
        try:
            user = auth.verify_password(config.users_path, name, password) if name and password else None
        except auth.AuthError as exc:
            return html(pages.render("web/login.html.j2", **values, error=exc.message), 500)
        if user is None:
            server.throttle.failed(*keys)
            return html(pages.render("web/login.html.j2", **values, error="登录名或密码不正确。"), 401)
        server.throttle.succeeded(*keys)
        session.clear()
        session.permanent = True
        session.update(login=user.login, fp=user.fingerprint)
        auth.csrf_token(session)
        return redirect(values["next"], 303)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect("/login", 303)

    @app.get("/health")
    def health():
        return Response("ok\n", mimetype="text/plain")

    @app.get("/static/<name>")
    def static(name: str):
        data = server.styles.get(name)
        if data is None:
            return error_page(404, "没有这个文件。")
        response = Response(data, mimetype="text/css")
        response.headers["Cache-Control"] = "max-age=300"
        return response

    # --- views as of a day --------------------------------------------------------------------

    @app.get("/")
    def home():
        book = book_or_error()
        mine = viewer(book).units
        return redirect(f"/unit/{mine[0]}" if len(mine) == 1 else "/status", 303)

    @app.get("/status")
    def status():
        book, day, messages, site = site_as_asked()
        p = page("全市总览", book, day=day, messages=messages)
        return html(pages.site_page(p, site, "index.html.j2", site.index_values(), entry_links=False))

    @app.get("/unit/<unit_id>")
    def unit_view(unit_id: str):
        book, day, messages, site = site_as_asked()
        unit = unit_or_404(book, unit_id)
        values = site.unit_values(unit.id)
        if values is None:
            bad = book.ledger_files.get(unit.id)
            details = [p.as_text() for p in bad.problems if p.is_error][:10] if bad else []
            return error_page(409, f"{unit.label}的台账（ledgers/{unit.id}.yaml）有错误，暂时无法显示和填报；请先改正（`fazhi check` 可列出全部问题）。", details)
        v = viewer(book)
        below = ""
        if v.may_edit(unit.id) and day == today():
            below = Markup(pages.render("web/claims.html.j2", csrf=v.csrf, unit=unit, claimable=claimable(book, unit.id)))
        p = page(f"{unit.label}台账", book, day=day, messages=messages, below=below)
        entry_links = v.may_edit(unit.id) or any(v.may_review(unit.id, r.task_id) for r in values["rows"])
        return html(pages.site_page(p, site, "unit.html.j2", values, entry_links=entry_links))

    @app.get("/task/<int:task_id>")
    def task_view(task_id: int):
        book, day, messages, site = site_as_asked()
        values = site.task_values(task_id)
        if values is None:
            return error_page(404, f"没有任务 {task_id}。")
        p = page(f"任务{task_id}", book, day=day, messages=messages)
        return html(pages.site_page(p, site, "task.html.j2", values, entry_links=False))

    @app.get("/lead/<unit_id>")
    def lead_view(unit_id: str):
        book, day, messages, site = site_as_asked()
        unit = unit_or_404(book, unit_id)
        led = site.view.tasks_led_by(unit.id)  # (the view is the workspace as of that day)
        if not led:
            return error_page(404, f"{unit.label}不是任何任务的牵头单位。")
        p = page(f"{unit.label}牵头的任务", book, day=day, messages=messages)
        groups = [values for values in map(site.task_values, led) if values is not None]
        common = site.common(pages.links(day if day != today() else None, False))
        lines = [line for line in site.ctx.tasks if line.task_id in led]
        return html(pages.render("web/lead.html.j2", **p.values(), **common, unit=unit, groups=groups, lines=lines))

    # --- the ledger entry and its forms -------------------------------------------------------

    def claimable(book: Book, unit_id: str) -> list:
        out = []
        for tid, resp in sorted(book.responsibilities.items()):
            if resp.open_groups and unit_id not in resp.everyone:
                out.append(book.plan.tasks[tid])
        return out

    def entry_page(book: Book, unit_id: str, task_id: int, *, typed: forms.Typed | None = None, errors: list[str] | None = None, status: int = 200):
        unit = unit_or_404(book, unit_id)
        task = book.plan.tasks.get(task_id)
        if task is None:
            return error_page(404, f"没有任务 {task_id}。")
        if not book.carries(unit, task_id):
            return error_page(404, f"{unit.label}不承担任务 {task_id}（{task.title}）。")
        site = pages.site_view(book, today())
        values = site.unit_values(unit.id)
        if values is None:
            return unit_view(unit_id)
        row = next(r for r in values["rows"] if r.task_id == task_id)
        entry = book.entry(unit.id, task_id)
        state = derive(entry).state if entry is not None else State.NOT_STARTED
        v = viewer(book)
        cited = []
        for item in [*(entry.progress if entry else []), *(entry.records if entry else [])]:
            for e in item.evidence:
                path = getattr(e, "path", None)
                if path and path not in cited:
                    cited.append(path)
        plan_values = entry.plan if entry is not None and entry.plan is not None else None
        defaults = {
            "plan": {"leader": plan_values.leader if plan_values else "", "owner": plan_values.owner if plan_values else "",
                     "measures": plan_values.measures if plan_values else "", "due": plan_values.due.isoformat() if plan_values and plan_values.due else ""},
            "close": {"name": g.user.name},
        }
        if typed is not None:
            defaults[typed.action] = typed.values
        shown = {
            "plan": True, "progress": True, "record": bool(task.targets), "close": state not in DONE_STATES,
            "extend": state not in DONE_STATES and (entry is None or pending_extension(entry) is None),
        }
        p = page(f"{unit.label} · 任务{task_id}", book)
        if errors:
            in_form = typed is not None and v.may_edit(unit.id) and shown.get(typed.action, False)
            p.messages.append(("error", "未能提交，未作任何修改" + ("（见下方表单）" if in_form else "：" + "；".join(errors))))
        return html(pages.render(
            "web/entry.html.j2", **p.values(), **site.common(pages.links(None, False)), unit=unit, task=task, r=row, state_label=STATE_LABELS[state],
            may_edit=v.may_edit(unit.id), may_review=v.may_review(unit.id, task_id), pending=state is State.PENDING_REVIEW,
            stamp=entry_stamp(entry), shown=shown, values=defaults, errors={typed.action: errors or []} if typed else {}, cited=cited,
            targets=[(t.key, t.label, t.measure is not Measure.COUNT, t.unit) for t in task.targets], forms=forms.FORMS,
            max_upload=config.max_upload, upload_types=config.upload_types, today=today().isoformat(),
        ), status)

    @app.get("/unit/<unit_id>/task/<int:task_id>")
    def entry_view(unit_id: str, task_id: int):
        return entry_page(book_or_error(), unit_id, task_id)

    def write(spec: forms.FormSpec, unit_id: str, task_id: int, refused, done: str):
        """Run one form's write as the logged-in user; `refused(book, typed, messages, status)`
        renders the form again with what was typed; on success, back to `done`."""
        typed = forms.typed_from(spec, request.form)
        expect = request.form.get("stamp") or None
        uploads = [f for f in request.files.getlist("upload") if f and (f.filename or "")] if spec.uploads else []
        root = config.root
        with server.writing():
            if server.sync.active:
                pulled = server.sync.pull()
                if not pulled.ok:
                    return refused(book_or_error(), typed, [pulled.message], 502)
            book = book_or_error()
            unit_or_404(book, unit_id)
            v = viewer(book)
            if not v.may_edit(unit_id):
                uploads = []  # nothing is stored for someone who may not fill in this ledger: the write is refused (R214)
            saved = []
            try:
                for upload in uploads:
                    data = upload.stream.read(config.max_upload + 1)
                    saved.append(save_evidence(root, unit_id, upload.filename, data, limit=config.max_upload, allowed=config.upload_types))
            except UploadRefused as exc:
                discard(root, saved)
                return refused(book, typed, [exc.message], 422)
            before = server.sync.head() if server.sync.active else None
            try:
                result = forms.run(
                    book, spec, unit_id, task_id, typed, who=Who(v.identity, typed.text("name")), author=g.user.author, today=today(),
                    expect=expect, uploaded=[s.relative for s in saved],
                )
            except Refusal as exc:
                discard(root, saved)
                codes = {p.code for p in exc.problems}
                status = 409 if "R217" in codes else 403 if codes & {"R213", "R214", "R215", "R216"} else 422
                return refused(book, typed, [f"{forms.for_the_page(p.message)}（{p.code}）" for p in exc.problems], status)
            if isinstance(result.commit_warning, CommitFailure):
                return refused(book_or_error(), typed, [str(result.commit_warning)], 500)
            if server.sync.active and result.commit:
                pushed = server.sync.push(v.identity)
                if not pushed.ok:
                    why = server.sync.rollback(before)
                    lines = [pushed.message, *pushed.lines, why or "本次提交已在本地撤回（没有强制推送）；请按上述原因修改后重新提交。"]
                    return refused(book_or_error(), typed, lines, 409)
        if result.changed:
            flash("ok", f"已提交：{result.unit.label} 任务{result.task.id}（{result.task.title}）{result.summary or spec.label}")
        else:
            flash("ok", "没有变化：台账已是所填的内容")
        for warning in result.warnings:
            flash("warn", warning)
        if isinstance(result.commit_warning, str) and result.commit_warning:
            flash("warn", result.commit_warning)
        return redirect(done, 303)

    @app.post("/unit/<unit_id>/task/<int:task_id>/<action>")
    def entry_post(unit_id: str, task_id: int, action: str):
        spec = forms.FORMS.get(action)
        if spec is None or spec.review:
            return error_page(404, "没有这个操作。")

        def refused(book, typed, messages, status):
            if action == "claim":
                for m in messages:
                    flash("error", m)
                return redirect(f"/unit/{unit_id}", 303)
            return entry_page(book, unit_id, task_id, typed=typed, errors=messages, status=status)

        back = f"/unit/{unit_id}" if action == "claim" else f"/unit/{unit_id}/task/{task_id}"
        return write(spec, unit_id, task_id, refused, back)

    # --- the reviewers' queue -----------------------------------------------------------------

    def queue_page(book: Book, *, typed: forms.Typed | None = None, key: str = "", errors: list[str] | None = None, status: int = 200):
        v = viewer(book)
        if not v.reviews_anything(book):
            return error_page(403, "您没有审核权限：审核队列只对依法治市办和牵头单位的编辑人员开放。")
        items = pages.queue(book, v, today())
        p = page("审核队列", book)
        return html(pages.render(
            "web/queue.html.j2", **p.values(), items=items, typed=typed.values if typed else {}, key=key, errors=errors or [],
            name=g.user.name, today=today().isoformat(),
        ), status)

    @app.get("/review")
    def review_view():
        return queue_page(book_or_error())

    @app.post("/review/<unit_id>/<int:task_id>/<action>")
    def review_post(unit_id: str, task_id: int, action: str):
        spec = forms.FORMS.get(action)
        if spec is None or not spec.review:
            return error_page(404, "没有这个操作。")
        kind = "review" if action in ("confirm", "reject") else "extension"

        def refused(book, typed, messages, status):
            v = viewer(book)
            if not v.reviews_anything(book):
                return error_page(status if status == 403 else 403, "您没有审核权限：" + "；".join(messages))
            return queue_page(book, typed=typed, key=f"{unit_id}-{task_id}-{kind}", errors=messages, status=status)

        return write(spec, unit_id, task_id, refused, "/review")

    # --- downloads and evidence -----------------------------------------------------------------

    @app.get("/downloads")
    def downloads_view():
        book = book_or_error()
        from fazhi_cli.engine.report_kinds import report_specs

        day, messages = as_of()
        v = viewer(book)
        p = page("报表下载", book, messages=messages)
        units = [(u.id, u.label) for u in book.plan.units.values()]
        leads = [(uid, label) for uid, label in units if book.tasks_led_by(uid)]
        mine = v.units[0] if v.units else ""
        return html(pages.render(
            "web/downloads.html.j2", **p.values(), specs=report_specs(book.plan), units=units, leads=leads, mine=mine, day=day.isoformat(),
            report_formats=downloads.REPORT_FORMATS, export_formats=downloads.EXPORT_FORMATS, scopes=downloads.SCOPES,
        ))

    def send(download: downloads.Download):
        response = Response(download.data, mimetype=download.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{download.name}"'
        return response

    def download_args() -> tuple[str, str | None, dt.date]:
        scope = request.args.get("scope", "office")
        unit = request.args.get("unit_lead") if scope == "lead" else request.args.get("unit") if scope == "unit" else None
        day, messages = as_of()
        if messages:
            raise Stop(error_page(422, messages[0][1]))
        return scope, unit or None, day

    @app.get("/download/report")
    def download_report():
        book = book_or_error()
        scope, unit, day = download_args()
        try:
            return send(downloads.report(book, request.args.get("kind", ""), scope, unit, day, request.args.get("format", "docx"), current_revision(book.ws.root), pages.GENERATOR))
        except downloads.DownloadRefused as exc:
            return error_page(422, exc.message)

    @app.get("/download/export")
    def download_export():
        book = book_or_error()
        scope, unit, day = download_args()
        try:
            return send(downloads.export(book, scope, unit, day, request.args.get("format", "xlsx")))
        except downloads.DownloadRefused as exc:
            return error_page(422, exc.message)

    @app.get("/evidence/<unit_id>/<name>")
    def evidence(unit_id: str, name: str):
        from fazhi_cli.store.files import inside

        book = book_or_error()
        unit_or_404(book, unit_id)
        root = config.root
        path = root / "evidence" / unit_id / name
        relative = inside(root, path)
        if "/" in name or "\\" in name or name.startswith(".") or relative != f"evidence/{unit_id}/{name}" or path.is_symlink() or not path.is_file():
            return error_page(404, "没有这个佐证材料文件。")
        response = Response(path.read_bytes(), mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + _quote(name)
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    return app


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


class Stop(Exception):
    """Stop handling a request with this response (an error page)."""

    def __init__(self, response):
        super().__init__("stop")
        self.response = response

