"""Engine unit tests: deadlines, derived states, targets and status rows, on the shipped plan."""

from __future__ import annotations

import datetime as dt

import pytest

from fazhi_cli.engine.deadlines import due_for, official_due
from fazhi_cli.engine.state import State, derive, target_progress
from fazhi_cli.engine.status import status_rows, summarize
from fazhi_cli.models.ledger import Entry, Ledger
from fazhi_cli.book.load import open_book
from conftest import REPO

D = dt.date
BOOK = open_book(REPO, with_ledgers=False)


@pytest.fixture(scope="module")
def plan():
    assert BOOK.plan is not None, BOOK.plan_problems
    return BOOK.plan


def rows_at(ledgers: dict, day: dt.date, **kw):
    """Status rows of the shipped plan with these ledgers, as of `day`."""
    return status_rows(BOOK.with_models(ledgers).as_of(day), **kw)


def entry(**data) -> Entry:
    return Entry.model_validate(data)


def test_task_7_deadline_by_level(plan):
    task = plan.tasks[7]
    assert official_due(plan, task, plan.units["gonganju"]).date == D(2020, 3, 31)
    assert official_due(plan, task, plan.units["kailu"]).date == D(2020, 4, 30)
    assert "3月底" in official_due(plan, task, plan.units["gonganju"]).source


def test_default_and_count_deadlines(plan):
    kerqin = plan.units["kerqin"]
    assert official_due(plan, plan.tasks[20], kerqin).date == D(2020, 7, 31)
    assert official_due(plan, plan.tasks[14], kerqin).date == D(2020, 12, 31)
    assert official_due(plan, plan.tasks[2], kerqin).date == D(2020, 12, 31)


def test_approved_extension_moves_only_that_units_deadline(plan):
    e = entry(extensions=[{"requested": "2020-07-01", "reason": "合同未签", "new_due": "2020-09-30", "decision": "approved", "decided": "2020-07-03"}])
    due = due_for(plan, plan.tasks[16], plan.units["kerqin"], e)
    assert due.date == D(2020, 9, 30) and due.original == D(2020, 7, 31) and due.extended
    refused = entry(extensions=[{"requested": "2020-07-01", "reason": "x", "new_due": "2020-09-30", "decision": "refused", "decided": "2020-07-03"}])
    assert due_for(plan, plan.tasks[16], plan.units["kerqin"], refused).date == D(2020, 7, 31)


@pytest.mark.parametrize(
    "log, state",
    [
        ([], State.NOT_STARTED),
        ([("apply", "2020-07-01")], State.PENDING_REVIEW),
        ([("apply", "2020-07-01"), ("confirm", "2020-07-02")], State.CLOSED),
        ([("apply", "2020-07-01"), ("reject", "2020-07-02")], State.IN_PROGRESS),
        ([("close", "2020-07-01")], State.CLOSED),
        ([("close", "2020-07-01"), ("reopen", "2020-08-01")], State.IN_PROGRESS),
    ],
)
def test_state_is_derived_from_the_log(log, state):
    e = entry(log=[{"action": a, "date": d} for a, d in log])
    assert derive(e).state is state
    assert derive(e).inconsistencies == ()


def test_progress_alone_means_in_progress_and_as_of_replays_history():
    e = entry(progress=[{"date": "2020-03-01", "note": "开会"}], log=[{"action": "close", "date": "2020-06-01"}])
    assert derive(e, D(2020, 2, 1)).state is State.NOT_STARTED
    assert derive(e, D(2020, 3, 2)).state is State.IN_PROGRESS
    assert derive(e, D(2020, 6, 1)).state is State.CLOSED


@pytest.mark.parametrize("bad", [[("confirm", "2020-07-01")], [("reject", "2020-07-01")], [("reopen", "2020-07-01")], [("close", "2020-07-01"), ("apply", "2020-07-02")]])
def test_out_of_order_actions_are_reported(bad):
    e = entry(log=[{"action": a, "date": d} for a, d in bad])
    assert derive(e).inconsistencies


def test_count_target_needs_enough_dated_records_in_the_year(plan):
    task = plan.tasks[2]
    records = [{"target": "study", "date": f"2020-0{m}-10"} for m in (3, 4, 5)]
    records.append({"target": "study", "date": "2019-12-20"})  # last year: does not count
    progress = {t.key: t for t in target_progress(task, entry(records=records), 2020)}
    assert progress["study"].actual == 3 and not progress["study"].met
    assert progress["study"].summary().startswith("党组(党委)中心组学法 3/4")
    records.append({"target": "study", "date": "2020-06-10"})
    assert {t.key: t for t in target_progress(task, entry(records=records), 2020)}["study"].met


def test_measured_targets_use_the_latest_value(plan):
    task = plan.tasks[18]
    e = entry(records=[{"target": "random-inspection", "date": "2020-05-01", "value": 90}, {"target": "random-inspection", "date": "2020-06-30", "value": 70}])
    (progress,) = target_progress(task, e, 2020)
    assert progress.actual == 70 and not progress.met
    (limit,) = target_progress(plan.tasks[10], entry(records=[{"target": "time-limit", "date": "2020-05-01", "value": 4}]), 2020)
    assert limit.met


def test_overdue_on_fresh_workspace_for_a_county(plan):
    rows = {r.task.id: r for r in rows_at({}, D(2020, 8, 6), units=["kerqin"])}
    for tid, row in rows.items():
        assert row.overdue == (row.due <= D(2020, 7, 31)), tid
    assert rows[20].overdue and rows[20].days_overdue == 6
    assert not rows[14].overdue


def test_task_7_overdue_for_city_but_not_county_on_april_15(plan):
    rows = rows_at({}, D(2020, 4, 15), tasks=[7])
    by_unit = {r.unit_id: r for r in rows}
    assert by_unit["gonganju"].overdue and by_unit["gonganju"].days_overdue == 15
    assert not by_unit["kailu"].overdue


def test_closed_late_and_pending_not_overdue(plan):
    ledger = Ledger.model_validate(
        {"unit": "kerqin", "tasks": {20: {"log": [{"action": "apply", "date": "2020-08-03"}]}, 21: {"log": [{"action": "apply", "date": "2020-07-01"}]}}}
    )
    rows = {r.task.id: r for r in rows_at({"kerqin": ledger}, D(2020, 8, 6), units=["kerqin"])}
    assert rows[20].state is State.PENDING_REVIEW and not rows[20].overdue and rows[20].closed_late
    assert not rows[21].closed_late


def test_due_soon_window(plan):
    rows = {r.task.id: r for r in rows_at({}, D(2020, 7, 25), units=["kerqin"])}
    assert rows[20].due_soon and not rows[20].overdue
    assert not rows[14].due_soon


def test_claims_add_a_unit_to_open_groups_only(plan):
    ledger = Ledger.model_validate({"unit": "gonganju", "tasks": {12: {"claimed": "2020-03-10"}}})
    rows = rows_at({"gonganju": ledger}, D(2020, 8, 6), units=["gonganju"])
    assert 12 in {r.task.id for r in rows}
    assert 12 not in {r.task.id for r in rows_at({}, D(2020, 8, 6), units=["gonganju"])}


def test_summary_counts_and_rates(plan):
    ledger = Ledger.model_validate({"unit": "fayuan", "tasks": {30: {"log": [{"action": "close", "date": "2020-07-01"}]}}})
    rows = rows_at({"fayuan": ledger}, D(2020, 8, 6), units=["fayuan"])
    (summary,) = summarize(plan, rows, D(2020, 8, 6))
    assert summary.total == 1 and summary.closed == 1 and summary.rate == 1.0 and summary.overdue == 0
