"""The Book and the rule set, directly: small inline ledgers, no CLI, no subprocess."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from conftest import REPO
from fazhi_cli.book.load import load_book, open_book, read_ledgers
from fazhi_cli.engine.rules import entry_violations
from fazhi_cli.engine.status import status_rows
from fazhi_cli.models.ledger import Entry, Ledger
from fazhi_cli.store.source import SourceError, TreeSource

D = dt.date
BOOK = open_book(REPO, with_ledgers=False)
PLAN = BOOK.plan


class Texts:
    """A source holding ledger texts in memory (the plan comes from the shipped workspace)."""

    root = None
    revision = "test"

    def __init__(self, files: dict[str, str]):
        self.files = {k: v.encode("utf-8") for k, v in files.items()}

    def read(self, relative):
        return self.files.get(relative)

    def exists(self, relative):
        return relative in self.files

    def ledger_paths(self):
        return sorted(self.files)


def ledgers_of(**texts: str):
    return read_ledgers(Texts({f"ledgers/{name}": text for name, text in texts.items()}), [f"ledgers/{n}" for n in sorted(texts)])


def violations(entry: dict, task: int = 20, unit: str = "kerqin", plan=PLAN) -> list[tuple[str, tuple]]:
    return [(v.code, v.where) for v in entry_violations(plan, plan.tasks[task], plan.units[unit], Entry.model_validate(entry))]


# --- the rule set ---------------------------------------------------------------------------


def test_a_proper_two_step_close_breaks_no_rule():
    log = [{"date": "2020-07-20", "action": "apply", "evidence": ["通政发〔2020〕3号"]}, {"date": "2020-07-21", "action": "confirm"}]
    assert violations({"log": log}) == []


def test_each_log_rule_names_its_place():
    assert violations({"log": [{"date": "2020-07-20", "action": "apply"}]}) == [("E312", ("log", 0))]
    assert violations({"log": [{"date": "2020-07-20", "action": "close", "evidence": ["通政发〔2020〕3号"]}]}) == [("E313", ("log", 0, "action"))]
    backwards = [{"date": "2020-07-20", "action": "apply", "evidence": ["通政发〔2020〕3号"]}, {"date": "2020-07-19", "action": "confirm"}]
    assert violations({"log": backwards}) == [("E314", ("log", 1, "date"))]
    assert violations({"log": [{"date": "2020-07-20", "action": "reject"}]}) == [("E307", ("log", 0))]


def test_reopen_of_a_pending_close_out_is_out_of_order():
    log = [{"date": "2020-07-20", "action": "apply", "evidence": ["通政发〔2020〕3号"]}, {"date": "2020-07-21", "action": "reopen"}]
    assert violations({"log": log}) == [("E307", ("log", 1))]


def test_extension_rules():
    late = {"requested": "2020-08-01", "reason": "x", "new_due": "2020-09-30"}
    assert violations({"extensions": [late]}, task=16) == [("E316", ("extensions", 0, "requested"))]
    early_decision = {"requested": "2020-07-10", "reason": "x", "new_due": "2020-09-30", "decision": "approved", "decided": "2020-07-01"}
    assert violations({"extensions": [early_decision]}, task=16) == [("E315", ("extensions", 0, "decided"))]
    two_pending = [{"requested": "2020-07-10", "reason": "x", "new_due": "2020-09-30"}, {"requested": "2020-07-11", "reason": "y", "new_due": "2020-10-30"}]
    assert violations({"extensions": two_pending}, task=16) == [("E315", ("extensions", 1))]


def test_a_second_request_after_an_approved_one_is_judged_by_the_new_deadline():
    approved = {"requested": "2020-07-10", "reason": "x", "new_due": "2020-09-30", "decision": "approved", "decided": "2020-07-12"}
    again = {"requested": "2020-09-01", "reason": "y", "new_due": "2020-10-30"}
    assert violations({"extensions": [approved, again]}, task=16) == []


def test_value_and_year_rules():
    records = [{"target": "random-inspection", "date": "2020-06-30", "value": 101}, {"target": "random-inspection", "date": "2019-06-30", "value": 50}]
    found = violations({"records": records}, task=18, unit="shichangju")
    assert found == [("E318", ("records", 0, "value")), ("E319", ("records", 1, "date"))]


def test_the_review_setting_decides_whether_close_is_allowed():
    one_step = PLAN.settings.model_copy(update={"review_required": False})
    plan = type(PLAN)(PLAN.units_file, PLAN.tasks, PLAN.phases, one_step, PLAN.directory)
    entry = {"log": [{"date": "2020-07-20", "action": "close", "evidence": ["通政发〔2020〕3号"]}]}
    assert violations(entry, plan=plan) == []


# --- ledger files ---------------------------------------------------------------------------


def test_two_keys_for_one_task_and_a_null_entry_make_the_file_invalid():
    files = ledgers_of(**{"kerqin.yaml": 'unit: kerqin\ntasks:\n  7: {}\n  "07": {}\n  9: ~\n'})
    kerqin = files["kerqin"]
    assert not kerqin.valid
    assert [(p.code, p.line) for p in kerqin.problems] == [("E310", 4), ("E311", 5)]


def test_yaml_and_yml_of_one_unit_are_both_reported():
    files = ledgers_of(**{"kerqin.yaml": "unit: kerqin\ntasks: {}\n", "kerqin.yml": "unit: kerqin\ntasks: {}\n"})
    assert list(files) == ["kerqin"] and not files["kerqin"].valid
    assert sorted(p.path for p in files["kerqin"].problems if p.code == "E309") == ["ledgers/kerqin.yaml", "ledgers/kerqin.yml"]


# --- as of a day ----------------------------------------------------------------------------

KERQIN = """\
unit: kerqin
tasks:
  16:
    progress:
      - {date: 2020-04-01, note: 四月进展}
      - {date: 2020-07-22, note: 七月进展, evidence: [通政发〔2020〕77号]}
    extensions:
      - {requested: 2020-07-10, reason: 合同未签, new_due: 2020-09-30, decision: approved, decided: 2020-07-12}
    log:
      - {date: 2020-07-26, action: apply, evidence: [通政发〔2020〕78号]}
  20:
    extensions:
      - {requested: 2020-07-10, reason: 评估未完成, new_due: 2020-09-30, decision: approved, decided: 2020-07-30}
