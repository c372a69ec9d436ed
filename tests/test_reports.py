"""`fazhi report`: every submission in every format, rendered from the small workspace of
test_reports_workspace.py (as of 2020-08-06), with the content asserted — numbers, units,
overdue items — through the text a reader sees (Markdown source, HTML text, Word paragraphs
and table cells read back with python-docx)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest

from test_reports_workspace import make_workspace

AS_OF = "2020-08-06"
FORMATS = ("md", "html", "docx")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("reports") / "ws")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        if tag in ("br", "p", "tr", "h1", "h2", "h3", "li", "table", "footer"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        if tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(raw: str) -> str:
    parser = _Text()
    parser.feed(raw)
    return "".join(parser.parts)


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells in document order, plus the footer."""
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    out = []
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append("".join(t.text or "" for t in child.iter(docx.oxml.ns.qn("w:t"))))
        elif tag == "tbl":
            for tr in child.iter(docx.oxml.ns.qn("w:tr")):
                cells = []
                for tc in tr.iter(docx.oxml.ns.qn("w:tc")):
                    cells.append("\n".join("".join(t.text or "" for t in p.iter(docx.oxml.ns.qn("w:t"))) for p in tc.iter(docx.oxml.ns.qn("w:p"))))
                out.append(" | ".join(cells))
    footer = document.sections[0].footer
    out.append("".join(p.text for p in footer.paragraphs))
    return "\n".join(out)


def md_text(raw: str) -> str:
    """What a Markdown reader sees of escaped text: backslash escapes and <br> resolved."""
    return re.sub(r"\\(.)", r"\1", raw.replace("<br>", "\n"))


