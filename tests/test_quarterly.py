"""季通报 (`fazhi report quarterly --quarter N`) and the monthly bulletin's change since the previous
month: computed from as-of views at the period ends, cross-checked against `fazhi status`."""

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
