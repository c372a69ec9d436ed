"""The pages: the site's own templates (overview, unit, task: templates/site/) inside the web
layout, and the web's pages (templates/web/): the ledger entry with its forms, the reviewers'
queue, downloads, login. One sandboxed, autoescaping Jinja environment — the reports' own
(render.documents.environment) — so every text a user typed is escaped exactly as in the site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup

from fazhi_cli import __version__
from fazhi_cli.book.book import Book
from fazhi_cli.engine.report_context import invalid_ledgers
from fazhi_cli.engine.roles import Roles, norm, roles_of
from fazhi_cli.engine.state import State, derive, pending_extension
from fazhi_cli.engine.status import status_rows
from fazhi_cli.models.ledger import Action
from fazhi_cli.render.site import Links, SiteView
from fazhi_cli.render.text import cn_date

LAYOUT = "web/_layout.html.j2"
GENERATOR = f"fazhi {__version__}"

_ENV = []


def environment():
    if not _ENV:
        from fazhi_cli.render.documents import environment as report_environment

        _ENV.append(report_environment("html", None))
    return _ENV[0]


def render(template: str, **values) -> str:
    return environment().get_template(template).render(**values)


def stylesheets() -> dict[str, bytes]:
    env = environment()
    return {
        "site.css": env.get_template("site/site.css.j2").render().encode("utf-8"),
        "web.css": env.get_template("web/web.css.j2").render().encode("utf-8"),
    }


def with_day(path: str, day: dt.date | None) -> str:
    return f"{path}?{urlencode({'as_of': day.isoformat()})}" if day else path


def links(day: dt.date | None, entry_links: bool) -> Links:
    return Links(
        home=with_day("/status", day),
        stylesheet="/static/site.css",
        layout=LAYOUT,
        unit_page=lambda uid: with_day(f"/unit/{uid}", day),
        task_page=lambda tid: with_day(f"/task/{tid}", day),
        entry_page=(lambda uid, tid: f"/unit/{uid}/task/{tid}") if entry_links else None,
    )


@dataclass
class Viewer:
    """Who looks at a page: the identity the roles know, and what they may do."""

    login: str
    shown: str
    identity: str
    roles: Roles
    csrf: str = ""

    @property
    def units(self) -> list[str]:
        return self.roles.units_of(self.identity)

    @property
    def is_office(self) -> bool:
        return self.roles.is_office(self.identity)

    def may_edit(self, unit_id: str) -> bool:
        return self.roles.may_edit(self.identity, unit_id)

    def may_review(self, unit_id: str, task_id: int) -> bool:
        return self.roles.may_review(self.identity, unit_id, task_id)

    def reviews_anything(self, book: Book) -> bool:
        if not self.roles.configured or self.is_office:
            return True
        mine = set(self.units)
        return any(set(self.roles.reviewer_units(tid)) & mine for tid in book.plan.tasks)


def identity_for(login: str, email: str, roles: Roles) -> str:
    """The identity the roles know this user by: the login, or their e-mail when only that is
    listed in data/units.yaml."""
    known = set(roles.office).union(*roles.editors.values()) if roles.configured else set()
    if roles.configured and norm(login) not in known and email and norm(email) in known:
        return email
    return login


def viewer_for(book: Book, login: str, shown: str, email: str, csrf: str) -> Viewer:
    roles = roles_of(book.plan)
    return Viewer(login, shown, identity_for(login, email, roles), roles, csrf)


@dataclass
class Page:
    """What the layout shows around a page's body."""

    title: str
    viewer: Viewer | None
    book: Book | None = None
    day: dt.date | None = None  # the as-of date picker, when the page is a view as of a day
    path: str = "/"
    messages: list[tuple[str, str]] = field(default_factory=list)  # (kind: ok|error|warn, text)
    below: Markup | str = ""

    def values(self) -> dict:
        plan = self.book.plan if self.book is not None and self.book.plan is not None else None
        nav: list[tuple[str, str]] = [("/status", "全市总览")]
        v = self.viewer
        if v is not None and plan is not None:
            for uid in v.units:
                nav.append((f"/unit/{uid}", f"{plan.units[uid].label}台账"))
                if self.book.tasks_led_by(uid):
                    nav.append((f"/lead/{uid}", f"{plan.units[uid].label}牵头任务"))
            if v.reviews_anything(self.book):
                nav.append(("/review", "审核队列"))
        nav.append(("/downloads", "报表下载"))
        return {
            "page_title": self.title, "plan_title": plan.phases.title if plan else "法治政府建设工作台账", "viewer": v,
            "csrf": v.csrf if v else "", "nav": nav, "asof": self.day, "asof_cn": cn_date(self.day) if self.day else "", "here": self.path, "messages": self.messages,
            "below": self.below,
        }


def site_view(book: Book, day: dt.date) -> SiteView:
    from fazhi_cli.store.revision import current_revision

    return SiteView(book, day, revision=current_revision(book.ws.root), generator=GENERATOR, invalid=invalid_ledgers(book))


def site_page(page: Page, site: SiteView, template: str, values: dict, entry_links: bool) -> str:
    common = site.common(links(page.day if page.day != dt.date.today() else None, entry_links))
    return render(f"site/{template}", **page.values(), **common, **values)


# --- the reviewers' queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    kind: str  # review | extension
    kind_label: str
    unit_id: str
    unit_label: str
    task_id: int
    title: str
    since: str  # the date of the application or request
    due: str
    note: str
    evidence: list[str]
    by: str
    new_due: str
    reason: str
    stamp: str


def queue(book: Book, viewer: Viewer, day: dt.date) -> list[QueueItem]:
    """Applications (待审核销号) and extension requests (待审批) this viewer may decide."""
    from fazhi_cli.core.writes import entry_stamp

    view = book.as_of(day)
    plan = book.plan
    out = []
    for row in status_rows(view):
        if not viewer.may_review(row.unit_id, row.task.id):
            continue
        entry = book.entry(row.unit_id, row.task.id)
        stamp = entry_stamp(entry)
        unit = plan.units[row.unit_id]
        if row.state is State.PENDING_REVIEW and entry is not None:
            apply = next((item for item in reversed(entry.log) if item.action is Action.APPLY), None)
            out.append(QueueItem(
                "review", "销号申请", unit.id, unit.label, row.task.id, row.task.title, cn_date(apply.date) if apply else "", cn_date(row.due),
                apply.note or "" if apply else "", [_evidence_text(e) for e in (apply.evidence if apply else [])],
                " ".join(x for x in ((apply.name or ""), (apply.by or "")) if x) if apply else "", "", "", stamp,
            ))
        pending = pending_extension(row.entry) if row.entry is not None else None
        if pending is not None and derive(row.entry).state not in (State.PENDING_REVIEW, State.CLOSED):
            out.append(QueueItem(
                "extension", "延期申请", unit.id, unit.label, row.task.id, row.task.title, cn_date(pending.requested), cn_date(row.due),
                "", [], pending.by or "", cn_date(pending.new_due), pending.reason or "", stamp,
            ))
    return out


def _evidence_text(item) -> str:
    return getattr(item, "path", None) or str(item)
