"""季通报 (`fazhi report quarterly --quarter N`), the monthly bulletin's change since the previous
month and the 年总结 (`fazhi report yearly`): computed from as-of views at the period ends,
cross-checked against `fazhi status` and the bulletin."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import copy_workspace, run_cli


def ok(*args):
    result = run_cli(*args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = copy_workspace(tmp_path_factory.mktemp("quarterly") / "ws")
    r = ("--root", ws)
    ok("close", 7, "--unit", "kerqin", "--evidence", "通司发〔2020〕12号", "--date", "2020-04-20", *r)
    ok("confirm", 7, "--unit", "kerqin", "--date", "2020-04-25", *r)
    ok("close", 7, "--unit", "kailu", "--evidence", "开政发〔2020〕4号", "--date", "2020-03-20", *r)
    ok("confirm", 7, "--unit", "kailu", "--date", "2020-03-25", *r)
    # closed in August, after its deadline of 31 July (after the second quarter the other tests view)
    ok("close", 5, "--unit", "kerqin", "--evidence", "通司发〔2020〕20号", "--date", "2020-08-10", *r)
    ok("confirm", 5, "--unit", "kerqin", "--date", "2020-08-12", *r)
    return ws


def test_periods():
    from fazhi_cli.engine.periods import previous_end, quarter_end

    assert [quarter_end(2020, q) for q in (1, 2, 3, 4)] == [dt.date(2020, 3, 31), dt.date(2020, 6, 30), dt.date(2020, 9, 30), dt.date(2020, 12, 31)]
    assert previous_end(dt.date(2020, 6, 30), "quarter") == dt.date(2020, 3, 31)
    assert previous_end(dt.date(2020, 8, 6), "quarter") == dt.date(2020, 6, 30)
    assert previous_end(dt.date(2020, 8, 6), "month") == dt.date(2020, 7, 31)
    assert previous_end(dt.date(2020, 1, 15), "month") == dt.date(2019, 12, 31)


def test_quarterly_compares_the_quarter_end_with_the_previous_one(ws):
    data = json.loads(ok("report", "quarterly", "--quarter", "2", "--format", "json", "-o", "-", "--root", ws).stdout)
    assert data["meta"]["as_of"] == "2020-06-30" and data["meta"]["kind"] == "quarterly"
    c = data["change"]
    assert c["since"] == "2020-03-31" and c["quarter"] == 2 and c["period_label"] == "上季度"
    # newly closed in Q2: kerqin's task 7 (kailu's was closed in Q1)
    assert [(r["unit_id"], r["task_id"]) for r in c["newly_closed"]] == [("kerqin", 7)]
    # newly overdue = overdue on 30 June (fazhi status) less overdue on 31 March
    def overdue(day):
        rows = json.loads(ok("status", "--overdue", "--as-of", day, "--format", "json", "--root", ws).stdout)
        return {(r["unit"], r["task"]) for r in rows}
    june, march = overdue("2020-06-30"), overdue("2020-03-31")
    assert {(r["unit_id"], r["task_id"]) for r in c["newly_overdue"]} == june - march
    assert c["overdue_before"] == len(march)
    # ranks then and now are those of the bulletin as of each day
    def ranks(day):
        d = json.loads(ok("report", "monthly", "--as-of", day, "--format", "json", "-o", "-", "--root", ws).stdout)
        return {u["unit_id"]: (u["rank"], u["light_label"]) for u in d["units"]}
    now, before = ranks("2020-06-30"), ranks("2020-03-31")
    for m in c["moves"]:
        assert (m["rank_now"], m["light_now"]) == now[m["unit_id"]]
        assert (m["rank_before"], m["light_before"]) == before[m["unit_id"]]
        assert m["moved"] == m["rank_before"] - m["rank_now"]
    assert {now["kerqin"][0], now["kailu"][0]} == {1, 2}  # the only units with something closed


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_quarterly_documents(ws, tmp_path, fmt):
    out = tmp_path / f"q.{fmt}"
    ok("report", "季通报", "--quarter", "2", "--format", fmt, "-o", out, "--root", ws)
    if fmt == "docx":
        from docx import Document

        text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    else:
        text = out.read_text(encoding="utf-8")
    assert "第二季度法治政府建设工作" in text and "与上季度相比" in text and "本季度新销号1项" in text


def test_quarter_option_errors(ws):
    assert run_cli("report", "quarterly", "--quarter", "5", "--root", ws).exit_code == 1
    r = run_cli("report", "monthly", "--quarter", "2", "--root", ws)
    assert r.exit_code == 1 and "只用于季通报" in r.stderr
    assert run_cli("report", "quarterly", "--quarter", "2", "--as-of", "2020-06-30", "--root", ws).exit_code == 1


def test_monthly_bulletin_states_the_change_since_last_month(ws):
    md = ok("report", "monthly", "--as-of", "2020-04-30", "--format", "md", "-o", "-", "--root", ws).stdout
    assert "与2020年3月31日（上月末）相比" in md and "新销号1项" in md


def test_yearly_evaluation_is_the_year_seen_at_each_month_and_quarter_end(ws):
    d = json.loads(ok("report", "年总结", "--format", "json", "-o", "-", "--root", ws).stdout)
    assert d["meta"]["kind"] == "evaluation" and d["meta"]["as_of"] == "2020-12-31"  # the year, by default
    y = d["review"]
    months = [p["day"] for p in y["months"]]
    assert months == [f"2020-{m:02d}-{[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]}" for m in range(1, 13)]
    assert [q["day"] for q in y["quarters"]] == ["2020-03-31", "2020-06-30", "2020-09-30", "2020-12-31"]
    # each month end is what `fazhi status` says as of that day
    for point in (y["months"][2], y["months"][7]):
        rows = json.loads(ok("status", "--as-of", point["day"], "--format", "json", "--root", ws).stdout)
        assert point["closed"] == sum(r["closed"] for r in rows)
        assert point["overdue"] == sum(r["overdue"] for r in rows)
    assert [p["closed"] for p in y["months"]] == [0, 0, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3]
    # a unit's ranks at the quarter ends are the 季通报's; its lights over the months are counted
    q2 = json.loads(ok("report", "quarterly", "--quarter", "2", "--format", "json", "-o", "-", "--root", ws).stdout)
    q2_rank = {u["unit_id"]: u["rank"] for u in q2["units"]}
    for u in y["units"]:
        assert u["quarter_ranks"][1] == str(q2_rank[u["unit_id"]])
        assert u["months_green"] + u["months_yellow"] + u["months_red"] == 12 == len(u["month_lights"])
    kerqin = next(u for u in y["units"] if u["unit_id"] == "kerqin")
    assert kerqin["closed"] == 2 and kerqin["rank"] == 1
    # closed after the deadline in force: kerqin's task 5 (31 July, closed 10 August); task 7 was on time
    assert [(r["unit_id"], r["task_id"]) for r in y["closed_late"]] == [("kerqin", 5)]


def test_yearly_evaluation_before_the_year_ends_and_in_documents(ws, tmp_path):
    d = json.loads(ok("report", "yearly", "--as-of", "2020-04-15", "--format", "json", "-o", "-", "--root", ws).stdout)
    assert [p["label"] for p in d["review"]["months"]] == ["1月", "2月", "3月", "截至4月15日"]
    assert [q["label"] for q in d["review"]["quarters"]] == ["第一季度"]
    assert all(u["quarter_ranks"][1:] == ["—", "—", "—"] for u in d["review"]["units"])
    from docx import Document

    out = tmp_path / "y.docx"
    ok("report", "年度评价", "--lead", "组织部", "--format", "docx", "-o", out, "--root", ws)
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "关于2020年度法治政府建设工作" in text and "组织部牵头任务" in text and "超过完成时限销号1项" in text
