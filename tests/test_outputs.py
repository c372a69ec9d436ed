"""Outputs never overwrite what fazhi does not own: `-o` into the workspace's records, onto a file
of another kind, or onto something that is not a regular file is refused (exit 1, R212), and the
target is left as it was."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def filled(ws, cli):
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    assert cli("progress", "20", "--root", ws, "--unit", "kerqin", "--note", "未提交的进展", "--date", "2020-03-02").exit_code == 0
    return ws


@pytest.mark.parametrize(
    "args, target",
    [
        (("report", "0805", "-u", "科区", "--format", "md"), "ledgers/kerqin.yaml"),
        (("export", "--format", "csv"), "data/tasks.yaml"),
        (("export", "--format", "json"), "ledgers/new.json"),
        (("report", "monthly", "--format", "html"), "templates/x.html"),
        (("export", "--format", "xlsx"), "evidence/kerqin/a.xlsx"),
    ],
    ids=["report-over-ledger", "csv-over-tasks", "json-into-ledgers", "html-into-templates", "xlsx-into-evidence"],
)
def test_outputs_into_the_workspace_records_are_refused(filled, cli, args, target):
    path = filled / target
    before = path.read_bytes() if path.exists() else None
    result = cli(*args, "--root", filled, "--as-of", "2020-08-06", "-o", path)
    assert result.exit_code == 1, result.stderr
    assert "R212" in result.stderr and target in result.stderr
    assert (path.read_bytes() if path.exists() else None) == before
    assert "未提交的进展" in (filled / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")


def test_an_existing_file_of_another_kind_is_not_overwritten(filled, cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("我的笔记\n", encoding="utf-8")
    result = cli("export", "--root", filled, "--format", "csv", "-o", notes)
    assert result.exit_code == 1 and "R212" in result.stderr
    assert notes.read_text(encoding="utf-8") == "我的笔记\n"


def test_a_fifo_or_folder_is_not_a_target(filled, cli, tmp_path):
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    result = cli("export", "--root", filled, "--format", "csv", "-o", fifo)
    assert result.exit_code == 1 and "不是普通文件" in result.stderr
    assert fifo.exists() and not fifo.is_file()
    folder = tmp_path / "out.md"
    folder.mkdir()
    assert cli("report", "0805", "-u", "科区", "--root", filled, "--format", "md", "-o", folder).exit_code == 1


def test_a_previous_output_of_the_same_kind_is_replaced(filled, cli, tmp_path):
    out = tmp_path / "台账.csv"
    assert cli("export", "--root", filled, "--format", "csv", "-o", out, "--as-of", "2020-03-01").exit_code == 0
    first = out.read_text(encoding="utf-8-sig")
    assert cli("export", "--root", filled, "--format", "csv", "-o", out, "--as-of", "2020-08-06").exit_code == 0
    assert out.read_text(encoding="utf-8-sig") != first
    default = cli("report", "0805", "-u", "科区", "--root", filled, "--format", "md", "--as-of", "2020-08-06")
    assert default.exit_code == 0 and (filled / "reports" / "0805-kerqin.md").is_file()
