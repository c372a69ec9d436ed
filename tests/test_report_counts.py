"""Every report says one set of numbers: for each kind and scope of the filled workspace of
test_reports_workspace.py, the summary sentence's counts add up, equal the engine's totals, and
every “（N项）” heading or “N项：” lead-in equals the rows listed under it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from test_reports import md_text
from test_reports_workspace import make_workspace

from fazhi_cli.book.load import open_book
from fazhi_cli.engine.facts import Category
from fazhi_cli.engine.report_context import build_report
from fazhi_cli.engine.report_kinds import KINDS, find_report

SENTENCE = re.compile(
    r"承担任务(?P<total>\d+)项(?:（其中牵头(?P<lead>\d+)项）)?：已完成(?P<done>\d+)项（已销号(?P<done_closed>\d+)项，"
    r"待审核销号(?P<done_pending>\d+)项），正在推进(?P<in_progress>\d+)项，尚未启动(?P<not_started>\d+)项，"
    r"长期坚持(?P<standing>\d+)项；未完成(?P<open>\d+)项（尚未申请销号），其中逾期未完成(?P<overdue>\d+)项"
    r"(?:，临期(?P<due_soon>\d+)项)?。已销号(?P<closed>\d+)项"
)
# “N项” lead-ins followed by a table of exactly those rows
TABLE_LEADS = {
    r"（[一二三四]）(?:已完成|正在推进|尚未启动|长期坚持)（(\d+)项）": None,
    r"逾期未完成(\d+)项：\n": "overdue",
    r"未完成的任务(\d+)项（尚未申请销号），逐项说明如下": "open",
    r"本周台账记录销号和延期办理(\d+)件": None,
}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("counts") / "ws")


def table_rows_after(md: str, at: int) -> int:
    """Rows of the first table after `at`, less its header line (0 if a heading comes first)."""
    lines = md[at:].split("\n")[1:]
    rows: list[str] = []
    for line in lines:
        if line.startswith("|"):
            rows.append(line)
        elif rows or line.startswith("#"):
            break
    body = [r for r in rows if not re.fullmatch(r"\|(?:\s*-+:?\s*\|)+", r.replace(" ", "").replace("---:", "---"))]
    return max(0, len(body) - 1)


def expand(runs: str) -> list[int]:
    """5–7、9 → [5, 6, 7, 9]."""
    out = []
    for part in runs.split("、"):
        low, _, high = part.partition("–")
        out += list(range(int(low), int(high or low) + 1))
    return out


def annex_items(md: str, at: int) -> int:
    """The overdue items an annex table lists: a line of one item (“30 负责人出庭应诉”) or of
    several (“共3项：5–7”), whose task numbers are counted one by one."""
    total = 0
    lines = md[at:].lstrip("\n").split("\n")
    for line in lines[2:]:  # after the header and the |---| line
        if not line.startswith("|"):
            break
        cell = line.split("|")[2].strip()
        several = re.fullmatch(r"共(\d+)项：(.+)", cell)
        if several:
            assert len(expand(several.group(2))) == int(several.group(1)), cell
            total += int(several.group(1))
        else:
            assert re.match(r"\d+ ", cell), cell
            total += 1
    return total


CASES = []
for kind in KINDS.values():
    for scope in kind.scopes:
        for who in {"unit": ("kerqin", "gonganju", "kailu"), "lead": ("sifaju", "gonganju"), "office": (None,)}[scope]:
            for day in ("2020-04-30", "2020-08-06"):
                CASES.append((kind.name, scope, who, day))


@pytest.mark.parametrize("kind, scope, who, day", CASES, ids=["-".join(str(x) for x in c) for c in CASES])
def test_counts_agree(small, cli, tmp_path, kind, scope, who, day):
    book = open_book(small)
    spec, _ = find_report(book.plan, kind)
    from fazhi_cli.cli.report import invalid_ledgers

    facts = build_report(
        book.as_of(dt.date.fromisoformat(day)), spec, scope=scope, unit_id=who, invalid=invalid_ledgers(book), present=set(book.ledger_files)
    )
    t = facts.totals
    args = {"unit": ["--unit", who], "lead": ["--lead", who], "office": []}[scope]
    out = tmp_path / "r.md"
    result = cli("report", kind, *args, "--root", small, "--as-of", day, "--format", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    raw = out.read_text(encoding="utf-8")
    md = md_text(raw)  # what a reader sees; table rows are counted in `raw`, where a cell's <br> keeps its row whole

    for m in SENTENCE.finditer(md):
        n = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
        assert n["done"] + n["in_progress"] + n["not_started"] + n["standing"] == n["total"]
        assert n["done_closed"] + n["done_pending"] == n["done"]
        assert n["open"] <= n["total"] and n["overdue"] <= n["open"]
        assert n == {
            "total": t.total, "lead": t.lead, "done": t.categories[Category.DONE], "done_closed": t.done_closed,
            "done_pending": t.done_pending, "in_progress": t.categories[Category.IN_PROGRESS],
            "not_started": t.categories[Category.NOT_STARTED], "standing": t.categories[Category.STANDING],
            "open": t.open, "overdue": t.overdue, "due_soon": t.due_soon, "closed": t.closed,
        }
    if kind not in ("work-plan",):
        assert SENTENCE.search(md), "every report but the work plan states the totals"

    checked = 0
    for pattern, total in TABLE_LEADS.items():
        for m in re.finditer(pattern, raw):
            listed = table_rows_after(raw, m.end())
            assert int(m.group(1)) == listed, (m.group(0), listed)
            if total:
                assert listed == getattr(t, total), (m.group(0), total)
            checked += 1
    for m in re.finditer(r"逾期未完成(\d+)项：([^\n]*?)（明细见附件", md):
        parts = [int(x) for x in re.findall(r"(\d+)项", m.group(2))]
        assert int(m.group(1)) == sum(parts) == t.overdue
        checked += 1
    for m in re.finditer(r"逾期未完成(\d+)项，涉及(\d+)个单位：([^\n]*?)（明细见附件", md):
        parts = [int(x) for x in re.findall(r"(\d+)项", m.group(3))]
        assert int(m.group(1)) == sum(parts) == t.overdue and int(m.group(2)) == len(parts)
        checked += 1
    annex = re.search(r"### (?:逾期未完成事项明细|逾期事项清单)\n", raw)
    if annex and t.overdue:
        assert annex_items(raw, annex.end()) == t.overdue
        checked += 1
    headings = [int(x) for x in re.findall(r"（[一二三四]）(?:已完成|正在推进|尚未启动|长期坚持)（(\d+)项）", md)]
    if headings:
        assert len(headings) == 4 and sum(headings) == t.total
    if kind == "completion" and scope == "unit":
        assert len(headings) == 4 and checked >= 4
    if kind == "weekly":
        assert re.search(r"本周台账(?:记录销号和延期办理\d+件|没有销号和延期办理记录)", md)
        new = re.search(r"本周新增逾期(\d+)项：(.*?)。", md)
        if new:
            assert int(new.group(1)) == new.group(2).count("“") == len(facts.week.new_overdue)
    gaps = re.search(r"以下(\d+)项任务的工作方案尚未填全", md)
    if gaps:
        listed = len(re.findall(r"^- \d+\. ", md[gaps.end():].split("##")[0], flags=re.M))
        assert int(gaps.group(1)) == listed == sum(1 for r in facts.rows if r.plan_missing)
