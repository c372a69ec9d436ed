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


def test_the_readme_field_table_matches_the_json(tmp_path, cli):
    """README's "JSON and CSV for scripts" table lists exactly the fields each command gives."""
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### JSON and CSV for scripts", 1)[1].split("\n### ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)`[^|]*\| [^|]+ \| ([^|]+) \|$", table, re.M)}

    def listed(name: str, workdays: bool = False) -> set[str]:
        text = re.sub(r"\([^)]*\)", "", rows[name])
        text, _, extra = text.partition("; with `--workdays` also")
        text += ("," + extra) if workdays else ""
        return {w.strip() for w in text.replace("the `status --unit` fields, plus", "").split(",") if w.strip()}

    ws = new_workspace_repo(tmp_path / "ws")
    assert cli("init", "--root", ws, "--unit", "kerqin").exit_code == 0
    assert cli("close", "20", "--root", ws, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-07-20").exit_code == 0

    def keys(*args: str) -> set[str]:
        data = json.loads(cli(*args, "--root", ws, "--format", "json").stdout)
        return set((data[0] if isinstance(data, list) else data).keys())

    unit_rows = keys("status", "--unit", "kerqin", "--as-of", "2020-08-06")
    assert unit_rows == listed("status --unit/--lead")
    assert keys("status", "--unit", "kerqin", "--as-of", "2020-08-06", "--workdays") == listed("status --unit/--lead", workdays=True)
    assert listed("status --unit/--lead", workdays=True) - unit_rows == {"workdays_left"}
    assert keys("status", "--as-of", "2020-08-06") == listed("status")
    assert keys("check") == listed("check")
    assert keys("tasks") == listed("tasks")
    assert keys("units") == listed("units")
    assert keys("export", "--unit", "kerqin", "--as-of", "2020-08-06") == unit_rows | listed("export -f json")
    assert keys("history", "--unit", "kerqin") == listed("history")


def test_a_long_table_is_laid_out_in_columns_within_the_width(capsys, monkeypatch):
    """Over LONG_TABLE rows a plain table is laid out without rich (a year of history): every line
    within COLUMNS, every column starting at one offset, every cell's text kept whole."""
    from fazhi_cli.render import tables

    monkeypatch.setenv("COLUMNS", "60")
    rows = [(f"2020-03-{i % 28 + 1:02d}", "科尔沁区" if i % 2 else "通辽经济技术开发区", f"任务{i % 45 + 1} 第{i}次调度，按月推进情况汇报和材料归档", i) for i in range(1200)]
    tables.print_table("台账修改历史", ["日期", "单位", "变化", "序"], rows)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "台账修改历史" and lines[1].split() == ["日期", "单位", "变化", "序"]
    assert max(cell_len(line) for line in lines) <= 60
    starts = {cell_len(lines[1][: lines[1].index(name)]) for name in ("单位", "变化", "序")}
    body = lines[2:]
    # every row starts a line with its date; its pieces, column by column, give back each cell
    firsts = [k for k, line in enumerate(body) if line[:4] == "2020"]
    assert len(firsts) == 1200
    for n, (k, row) in enumerate(zip(firsts, rows)):
        block = body[k : firsts[n + 1] if n + 1 < len(firsts) else len(body)]
        change_at = sorted(starts)[1]
        text = "".join(_cells_from(line, change_at, sorted(starts)[2]) for line in block)
        assert text == row[2]


def _cells_from(line: str, start: int, end: int) -> str:
    """The characters of `line` between two cell offsets (wide characters counted twice)."""
    out, at = "", 0
    for char in line:
        size = cell_len(char)
        if start <= at < end:
            out += char
        at += size
    return out.rstrip()