"""


def test_as_of_leaves_out_everything_dated_later():
    book = BOOK.with_models({"kerqin": Ledger.model_validate(_plain(KERQIN))})
    april = book.as_of(D(2020, 4, 30))
    entry = april.entry("kerqin", 16)
    assert [p.note for p in entry.progress] == ["四月进展"] and entry.extensions == [] and entry.log == []
    (row,) = status_rows(april, units=["kerqin"], tasks=[16])
    assert row.due == D(2020, 7, 31) and not row.extended and row.evidence == ()
    july = book.as_of(D(2020, 7, 20))
    (pending,) = july.entry("kerqin", 20).extensions
    assert pending.decision is None and pending.decided is None  # decided on 07-30: not yet
    (row20,) = status_rows(july, units=["kerqin"], tasks=[20])
    assert row20.extension_pending == D(2020, 9, 30) and row20.due == D(2020, 7, 31)
    assert status_rows(book.as_of(D(2020, 8, 6)), units=["kerqin"], tasks=[16])[0].extended


def test_a_view_needs_a_day():
    with pytest.raises(ValueError):
        status_rows(BOOK)


def _plain(text: str):
    from fazhi_cli.store.yamlread import parse_yaml

    parsed, problems = parse_yaml(text, "x.yaml")
    assert not problems
    return parsed.data


# --- the same loader over a git commit -------------------------------------------------------


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_loader_reads_a_commit_as_it_reads_the_work_tree(tmp_path):
    from conftest import copy_workspace

    ws = copy_workspace(tmp_path / "ws")
    (ws / "ledgers" / "kerqin.yaml").write_text(KERQIN, encoding="utf-8")
    git(ws, "init", "-q")
    git(ws, "-c", "user.email=a@b", "-c", "user.name=a", "add", ".")
    git(ws, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "one")
    (ws / "ledgers" / "kerqin.yaml").write_text("unit: kerqin\ntasks: [\n", encoding="utf-8")  # broken since
    committed = load_book(TreeSource.open(ws, "HEAD"), with_ledgers=True)
    on_disk = open_book(ws)
    assert committed.plan is not None and committed.ledgers["kerqin"].tasks[16].progress[0].note == "四月进展"
    assert "kerqin" in on_disk.invalid_ledgers() and committed.invalid_ledgers() == {}
    with pytest.raises(SourceError):
        TreeSource.open(ws, "no-such-revision")
