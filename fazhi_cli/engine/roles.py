"""Who may do what: roles read from data/units.yaml and settings, one rule set for the commands,
`check`, `audit` and the server's `guard`.

- A unit's **editors** keep its ledger: plan, claim, progress, records, apply (销号申请), extension
  requests, and its evidence/<unit>/ folder.
- A task's **reviewers** confirm, reject and reopen its close-outs and decide its extension requests:
  the office's staff, and (unless `review_by: office`) the editors of the task's lead units — but
  never an editor of the unit under review (销号 means the unit that did the work cannot sign it off).
- The **office's staff** alone change data/, templates/ and the other shared files.

Identities are git e-mail addresses or server user names, compared without case and without a
leading `@`. When no one is listed anywhere, roles are "not configured": every action is allowed
(as before roles existed) and `check` says so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fazhi_cli.book.plan import Plan
from fazhi_cli.models.plan import ReviewBy


class Act(str, Enum):
    """What an identity asks to do to one unit's entry of one task."""

    EDIT = "edit"  # plan, claim, progress, record, apply/close, extension request
    REVIEW = "review"  # confirm, reject, reopen, extension decision


ACT_LABELS = {Act.EDIT: "填报本单位台账（工作方案、进展、记录、申请销号、申请延期）", Act.REVIEW: "审核（确认销号、退回、重新打开、延期审批）"}


def norm(identity: str | None) -> str:
    """The form identities are compared in: trimmed, lower case, no leading @."""
    return (identity or "").strip().lower().lstrip("@")


@dataclass(frozen=True)
class Roles:
    office: frozenset[str]
    editors: dict[str, frozenset[str]]  # unit id → identities
    leads: dict[int, tuple[str, ...]]  # task id → lead unit ids
    review_by: ReviewBy
    office_unit: str | None

    @property
    def configured(self) -> bool:
        return bool(self.office) or any(self.editors.values())

    def units_of(self, identity: str | None) -> list[str]:
        """The units whose editor `identity` is."""
        who = norm(identity)
        return [u for u, people in self.editors.items() if who and who in people]

    def is_office(self, identity: str | None) -> bool:
        return bool(norm(identity)) and norm(identity) in self.office

    def may_edit(self, identity: str | None, unit_id: str) -> bool:
        return not self.configured or (bool(norm(identity)) and norm(identity) in self.editors.get(unit_id, frozenset()))

    def may_create(self, identity: str | None, unit_id: str) -> bool:
        """Setting up a unit's ledger (`fazhi init`): the office, or the unit's own editors."""
        return not self.configured or self.is_office(identity) or self.may_edit(identity, unit_id)

    def reviewer_units(self, task_id: int) -> tuple[str, ...]:
        """Units whose editors review this task's close-outs (the lead units), besides the office."""
        return () if self.review_by is ReviewBy.OFFICE else self.leads.get(task_id, ())

    def reviewers(self, unit_id: str, task_id: int) -> list[str]:
        """Every identity that may review `unit_id`'s entry of the task (sorted), never its own editors."""
        people = set(self.office)
        for lead in self.reviewer_units(task_id):
            people |= self.editors.get(lead, frozenset())
        return sorted(people - self.editors.get(unit_id, frozenset()))

    def may_review(self, identity: str | None, unit_id: str, task_id: int) -> bool:
        return not self.configured or norm(identity) in self.reviewers(unit_id, task_id)

    def may_change_shared(self, identity: str | None) -> bool:
        """data/, templates/ and every file outside ledgers/ and evidence/."""
        return not self.configured or self.is_office(identity)

    def allowed(self, act: Act, identity: str | None, unit_id: str, task_id: int) -> bool:
        return self.may_edit(identity, unit_id) if act is Act.EDIT else self.may_review(identity, unit_id, task_id)

    def why_not(self, act: Act, identity: str | None, unit_id: str, task_id: int, unit_label: str) -> tuple[str, str] | None:
        """(code, Chinese reason naming who may) when `identity` may not; None when it may."""
        if self.allowed(act, identity, unit_id, task_id):
            return None
        shown = identity or "（未知身份）"
        if not norm(identity):
            return "R213", "无法确定您的身份：请先设置 git 邮箱（git config user.email 您的邮箱），并确认它已登记在 data/units.yaml 中"
        if act is Act.EDIT:
            people = "、".join(sorted(self.editors.get(unit_id, ()))) or "（尚未登记）"
            return "R214", f"{shown} 不是{unit_label}的编辑人员，不能填报其台账；{unit_label}的编辑人员：{people}"
        if norm(identity) in self.editors.get(unit_id, frozenset()):
            return "R215", f"{shown} 是{unit_label}的编辑人员，不能审核本单位的销号或延期；应由 {self.describe_reviewers(unit_id, task_id)} 审核"
        return "R216", f"{shown} 不是任务 {task_id} 的审核人；应由 {self.describe_reviewers(unit_id, task_id)} 审核"

    def describe_reviewers(self, unit_id: str, task_id: int) -> str:
        people = self.reviewers(unit_id, task_id)
        return "、".join(people) if people else "（尚未登记审核人：请在 data/units.yaml 中登记依法治市办或牵头单位的编辑人员）"


def roles_of(plan: Plan) -> Roles:
    """The roles as `plan` lists them."""

    def people(values) -> frozenset[str]:
        return frozenset(norm(v) for v in values if norm(v))

    leads: dict[int, tuple[str, ...]] = {}
    for task in plan.tasks.values():
        ids: list[str] = []
        for name in task.lead:
            for uid in plan.directory.expand(name)[0]:
                if uid not in ids:
                    ids.append(uid)
        leads[task.id] = tuple(ids)
    editors = {u.id: people(u.editors) for u in plan.units_file.units}
    return Roles(people(plan.units_file.office.editors), editors, leads, plan.settings.review_by, plan.office_unit_id)
