"""Chinese everywhere a clerk looks: every help page and every usage error, without an English
sentence, an English heading or a programmer's placeholder (`<str>`, `{task}`).

What may stay in Latin letters: option names (--unit, -u), problem codes (E102, A001), file and
folder names (data/tasks.yaml), format names (json, csv, docx), field names written in the
files (leader, review_by), URLs, "fazhi" and "git". An English *sentence* is caught as three or
more English words in a row once those are taken out; the headings click writes in English are
caught one word at a time.
"""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from conftest import run_cli

from fazhi_cli.cli.app import app
from fazhi_cli.cli.help import wrap, width
from fazhi_cli.cli.usage import explain, hint, is_usage_error

def _paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


COMMAND = typer.main.get_command(app)
COMMAND_NAMES = list(_paths(COMMAND))

ENGLISH_HEADINGS = re.compile(r"\b(Usage|Options|Arguments|Commands|Error)\s*:|\[OPTIONS\]|COMMAND \[ARGS\]|\[required\]|default: ")
PLACEHOLDERS = re.compile(r"<(str|int|float|path|bool|list\[[a-z]+\]|[a-z_]+ range)>|\{[a-z_]+\}")
ALLOWED = [
    r"(示例：|\$ )fazhi .*",  # an example is a command line, not a sentence
    r"\bfazhi(?: (?:" + "|".join(sorted({w for p in COMMAND_NAMES for w in p}, key=len, reverse=True)) + r"))*\b",
    r"https?://\S+",
    r"(?<![\w-])--?[a-zA-Z][\w-]*(=\S*)?",  # option names
    r"\b[A-Z]\d{3}\b",  # codes
    r"[\w.\-\[\]/*]*[/.][\w.\-\[\]/*]+",  # file and folder names, origin/main..HEAD, units[].editors
    r"`[^`]*`",  # commands quoted in backticks: `git status`
    r"\b\w+(_\w+)+\b",  # field names with underscores: review_by
    r"\w+(\|\w+)+",  # table|json|csv
]
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}\b(?:[ ,'’]+\b[A-Za-z]{2,}\b){2,}")


def english_sentences(text: str) -> list[str]:
    found = [m.group(0) for m in ENGLISH_HEADINGS.finditer(text)] + [m.group(0) for m in PLACEHOLDERS.finditer(text)]
    stripped = text
    for pattern in ALLOWED:
        stripped = re.sub(pattern, " \u00b7 ", stripped)
    return found + [m.group(0) for m in ENGLISH_WORDS.finditer(stripped)]



def test_the_detector_catches_what_click_and_pydantic_write():
    assert english_sentences("  -h, --help  Show this message and exit.")
    assert english_sentences("Usage: fazhi close [OPTIONS] {task}")
    assert english_sentences("  -u, --unit <str>  单位")
    assert english_sentences("Option '--unit' requires an argument.")
    assert english_sentences("选项 --backfill-days 的值无效：Input should be greater than or equal to 0")
    assert not english_sentences("用法：fazhi close [选项] 任务序号  --format json 写入 data/tasks.yaml，E102，`git status`")


def test_every_help_page_is_chinese_with_one_example_a_line():
    assert len(COMMAND_NAMES) > 20
    pages = {}
    for path in COMMAND_NAMES:
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, path
        pages[" ".join(path)] = result.stdout
    bad = {name: english_sentences(text) for name, text in pages.items() if english_sentences(text)}
    assert not bad, bad
    for name, text in pages.items():
        assert text.startswith("用法：fazhi"), name
        assert "显示本帮助并退出" in text, name
        for line in text.splitlines():
            assert line.count("示例：") <= 1, f"`fazhi {name} -h`: two examples on one line: {line}"
            assert not line.lstrip().startswith("示例：") or line.lstrip().startswith("示例：fazhi"), (name, line)
    close = pages["close"]
    assert "用法：fazhi close [选项] 任务序号" in close
    assert re.search(r"-u, --unit 单位 +单位：", close)
    assert "--date 日期" in close and "-e, --evidence 材料" in close and "--root 目录" in close
    assert "［必填］" in close
    assert "选项：" in close and "参数：" in close
    assert "命令：" in pages[""] and "命令 [参数]..." in pages["extend"]
    assert "［默认：table］" in pages["status"] and "［不小于 0］" in pages["audit"]
    record = [line for line in pages["record"].splitlines() if "示例：" in line]
    assert len(record) == 3, record  # each of its three examples on a line of its own


def test_help_columns_align_by_display_width():
    lines = [line for line in run_cli("close", "-h").stdout.splitlines() if line.startswith("  -")]
    starts = set()
    for line in lines:
        rest = re.match(r"  \S.*?  +(\S.*)$", line).group(1)
        starts.add(width(line) - width(rest))
    assert len(starts) == 1, lines
    assert wrap("单位：编号、全称、简称 abc defghijk", 10) == ["单位：编号、", "全称、简称", "abc", "defghijk"]
    assert wrap("安装钩子（hooks/pre-receive）", 10) == ["安装钩子", "（hooks/pre-receive）"]


USAGE_ERRORS = [
    (["close", "7", "--unit"], "选项 --unit 后面缺少要填的值"),  # missing option value
    (["close", "7", "-u"], "选项 -u 后面缺少要填的值"),
    (["status", "--bogus"], "没有选项 --bogus"),  # unknown option
    (["status", "--unti", "x"], "是否是：--unit？"),
    (["status", "--format", "xml"], "应为以下之一：table、json、csv"),  # bad choice
    (["codeowners", "--style", "bad"], "应为以下之一：github、gitlab、gitea"),
    (["audit", "--backfill-days", "-3"], "选项 --backfill-days 的值无效：应不小于 0"),  # out of range
    (["audit", "--backfill-days", "x"], "应为数字"),
    (["history", "--task", "abc"], "应为数字"),
    (["close", "--unit", "kerqin"], "缺少参数 任务序号"),  # missing argument
    (["report"], "缺少参数 报送编号"),
    (["import-plan"], "缺少参数 文件"),
    (["extend", "request"], "缺少参数 任务序号"),
    (["close", "7"], "缺少选项 --unit"),  # missing option
    (["check", "--strict=1"], "选项 --strict 是开关，不带值"),
    (["stauts"], "没有命令“stauts”；是否是：status？"),
    (["extend", "ask"], "没有命令“ask”"),
    (["status", "a", "b"], "多余的参数：a b"),
]


@pytest.mark.parametrize("args, expected", USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_chinese(args, expected):
    command = typer.main.get_command(app)
    with pytest.raises(Exception) as caught:
        command.main(args, prog_name="fazhi", standalone_mode=False)
    assert is_usage_error(caught.value), caught.value
    shown = f"错误：{explain(caught.value)}\n{hint(caught.value)}"
    assert expected in shown
    assert not english_sentences(shown), shown


def test_w302_says_how_to_record_the_checksum(ws):
    import hashlib
    import json

    (ws / "evidence" / "kerqin").mkdir(parents=True)
    (ws / "evidence" / "kerqin" / "规划.pdf").write_bytes(b"%PDF")
    digest = hashlib.sha256(b"%PDF").hexdigest()
    (ws / "ledgers" / "kerqin.yaml").write_text(
        "unit: kerqin\ntasks:\n  16:\n    progress:\n      - date: 2020-07-01\n        note: 部署\n        evidence:\n"
        "          - evidence/kerqin/规划.pdf\n          - path: evidence/kerqin/规划.pdf\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--root", str(ws), "--format", "json")
    messages = [p["message"] for p in json.loads(result.stdout) if p["code"] == "W302"]
    assert len(messages) == 2, messages
    assert f"把这一项改写成 {{path: evidence/kerqin/规划.pdf, sha256: {digest}}}" in messages[0]
    assert f"在 path: 下面加一行 sha256: {digest}" in messages[1]
