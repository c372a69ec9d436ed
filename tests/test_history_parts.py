"""`history` and `audit` give the same output, byte for byte, whether a ledger's later versions are
read by their parts (store/ledgerparts.py) or each whole, with the cache and without it, across
edits of every kind: entries added, changed, removed and reordered, a ledger made invalid then
fixed, a ledger in flow style, its unit renamed, the plan changed mid-history, a merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fazhi_cli.store.ledgerparts import LedgerParts
from git_helpers import commit_all, dated, git, identify, new_workspace_repo

EDITORS = {"office": ["office@yfb.gov.cn"], "kerqin": ["k@kerqin.gov.cn"], "kailu": ["k@kailu.gov.cn"]}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    from tests.conftest import run_cli as cli

    path = new_workspace_repo(tmp_path_factory.mktemp("parts") / "ws", editors=EDITORS)
    identify(path, "office@yfb.gov.cn", "依法治市办")
    for unit in ("kerqin", "kailu"):
        assert cli("init", "--root", path, "--unit", unit, env=dated("2020-03-02")).exit_code == 0
    identify(path, "k@kerqin.gov.cn", "张三")
    kerqin = path / "ledgers" / "kerqin.yaml"
    for day, note in (("2020-03-10", "梳理清单"), ("2020-03-11", "公布清单"), ("2020-03-12", "培训")):
        assert cli("progress", "7", "--root", path, "--unit", "kerqin", "--note", note, "--date", day, env=dated(day)).exit_code == 0
    assert cli("progress", "20", "--root", path, "--unit", "kerqin", "--note", "开始", "--date", "2020-04-01", env=dated("2020-04-01")).exit_code == 0
    assert cli("close", "20", "--root", path, "--unit", "kerqin", "--evidence", "通政发〔2020〕3号", "--date", "2020-04-20", env=dated("2020-04-20")).exit_code == 0
    # hand edits: an item changed, an item backdated, an entry added, one removed
    edit(kerqin, "note: 公布清单", "note: 公布清单（修订）")
    commit_all(path, "改写进展", "2020-05-01")
    edit(kerqin, "  21: {}\n", "  21:\n    progress:\n      - date: 2019-12-25\n        note: 手工补记的进展\n        evidence: [通人社发〔2020〕6号]\n")
    commit_all(path, "补记", "2020-05-02")
    text = kerqin.read_text(encoding="utf-8")
    kerqin.write_text(text.replace("tasks:\n", "tasks:\n  99:\n    plan:\n      leader: 李四\n", 1), encoding="utf-8")
    commit_all(path, "多一项", "2020-05-03")
    kerqin.write_text(text, encoding="utf-8")
    commit_all(path, "删去", "2020-05-04")
    # entries reordered (only the text changes), then made invalid, then fixed with a change
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("  ") and line[2:3].isdigit()]
    first, second = lines[starts[0] : starts[1]], lines[starts[1] : starts[2]]
    kerqin.write_text("\n".join(lines[: starts[0]] + second + first + lines[starts[2] :]), encoding="utf-8")
    commit_all(path, "调整顺序", "2020-05-05")
    good = kerqin.read_text(encoding="utf-8")
    kerqin.write_text(good.replace("note: 培训", "note: 培训\n\tbroken: [", 1), encoding="utf-8")
    commit_all(path, "弄坏", "2020-05-06")
    kerqin.write_text(good.replace("note: 培训", "note: 培训\n      - date: 2020-05-07\n        note: 修好时补记", 1), encoding="utf-8")
    commit_all(path, "修好", "2020-05-07")
    # another unit's ledger in flow style (always read whole), and a hand-made review of kerqin's
    # close-out by its own editor (A005)
    kailu = path / "ledgers" / "kailu.yaml"
    kailu.write_text("unit: kailu\ntasks: {7: {progress: [{date: 2020-05-08, note: 流式}]}}\n", encoding="utf-8")
    commit_all(path, "开鲁", "2020-05-08")
    kailu.write_text("unit: kailu\ntasks: {7: {progress: [{date: 2020-05-08, note: 流式}, {date: 2020-05-09, note: 再记}]}}\n", encoding="utf-8")
    commit_all(path, "开鲁再记", "2020-05-09")
    edit(kerqin, "        action: apply\n", "        action: apply\n      - date: 2020-05-10\n        action: confirm\n")
    commit_all(path, "自己审核", "2020-05-10")
    # the plan changed mid-history, by someone not of the office (A006)
    edit(path / "data" / "settings.yaml", "backfill_days:", "backfill_days: 20\n# was:")
    commit_all(path, "改方案", "2020-05-11")
    # a merge: each side adds progress to another entry
    git(path, "checkout", "-q", "-b", "side")
    edit(kerqin, "note: 开始", "note: 开始\n      - date: 2020-05-12\n        note: 分支上的进展")
    commit_all(path, "分支", "2020-05-12")
    git(path, "checkout", "-q", "main")
    edit(kerqin, "note: 梳理清单", "note: 梳理清单\n      - date: 2020-05-13\n        note: 主线上的进展")
    commit_all(path, "主线", "2020-05-13")
    git(path, "merge", "-q", "--no-edit", "side", env=dated("2020-05-14"))
    # the unit renamed inside the file, then the file renamed
    edit(kerqin, "unit: kerqin", "unit: kailu")
    commit_all(path, "改单位", "2020-05-15")
    edit(kerqin, "unit: kailu", "unit: kerqin")
    git(path, "mv", "ledgers/kerqin.yaml", "ledgers/kerqin-old.yaml")
    commit_all(path, "改文件名", "2020-05-16")
    return path


COMMANDS = {
    "history": ["history"],
    "history-json": ["history", "--format", "json"],
    "history-csv": ["history", "--format", "csv"],
    "history-unit": ["history", "--unit", "kerqin", "--format", "json"],
    "history-task": ["history", "--unit", "kerqin", "--task", "7"],
    "audit": ["audit"],
    "audit-json": ["audit", "--format", "json"],
    "audit-since": ["audit", "--since", "2020-05-05", "--format", "json"],
}


def outputs(repo: Path, env: dict) -> dict[str, str]:
    from tests.conftest import run_cli as cli

    out = {}
    for name, args in COMMANDS.items():
        result = cli(*args, "--root", repo, env=env | {"COLUMNS": "200"})
        out[name] = f"{result.exit_code}\n{result.stdout}\n{result.stderr}"
    return out


def test_by_parts_and_whole_give_the_same_output(repo, monkeypatch, tmp_path):
    calls = {"parts": 0}
    read = LedgerParts.read

    def counted(self, raw, path):
        found = read(self, raw, path)
        calls["parts"] += found is not None
        return found

    monkeypatch.setattr(LedgerParts, "read", counted)
    by_parts = outputs(repo, {"FAZHI_NO_CACHE": "1"})
    assert calls["parts"] > 10  # the later versions of kerqin's ledger were read by parts
    cold = outputs(repo, {"FAZHI_CACHE_DIR": str(tmp_path / "cache")})
    warm = outputs(repo, {"FAZHI_CACHE_DIR": str(tmp_path / "cache")})
    monkeypatch.setattr(LedgerParts, "read", lambda self, raw, path: None)
    whole = outputs(repo, {"FAZHI_NO_CACHE": "1"})
    whole_cached = outputs(repo, {"FAZHI_CACHE_DIR": str(tmp_path / "cache")})  # the entries written above
    assert by_parts == whole
    assert cold == whole and warm == whole and whole_cached == whole


def test_the_history_shows_every_kind_of_edit(repo):
    """The fixture's history holds what it says (so the comparison above covers it)."""
    from tests.conftest import run_cli as cli

    rows = json.loads(cli("history", "--root", repo, "--format", "json", env={"FAZHI_NO_CACHE": "1"}).stdout)
    kinds = {r["kind"] for r in rows}
    assert {"ledger_added", "progress_added", "progress_edited", "entry_added", "entry_removed", "text_only", "ledger_invalid", "ledger_repaired", "log_added", "state", "unit_changed", "ledger_removed"} <= kinds
    findings = json.loads(cli("audit", "--root", repo, "--format", "json", env={"FAZHI_NO_CACHE": "1"}).stdout)
    assert {"A001", "A004", "A005", "A006"} <= {f["code"] for f in findings}
