"""Hostile templates (issue 10): a workspace template cannot reach outside the workspace, hang on a
FIFO, recurse without end or run away with time, memory or output. Each case asserts the exit
code, a Chinese message naming the path, no traceback, a bounded time, and that nothing on disk
changed (no report written). Cases that could hang (a FIFO) run fazhi in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_workspace, run_cli
from test_reports_workspace import make_workspace

AS_OF = "2020-08-06"
SECONDS = 3.0  # in-process runs: a render stopped by a limit takes well under one second
TEMPLATE = "templates/completion.md.j2"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    ws = make_workspace(tmp_path / "ws")
    (ws / "templates").mkdir()
    return ws


@pytest.fixture
def plan_ws(tmp_path: Path) -> Path:
    """The shipped plan with no ledgers: `check` finds nothing wrong in it."""
    ws = copy_workspace(tmp_path / "plan")
    (ws / "templates").mkdir(exist_ok=True)
    return ws


def snapshot(ws: Path) -> dict[str, bytes | str]:
    """Every path of the workspace and its bytes; links and special files by kind only (never opened)."""
    out: dict[str, bytes | str] = {}
    for path in sorted(ws.rglob("*")):
        rel = path.relative_to(ws).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = "special"
    return out


def report(ws: Path, out: Path, fmt: str = "md"):
    """`fazhi report 0805 --unit kerqin` in-process: (result, seconds)."""
    started = time.monotonic()
    result = run_cli("report", "0805", "--root", ws, "--unit", "kerqin", "--as-of", AS_OF, "-f", fmt, "-o", out)
    return result, time.monotonic() - started


def assert_refused(ws: Path, tmp_path: Path, path: str, *words: str, fmt: str = "md", code: int = 2) -> str:
    """The report stops cleanly: exit `code`, the path and `words` in the message, quickly, and
    nothing written anywhere."""
    out = tmp_path / f"out.{fmt}"
    before = snapshot(ws)
    result, seconds = report(ws, out, fmt)
    shown = result.stdout + result.stderr
    assert result.exit_code == code, shown
    assert path in result.stderr and all(w in result.stderr for w in words), result.stderr
    assert "Traceback" not in shown and "内部错误" not in shown
    assert seconds < SECONDS, seconds
    assert not out.exists() and snapshot(ws) == before
    return result.stderr


def fazhi_process(ws: Path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "fazhi_cli", *args, "--root", str(ws)],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=20,
    )


# --- 1. only regular files: no symlink, FIFO, device or folder --------------------------------


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_template_symlinked_outside_the_workspace_is_never_read(small, tmp_path, fmt):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容 SECRET", encoding="utf-8")
    (small / "templates" / f"completion.{fmt}.j2").symlink_to(secret)
    message = assert_refused(small, tmp_path, f"templates/completion.{fmt}.j2", "符号链接", fmt=fmt)
    assert "SECRET" not in message


def test_symlink_staying_inside_the_workspace_is_refused_too(small, tmp_path):
    """Policy: every symlink in templates/ is refused, as in data/ and ledgers/ (and `--rev`
    extracts no links, so a linked template would render differently there)."""
    (small / "templates" / "real.md.j2").write_text("正文\n", encoding="utf-8")
    (small / "templates" / "completion.md.j2").symlink_to("real.md.j2")
    assert_refused(small, tmp_path, TEMPLATE, "符号链接")


def test_symlinked_templates_folder_is_refused(small, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "completion.md.j2").write_text("SECRET\n", encoding="utf-8")
    (small / "templates").rmdir()
    (small / "templates").symlink_to(outside)
    assert "SECRET" not in assert_refused(small, tmp_path, "templates", "符号链接")


def test_template_included_through_a_symlink_is_refused_at_the_include(small, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (small / "templates" / "part.md.j2").symlink_to(secret)
    (small / "templates" / "completion.md.j2").write_text('第一行\n{% include "part.md.j2" %}\n', encoding="utf-8")
    message = assert_refused(small, tmp_path, "templates/part.md.j2", "completion.md.j2 第2行", "符号链接")
    assert "SECRET" not in message


@pytest.mark.parametrize("name", ["../data/units.yaml", "../../../etc/passwd", "/etc/passwd"])
def test_include_cannot_leave_templates(small, tmp_path, name):
    (small / "templates" / "completion.md.j2").write_text(f'{{% include "{name}" %}}\n', encoding="utf-8")
    message = assert_refused(small, tmp_path, "找不到模板")
    assert "yifaban" not in message and "root:" not in message


def test_directory_in_place_of_a_template_is_refused(small, tmp_path):
    (small / "templates" / "completion.md.j2").mkdir()
    assert_refused(small, tmp_path, TEMPLATE, "目录")


def test_fifo_in_place_of_a_template_never_hangs(small, tmp_path):
    os.mkfifo(small / "templates" / "completion.md.j2")
    before = snapshot(small)
    out = tmp_path / "out.md"
    result = fazhi_process(small, "report", "0805", "--unit", "kerqin", "--as-of", AS_OF, "-f", "md", "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert TEMPLATE in result.stderr and "命名管道" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and snapshot(small) == before


# --- 5. not UTF-8, too big ----------------------------------------------------------------------


def test_template_not_utf8_is_refused(small, tmp_path):
    (small / "templates" / "completion.md.j2").write_bytes("完成情况".encode("gb18030"))
    assert_refused(small, tmp_path, TEMPLATE, "UTF-8")


def test_huge_template_is_refused_before_it_is_read(small, tmp_path):
    from fazhi_cli.store.templatefiles import MAX_TEMPLATE_BYTES

    with (small / "templates" / "completion.md.j2").open("wb") as handle:
        handle.truncate(MAX_TEMPLATE_BYTES + 1)  # sparse: nothing is written but the size
    assert_refused(small, tmp_path, TEMPLATE, "过大")


# --- check lists every entry a report could not use ---------------------------------------------


def test_check_names_every_unusable_template_entry(plan_ws, tmp_path):
    """In a subprocess: one entry is a FIFO, which must never be opened."""
    from fazhi_cli.store.templatefiles import MAX_TEMPLATE_BYTES

    folder = plan_ws / "templates"
    secret = tmp_path / "secret.j2"
    secret.write_text("SECRET", encoding="utf-8")
    (folder / "completion.md.j2").symlink_to(secret)
    (folder / "good.md.j2").write_text("好\n", encoding="utf-8")
    (folder / "self-check.md.j2").symlink_to("good.md.j2")
    os.mkfifo(folder / "summary.md.j2")
    (folder / "weekly.md.j2").mkdir()
    (folder / "bulletin.md.j2").write_bytes("通报".encode("gb18030"))
    with (folder / "work-plan.md.j2").open("wb") as handle:
        handle.truncate(MAX_TEMPLATE_BYTES + 1)
    (folder / "parts").symlink_to(tmp_path)
    before = snapshot(plan_ws)
    result = fazhi_process(plan_ws, "check")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expected = {
        "templates/completion.md.j2": "E014",
        "templates/self-check.md.j2": "E014",
        "templates/summary.md.j2": "E014",
        "templates/weekly.md.j2": "E014",
        "templates/bulletin.md.j2": "E002",
        "templates/work-plan.md.j2": "E005",
        "templates/parts": "E014",
    }
    for path, code in expected.items():
        assert any(line.startswith(f"{path}: 错误 {code}") for line in lines), (path, result.stdout)
    assert not any("good.md.j2" in line for line in lines)
    assert "SECRET" not in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert snapshot(plan_ws) == before


def test_check_is_clean_with_ordinary_templates(plan_ws):
    (plan_ws / "templates" / "completion.md.j2").write_text("{{ meta.title }}\n", encoding="utf-8")
    (plan_ws / "templates" / "parts").mkdir()
    (plan_ws / "templates" / "parts" / "x.md.j2").write_text("x\n", encoding="utf-8")
    result = run_cli("check", "--root", plan_ws)
    assert result.exit_code == 0, result.stdout


# --- 2. template names in data/phases.yaml are names, not paths ---------------------------------


@pytest.mark.parametrize("name", ["../../etc/passwd", "/tmp/evil", "parts/completion", "..", "Completion"])
def test_template_path_in_phases_yaml_is_reported_and_refused(plan_ws, tmp_path, name):
    phases = plan_ws / "data" / "phases.yaml"
    text = phases.read_text(encoding="utf-8")
    assert "    template: completion\n" in text
    phases.write_text(text.replace("    template: completion\n", f'    template: "{name}"\n'), encoding="utf-8")
    line = text.split("\n").index("    template: completion") + 1
    checked = run_cli("check", "--root", plan_ws)
    assert checked.exit_code == 1
    assert f"data/phases.yaml:{line}:" in checked.stdout and "E210" in checked.stdout and name in checked.stdout
    assert "E209" not in checked.stdout
    before = snapshot(plan_ws)
    out = tmp_path / "out.md"
    result = run_cli("report", "0805", "--root", plan_ws, "--as-of", AS_OF, "-f", "md", "-o", out)
    assert result.exit_code == 2 and f"data/phases.yaml:{line}" in result.stderr and "E210" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists() and snapshot(plan_ws) == before


# --- 3. a template including or extending itself ------------------------------------------------


@pytest.mark.parametrize(
    "files, named",
    [
        ({"completion.md.j2": '{% include "completion.md.j2" %}'}, ["completion.md.j2 第1行"]),
        ({"completion.md.j2": '{% extends "completion.md.j2" %}'}, ["completion.md.j2"]),
        ({"completion.md.j2": 'a\n{% include "b.md.j2" %}', "b.md.j2": 'b\n\n{% include "completion.md.j2" %}'}, ["completion.md.j2 第2行", "b.md.j2 第3行"]),
        ({"completion.md.j2": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"}, ["completion.md.j2"]),
    ],
    ids=["include-self", "extends-self", "cycle", "macro"],
)
def test_template_recursion_is_a_clean_error(small, tmp_path, files, named):
    for name, text in files.items():
        (small / "templates" / name).write_text(text, encoding="utf-8")
    assert_refused(small, tmp_path, "嵌套过深", *named)


# --- 4. runaway templates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, words",
    [
        ('{{ "x" * 1000000000 }}', ["过大"]),
        ("{{ [0] * 1000000000 }}", ["过大"]),
        ("{% for i in range(10**9) %}x{% endfor %}", ["range", "过大"]),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", ["range", "过多"]),
        ("{% for i in range(100000) %}{% for j in range(100000) %}" + "x" * 200 + "{% endfor %}{% endfor %}", ["过长"]),
        ("{% set x = 'x' * 1000 %}" + "{% set x = x ~ x ~ x ~ x %}" * 12 + "{{ x }}", ["过大"]),
        ("{% set ns = namespace(s='xx') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", ["过大"]),
        ("{{ 10 ** 1000000000 }}", ["乘方"]),
        ('{{ "x"|center(1000000000) }}', ["参数"]),
        ('{{ "x".ljust(1000000000) }}', ["参数"]),
        ('{{ "%1000000000s"|format("x") }}', ["宽度"]),
        ('{{ "%*s" % (1000000000, "x") }}', ["参数"]),
        ('{{ "{:>1000000000}".format("x") }}', ["宽度"]),
        ('{{ "{:>{}}".format("x", 1000000000) }}', ["参数"]),
        ('{{ range(100000)|join("x" * 100000) }}', ["过大"]),
        ('{{ ("a" * 100000)|replace("a", "b" * 100000) }}', ["过大"]),
        ("{{ [1]|batch(1000000000, 0)|list|length }}", ["参数"]),
        ("{{ 2.0 ** 100000 }}", ["数值过大"]),
    ],
    ids=[
        "string-times", "list-times", "range", "nested-ranges", "output", "concat-doubling", "namespace-doubling",
        "power", "center", "ljust", "printf-width", "printf-star", "format-width", "format-nested-width", "join", "replace", "batch", "float-power",
    ],
)
def test_runaway_template_stops_quickly_with_a_clear_error(small, tmp_path, text, words):
    (small / "templates" / "completion.md.j2").write_text(text, encoding="utf-8")
    assert_refused(small, tmp_path, "completion.md.j2", "已停止" if "数值过大" not in words else "模板", *words)


def test_render_stops_at_the_deadline(small, tmp_path, monkeypatch):
    """Loops that build nothing big still end: RENDER_SECONDS (lowered here) stops them."""
    from fazhi_cli.render import documents

    monkeypatch.setattr(documents, "RENDER_SECONDS", 0.3)
    xs = "{% set xs = 'x' * 3000 %}"
    (small / "templates" / "completion.md.j2").write_text(
        xs + "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}", encoding="utf-8"
    )
    assert_refused(small, tmp_path, "completion.md.j2", "秒", "已停止")


def test_ordinary_override_still_renders(small, tmp_path):
    (small / "templates" / "completion.md.j2").write_text(
        "# {{ unit.label }}\n{% for i in range(3) %}{{ i }}{% endfor %}\n{{ 'ab' * 3 }}\n{{ '%5s'|format('x') }}\n"
        "{{ '{}人'.format(2000000) }} {{ '%d次' % 3000000 }} {{ 'x'|truncate(500000) }}\n",
        encoding="utf-8",
    )
    result, seconds = report(small, tmp_path / "r.md")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == "# 科区\n012ababab\n    x\n2000000人 3000000次 x\n"


def test_a_template_edited_between_two_reports_of_one_process_is_read_again(small, tmp_path):
    """Compiled templates are kept while templates/ is unchanged (cached_environment): an edit of
    the same size within the same second, and a file turned into a symlink, are both seen."""
    import os

    path = small / TEMPLATE
    path.write_text("版本甲\n", encoding="utf-8")
    out = tmp_path / "r.md"
    assert report(small, out)[0].exit_code == 0 and out.read_text(encoding="utf-8") == "版本甲\n"
    info = path.stat()
    path.write_text("版本乙\n", encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert report(small, out)[0].exit_code == 0 and out.read_text(encoding="utf-8") == "版本乙\n"
    outside = tmp_path / "outside.j2"
    outside.write_text("版本乙\n", encoding="utf-8")
    path.unlink()
    path.symlink_to(outside)
    assert report(small, out)[0].exit_code == 2  # refused, not the compiled copy of the same text
