"""Writes that stay cheap as a ledger grows: a write reads only the evidence it adds (the files the
ledger already recorded are checked to be there, not read again), and the line merge compares only
the lines around the edit, not the whole file. No timing is asserted: what is measured is what the
write reads and compares."""

from __future__ import annotations

import difflib

import pytest

from tests.conftest import copy_workspace, run_cli


def ok(*args, **kwargs):
    result = run_cli(*args, **kwargs)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def ws(tmp_path):
    ws = copy_workspace(tmp_path / "ws")
    folder = ws / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "纪要.pdf").write_bytes(b"%PDF-1.4 minutes")
    (folder / "清单.pdf").write_bytes(b"%PDF-1.4 list")
    ok("progress", 7, "-u", "kerqin", "--note", "起草", "--evidence", "evidence/kerqin/纪要.pdf", "--date", "2020-03-02", "--root", ws)
    return ws


def test_a_write_reads_only_the_evidence_it_adds(ws, monkeypatch):
    from fazhi_cli.store import files

    read: list[str] = []
    real = files.file_sha256
    monkeypatch.setattr(files, "file_sha256", lambda path: read.append(path.name) or real(path))
    ok("progress", 8, "-u", "kerqin", "--note", "推进", "--evidence", "evidence/kerqin/清单.pdf", "--date", "2020-03-03", "--root", ws)
    assert read == ["清单.pdf"]  # hashed once, when cited; 纪要.pdf (recorded before) not read
    read.clear()
    ok("progress", 9, "-u", "kerqin", "--note", "无材料", "--date", "2020-03-04", "--root", ws)
    assert read == []
    # `fazhi check` still reads every file, and finds one changed after it was recorded
    (ws / "evidence" / "kerqin" / "纪要.pdf").write_bytes(b"%PDF-1.4 changed")
    result = run_cli("check", "--root", ws)
    assert result.exit_code == 1 and "E306" in result.stdout and sorted(read) == ["清单.pdf", "纪要.pdf"]


def test_a_recorded_evidence_file_that_is_gone_still_stops_a_write(ws):
    (ws / "evidence" / "kerqin" / "纪要.pdf").unlink()
    result = run_cli("progress", 8, "-u", "kerqin", "--note", "推进", "--date", "2020-03-03", "--root", ws)
    assert result.exit_code == 1 and "E305" in result.stdout + result.stderr


def test_a_write_to_a_ledger_of_a_thousand_entries_compares_a_few_lines(ws, monkeypatch):
    ledger = ws / "ledgers" / "kerqin.yaml"
    text = ledger.read_text(encoding="utf-8")
    entries = "".join(f"      - date: 2020-03-01\n        note: 第{i}次调度\n" for i in range(1_000))
    ledger.write_text(text.replace("    progress:\n", "    progress:\n" + entries, 1), encoding="utf-8")
    compared: list[int] = []
    real = difflib.SequenceMatcher

    def counting(isjunk=None, a="", b="", autojunk=True):
        if isinstance(a, list):  # lines (get_close_matches compares words)
            compared.append(len(a) + len(b))
        return real(isjunk, a, b, autojunk=autojunk)

    monkeypatch.setattr(difflib, "SequenceMatcher", counting)
    before = ledger.read_text(encoding="utf-8").splitlines()
    ok("progress", 7, "-u", "kerqin", "--note", "第一万零一次", "--date", "2020-03-05", "--root", ws)
    after = ledger.read_text(encoding="utf-8").splitlines()
    assert compared and max(compared) < 50, compared  # never the file's 2,000 lines
    # and the result is the minimal edit: the old lines all kept, in order, two lines added
    assert len(after) == len(before) + 2 and "        note: 第一万零一次" in after
    assert [line for line in after if line not in ("      - date: 2020-03-05", "        note: 第一万零一次")] == before
