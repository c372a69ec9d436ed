"""Terminal manners: with COLUMNS set, tables fit it also when the output is piped (long cells
wrap instead of running off the screen); without it, a pipe gets unwrapped lines."""

from __future__ import annotations

from rich.cells import cell_len

from git_helpers import new_workspace_repo


def widest(text: str) -> int:
    return max(cell_len(line) for line in text.splitlines())


def test_tables_fit_columns_when_piped(tmp_path, cli):
    ws = new_workspace_repo(tmp_path / "ws")
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    assert cli("progress", "8", "--root", ws, "--unit", "kerqin", "--note", "行政审批事项下放基层的长说明" * 6, "--date", "2020-04-01").exit_code == 0
    for args in (("status", "--unit", "kerqin", "--as-of", "2020-08-06"), ("history", "--unit", "kerqin"), ("tasks",), ("units",)):
        narrow = cli(*args, "--root", ws, env={"COLUMNS": "100"})
        assert narrow.exit_code == 0, narrow.stderr
        assert widest(narrow.stdout) <= 100, args
    wide = cli("history", "--unit", "kerqin", "--root", ws, env={"COLUMNS": ""})
    assert widest(wide.stdout) > 100  # a pipe without COLUMNS: one line per row