def render(cli, ws: Path, fmt: str, *args: str, out: Path | None = None) -> tuple[str, bytes]:
    target = out or ws / "out" / f"{'-'.join(a.strip('-') for a in args)}.{fmt}"
    result = cli("report", *args, "--root", ws, "--as-of", AS_OF, "--format", fmt, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = target.read_bytes()
    if fmt == "docx":
        return docx_text(data), data
    text = data.decode("utf-8")
    return (html_text(text) if fmt == "html" else md_text(text)), data


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_in(text: str, *needles: str) -> None:
    flat = squash(text)
    for needle in needles:
        assert squash(needle) in flat, f"{needle!r} not in report:\n{text[:3000]}"


def assert_order(text: str, *needles: str) -> None:
    """Each needle appears after the previous one."""
    flat = squash(text)
    at = 0
    for needle in needles:
        found = flat.find(squash(needle), at)
        assert found >= 0, f"{needle!r} not found after position {at} (of {needles})"
        at = found + len(squash(needle))


FOOTER = "截至2020年8月6日 · "


# --- 3/20 work plan ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_work_plan_of_a_unit_flags_missing_entries(small, cli, fmt):
    text, _ = render(cli, small, fmt, "0320", "--unit", "科区")
    assert_in(text, "科尔沁区", "2020年度法治政府建设工作实施方案", "本单位承担任务5项", FOOTER)
    assert_order(text, "任务", "分管领导", "具体负责人", "具体措施", "计划完成时间")
    # task 1 is complete, task 3 has only 具体负责人
    assert_in(text, "张区长", "李科长", "每半年专题听取一次", "王股长", "未填报")
    assert_in(text, "以下3项任务的工作方案尚未填全", "3. 行政执法三项制度：缺分管领导、具体措施、计划完成时间")
    assert_in(text, "5. 双随机一公开：缺分管领导、具体负责人、具体措施、计划完成时间")


@pytest.mark.parametrize("fmt", FORMATS)
def test_work_plan_of_the_office_counts_gaps_by_unit(small, cli, fmt):
    text, _ = render(cli, small, fmt, "work-plan")
    assert_in(text, "5个单位共承担任务19项", "其中6项已填全", "13项尚有缺项", "台账无效", "奈曼旗")
    assert_in(text, "缺项明细", "库伦旗")


# --- 4/30 self-check -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_self_check_lists_done_with_evidence_and_open_with_reasons(small, cli, fmt):
    text, _ = render(cli, small, fmt, "0430", "--unit", "kerqin")
    assert_order(text, "一、自查基本情况", "二、存在的主要问题", "三、整改措施", "四、下一步工作打算")
    # task 4 (待审核销号) is a standing task: counted and listed under 长期坚持, not under 已完成
    assert_in(text, "已完成1项（已销号1项，待审核销号0项）", "长期坚持1项", "未完成3项（尚未申请销号）", "逾期未完成2项")
    assert_in(text, "未完成的任务3项（尚未申请销号）")
    assert_in(text, "公布权力清单", "科政发〔2020〕5号", "https://www.kerqin.gov.cn/qlqd", "科法〔2020〕3号")
    assert_in(text, "进展：<script>alert(1)</script>", "台账未说明原因")
    assert_in(text, "量化目标尚未达到的1项", "双随机案件占比 未填报")
    assert_in(text, "【待填写：", FOOTER)


@pytest.mark.parametrize("fmt", FORMATS)
def test_self_check_of_a_lead_unit_covers_its_tasks(small, cli, fmt):
    text, _ = render(cli, small, fmt, "self-check", "--lead", "司法局")
    assert_in(text, "通辽市司法局牵头任务", "专题听取汇报", "公布权力清单", "负责人出庭应诉")
    assert "行政执法三项制度" not in text
    assert_in(text, "台账无效", "奈曼旗")


# --- 8/5 completion ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_completion_report_of_a_unit(small, cli, fmt):
    text, _ = render(cli, small, fmt, "0805", "--unit", "科区")
    # The summary sentence and the sections count the same rows: 1 done + 2 in progress + 1 not
    # started + 1 standing = 5 (the old expectation had 已完成2项 in the sentence against
    # （一）已完成（1项）, and 正在推进2项 against （二）正在推进（3项）).
    assert_order(
        text, "一、总体推进情况", "二、逐项完成情况", "（一）已完成（1项）", "（二）正在推进（2项）", "（三）尚未启动（1项）",
        "（四）长期坚持（1项）", "三、未完成事项及原因", "四、下一步工作打算",
    )
    assert_in(text, "本单位承担任务5项：已完成1项（已销号1项，待审核销号0项），正在推进2项，尚未启动1项，长期坚持1项", "逾期未完成2项")
    # 序时进度: tasks 2, 3, 4, 5 are past their deadlines (1 each); task 1 counts yearly, due 12-31:
    # 219 of 366 days gone by 8-06 → (4 + 219/366) / 5 = 92%
    assert_in(text, "已销号1项，完成率（已销号）20%", "序时进度92%")
    assert_in(text, "逾期未完成2项", "行政执法三项制度", "双随机一公开", "6天")
    assert_in(text, "2020年4月20日", "科政发〔2020〕5号", "待审核销号")
    assert_in(text, "2020年7月31日", "方案时限")
    assert_in(text, FOOTER + "fazhi")


@pytest.mark.parametrize("fmt", FORMATS)
def test_completion_report_of_the_office_reports_everyone_but_the_broken_ledger(small, cli, fmt):
    text, _ = render(cli, small, fmt, "completion")
    assert_in(text, "纳入统计的5个单位共承担任务19项", "已完成5项（已销号5项，待审核销号0项），正在推进4项，尚未启动6项，长期坚持4项")
    assert_in(text, "已销号6项", "逾期未完成7项", "完成率（已销号）31.6%")
    assert_in(text, "奈曼旗", "台账无效", "E102", "progres")
    assert_in(text, "尚未建立台账的单位", "司法局、库伦旗")
    assert_order(text, "逾期未完成7项，涉及3个单位", "库伦旗", "司法局", "科区")


@pytest.mark.parametrize("fmt", FORMATS)
def test_completion_report_of_a_lead_unit(small, cli, fmt):
    text, _ = render(cli, small, fmt, "0805", "--lead", "公安局")
    assert_in(text, "公安局牵头的2项任务由4个单位承担", "行政执法三项制度", "双随机一公开")
    assert_in(text, "科区", "库伦旗")


# --- 12/8 summary ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_has_the_five_parts_and_marks_the_clerks_narrative(small, cli, fmt):
    text, _ = render(cli, small, fmt, "1208", "--unit", "kerqin")
    assert_order(
        text,
        "一、主要举措和成效",
        "【待填写：本单位的亮点、特色做法和主要措施",
        "二、存在的不足和原因",
        "三、党政主要负责人履行推进法治建设第一责任人职责情况",
        "四、下一年度主要安排",
        "五、其他需要报告的情况",
    )
    assert_in(text, "2020年5月10日：专题听取汇报：区政府常务会议专题听取", "专题听取汇报 1/1次")
    assert_in(text, "2020年4月1日：完成清单梳理", "区长出庭应诉2次")
    assert_in(text, "结转下一年度继续推进的事项")


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_of_a_unit_with_an_extension(small, cli, fmt):
    text, _ = render(cli, small, fmt, "summary", "--unit", "公安局")
    assert_in(text, "2020年7月20日申请延期至2020年9月30日（已批准）", "执法记录仪采购流程未完成")
    assert_in(text, "双随机案件占比 85%")


# --- bulletin and weekly dispatch ----------------------------------------------------------------

RANKING = ("开鲁县", "公安局", "科区", "司法局", "库伦旗")


@pytest.mark.parametrize("fmt", FORMATS)
def test_monthly_bulletin_ranks_units_and_lights_them(small, cli, fmt):
    text, _ = render(cli, small, fmt, "monthly")
    assert_order(text, "一、基本情况", "二、存在问题", "三、下步要求", "说明：", "附件1", "附件2", "附件3")
    # 开鲁县 is yellow now: its yearly count task 1 counts for 219/366 of 序时进度 (90% > 75%)
    assert_in(text, "红灯3个、黄灯1个、绿灯1个", "开鲁县（75%）、公安局（66.7%）、科区（20%）")
    assert_in(text, "按序时进度推进的单位1个，未达序时进度的单位4个")
    assert_in(text, "库伦旗3项，司法局2项，科区2项")
    assert_in(text, "红灯单位（科区、司法局、库伦旗）")
    assert_in(text, "奈曼旗", "台账无效")
    assert_in(text, "排名依次按完成率从高到低、逾期事项从少到多")
    annex = text[text.find("附件1"):]
    assert_order(annex, *RANKING)


def test_bulletin_ranking_rows_in_the_word_table(small, cli):
    _, data = render(cli, small, "docx", "bulletin")
    document = docx.Document(io.BytesIO(data))
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "排名")
    rows = [[c.text for c in r.cells] for r in ranking.rows[1:]]
    assert [r[1] for r in rows] == list(RANKING)
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [r[-1][-1] for r in rows] == ["黄", "绿", "红", "红", "红"]
    assert rows[1][8] == "66.7%" and rows[2][7] == "2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_weekly_dispatch_lists_the_weeks_changes(small, cli, fmt):
    text, _ = render(cli, small, fmt, "weekly")
    # every event of the week, one line each (开鲁县's apply and confirm of task 3 are two events)
    assert_in(text, "2020年7月30日—2020年8月6日", "本周台账记录销号和延期办理3件，涉及2项事项")
    assert_order(
        text,
        "2020年7月31日 | 开鲁县 | 3 | 行政执法三项制度 | 申请销号（钱队长） | 待审核销号",
        "2020年8月1日 | 开鲁县 | 3 | 行政执法三项制度 | 确认销号（依法治市办） | 已销号",
        "2020年8月3日 | 科区 | 4 | 负责人出庭应诉 | 申请销号（李科长） | 待审核销号",
    )
    assert_in(text, "本周新增逾期5项")
    assert_in(text, "附件1", "附件2", "逾期事项清单")


def test_weekly_since_option(small, cli):
    text, _ = render(cli, small, "md", "weekly", "--since", "2020-08-02")
    assert_in(text, "2020年8月2日—2020年8月6日", "本周台账记录销号和延期办理1件，涉及1项事项", "申请销号（李科长） | 待审核销号")
    assert "开鲁县 | 3" not in text
    assert "本周新增逾期" not in text
