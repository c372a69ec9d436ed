"""催办通知单 written out: the template context (md, docx), the plain text shown in the terminal
and sent as the mail body, JSON, and the e-mail messages themselves (email.message.EmailMessage,
UTF-8 subject and body, the .docx notice attached)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from fazhi_cli.book.plan import Plan
from fazhi_cli.engine.remind import ITEM_LABELS, OFFICE, Item, ItemKind, Notice, Reminders
from fazhi_cli.engine.state import STATE_LABELS
from fazhi_cli.models.common import EMAIL
from fazhi_cli.render.text import clean_text, cn_date

TITLE = "催办通知单"


@dataclass(frozen=True)
class ItemLine:
    kind: str
    kind_label: str
    task_id: int
    title: str
    unit_id: str
    unit_label: str  # whose item it is (for reviews: the unit that applied)
    due: str
    due_cn: str
    days_left: int
    days_overdue: int
    when: str  # 逾期12天 / 还剩3天 / 今天到期 / 2020年7月20日申请 …
    state_label: str
    since_cn: str
    new_due_cn: str
    key: str


@dataclass(frozen=True)
class NoticeView:
    addressee: str
    closing: str  # the request that ends the notice
    name: str  # 主送: the unit's full name, or 依法治市办
    label: str
    recipients: list[str]  # e-mail addresses among the identities
    identities: list[str]
    overdue: list[ItemLine]
    due: list[ItemLine]
    own_extensions: list[ItemLine]
    reviews: list[ItemLine]
    extensions: list[ItemLine]
    count: int


@dataclass(frozen=True)
class RemindMeta:
    kind: str  # template name: remind
    title: str
    office: str
    plan_title: str
    year: int
    as_of: str
    as_of_cn: str
    windows: list[int]
    overdue_every: int
    footer: str


@dataclass
class RemindContext:
    """What remind.*.j2 receive (and `fazhi remind --format json` prints)."""

    meta: RemindMeta
    notices: list[NoticeView] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def is_email(identity: str) -> bool:
    return bool(EMAIL.fullmatch(identity))


def office_name(plan: Plan) -> str:
    """The office's full name for the 落款 (the unit data/units.yaml names as `office.unit`)."""
    office = plan.units.get(plan.office_unit_id or "")
    return office.name if office else "依法治市办"


def addressee_name(plan: Plan, addressee: str) -> tuple[str, str]:
    if addressee == OFFICE:
        return "依法治市办审核人员", "依法治市办"
    unit = plan.units[addressee]
    return unit.name, unit.label


def when_text(item: Item) -> str:
    if item.kind is ItemKind.OVERDUE:
        return f"逾期{item.days_overdue}天"
    if item.kind is ItemKind.DUE:
        return "今天到期" if item.days_left == 0 else f"还剩{item.days_left}天"
    if item.kind is ItemKind.REVIEW:
        return f"{cn_date(item.since)}申请销号" if item.since else "已申请销号"
    return f"{cn_date(item.since)}申请延期至{cn_date(item.new_due)}"


def item_line(plan: Plan, item: Item) -> ItemLine:
    return ItemLine(
        kind=item.kind.value, kind_label=ITEM_LABELS[item.kind], task_id=item.task_id,
        title=clean_text(plan.tasks[item.task_id].title), unit_id=item.unit_id, unit_label=plan.units[item.unit_id].label,
        due=item.due.isoformat(), due_cn=cn_date(item.due), days_left=item.days_left, days_overdue=item.days_overdue,
        when=when_text(item), state_label=STATE_LABELS[item.state], since_cn=cn_date(item.since),
        new_due_cn=cn_date(item.new_due), key=item.key,
    )


def notice_view(plan: Plan, n: Notice) -> NoticeView:
    name, label = addressee_name(plan, n.addressee)
    lines = lambda kind: [item_line(plan, i) for i in n.of(kind)]  # noqa: E731
    view = NoticeView(
        addressee=n.addressee, closing="", name=name, label=label, recipients=[i for i in n.recipients if is_email(i)],
        identities=list(n.recipients), overdue=lines(ItemKind.OVERDUE), due=lines(ItemKind.DUE),
        own_extensions=lines(ItemKind.OWN_EXTENSION), reviews=lines(ItemKind.REVIEW), extensions=lines(ItemKind.EXTENSION),
        count=len(n.items),
    )
    return replace(view, closing=closing(view))


def remind_context(plan: Plan, r: Reminders, *, revision: str = "", generator: str = "fazhi") -> RemindContext:
    footer = f"截至{cn_date(r.as_of)}" + (f" · 数据版本 {revision}" if revision else "") + f" · {generator} 生成"
    meta = RemindMeta(
        kind="remind", title=TITLE, office=office_name(plan), plan_title=clean_text(plan.phases.title), year=plan.year,
        as_of=r.as_of.isoformat(), as_of_cn=cn_date(r.as_of), windows=list(r.windows), overdue_every=r.overdue_every,
        footer=footer,
    )
    return RemindContext(meta, [notice_view(plan, n) for n in r.notices])


def one(context: RemindContext, notice: NoticeView) -> RemindContext:
    """The context of a single notice (one unit's mail, one unit's file)."""
    return RemindContext(context.meta, [notice])


# --- plain text ---------------------------------------------------------------------------------


SECTIONS = (
    ("overdue", "一、逾期未完成的事项"),
    ("due", "二、临近完成时限的事项"),
    ("own_extensions", "三、已申请延期、尚未审批的事项（审批前仍按原时限）"),
    ("reviews", "四、待您审核的销号申请"),
    ("extensions", "五、待您审批的延期申请"),
)


def _line(item: ItemLine, *, with_unit: bool) -> str:
    who = f"{item.unit_label} " if with_unit else ""
    return f"  {who}任务{item.task_id} {item.title}：完成时限 {item.due_cn}，{item.when}（{item.state_label}）"


def notice_text(meta: RemindMeta, n: NoticeView) -> str:
    """One notice as plain text: the terminal view and the mail body."""
    out = [f"{TITLE}（截至{meta.as_of_cn}）", "", f"{n.name}："]
    out.append(f"根据法治政府建设工作台账，截至{meta.as_of_cn}，请抓紧办理以下事项：")
    number = 0
    for attr, heading in SECTIONS:
        items = getattr(n, attr)
        if not items:
            continue
        number += 1
        out += ["", _renumber(heading, number)]
        out += [_line(i, with_unit=attr in ("reviews", "extensions")) for i in items]
    out += ["", closing(n), "", meta.office, meta.as_of_cn]
    return "\n".join(out) + "\n"


def closing(n: NoticeView) -> str:
    parts = []
    if n.overdue or n.due or n.own_extensions:
        parts.append("已完成的事项请及时在台账中申请销号并附佐证材料；确需延期的，请在时限前提出延期申请。")
    if n.reviews or n.extensions:
        parts.append("待审核的销号申请和延期申请请及时审核（fazhi confirm / reject，fazhi extend approve / refuse）。")
    return "".join(parts)


_CN_NUMBERS = "一二三四五六七八九十"


def _renumber(heading: str, number: int) -> str:
    return _CN_NUMBERS[number - 1] + heading[1:]


def context_text(context: RemindContext) -> str:
    if not context.notices:
        return f"截至{context.meta.as_of_cn}，没有需要催办的事项。\n"
    parts = []
    for n in context.notices:
        to = "、".join(n.identities) if n.identities else "（未登记编辑人员）"
        parts.append(f"=== {n.label} · {n.count}项 · 收件人：{to}\n" + notice_text(context.meta, n))
    return "\n".join(parts)


# --- mail ---------------------------------------------------------------------------------------


def subject(meta: RemindMeta, n: NoticeView) -> str:
    parts = []
    if n.overdue:
        parts.append(f"逾期{len(n.overdue)}项")
    if n.due:
        parts.append(f"临期{len(n.due)}项")
    waiting = len(n.reviews) + len(n.extensions)
    if waiting:
        parts.append(f"待审核{waiting}项")
    if n.own_extensions:
        parts.append(f"延期待批{len(n.own_extensions)}项")
    return f"【{TITLE}】{n.label}：" + "，".join(parts) + f"（截至{meta.as_of_cn}）"


def mail_message(meta: RemindMeta, n: NoticeView, sender: str, attachment: bytes | None = None, filename: str = ""):
    """The notice as an e-mail: UTF-8 subject and plain-text body, the .docx notice attached."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    msg = EmailMessage()
    msg["Subject"] = subject(meta, n)
    msg["From"] = sender
    msg["To"] = ", ".join(n.recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(notice_text(meta, n) + f"\n（本邮件由 fazhi 根据工作台账自动生成：{meta.footer}）\n", charset="utf-8")
    if attachment is not None:
        msg.add_attachment(
            attachment,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=filename or f"{TITLE}.docx",
        )
    return msg


def file_name(addressee: str, as_of: dt.date, suffix: str) -> str:
    return f"remind-{as_of.isoformat()}-{addressee}{suffix}"


def default_output(root: Path, addressee: str | None, as_of: dt.date, suffix: str) -> Path:
    return root / "reports" / (file_name(addressee, as_of, suffix) if addressee else f"remind-{as_of.isoformat()}{suffix}")
