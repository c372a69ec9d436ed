"""edit_ledger: an edit changes the lines of its task entry and nothing else, byte for byte.

Inputs are inline; expected outputs are whole files (bytes), so a change in ruamel's output
or in the merge shows up here as a failing diff.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import os
from pathlib import Path

import pytest

from fazhi_cli.problems import error, warning
from fazhi_cli.store import safewrite
from fazhi_cli.store.ledgeredit import (
    DUMP_WIDTH,
    Busy,
    ChangedOnDisk,
    EditRefused,
    Scope,
    WriteError,
    append_item,
    edit_ledger,
    entry_map,
    render_edit,
    ruamel_roundtrip,
    set_value,
)
from fazhi_cli.store.yamlread import parse_yaml

LEDGER = """\
# yaml-language-server: $schema=../schemas/ledger.schema.json
# 科尔沁区工作台账（手工维护，注释请保留）
unit: kerqin
tasks:
  1:
    plan:
      leader: 张三
      owner: '李四'
      measures: "制定学法计划"
      due: 2020-06-30
    progress:
      - date: 2020-03-10
        note: 召开专题会议  # 会议纪要已归档
        evidence:
          - 通司发〔2020〕12号
          - path: evidence/kerqin/会议纪要.pdf
    log:
      - date: 2020-07-20
        action: apply
        by: 王五
        evidence: [evidence/kerqin/x.pdf]

  # 手写注释：第 3 项由办公室牵头
  3:
    plan:
      owner: 赵六

  # 手写注释：第 7 项尚未开始
  7: {}

  9:
    claimed: 2020-01-01
    progress:
      - date: 2020-02-01
        note: 已认领
"""

NEW_PROGRESS = {"date": dt.date(2020, 7, 31), "note": "完成部署"}
PROGRESS_LINES = "    progress:\n      - date: 2020-07-31\n        note: 完成部署\n"


def bom_crlf(text: str) -> bytes:
    return codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8")


def write(tmp_path: Path, data: bytes, name: str = "kerqin.yaml") -> Path:
    path = tmp_path / "ledgers" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def add_progress(task_id: int, item: dict | None = None):
    def mutate(root):
        append_item(entry_map(root, task_id), "progress", item or NEW_PROGRESS)

    return mutate


def changed_lines(old: str, new: str) -> tuple[set[int], set[int]]:
    """0-based old lines removed/changed and new lines added/changed."""
    a, b = old.split("\n"), new.split("\n")
    gone, came = set(), set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            gone.update(range(i1, i2))
            came.update(range(j1, j2))
    return gone, came


def text_of(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    return data.decode("utf-8").replace("\r\n", "\n")


# --- the main case: hand-written ledger with comments, blank lines, CRLF and a BOM ---------------


def test_append_progress_to_flow_entry_with_comments_blank_lines_crlf_and_bom(tmp_path):
    path = write(tmp_path, bom_crlf(LEDGER))
    outcome = edit_ledger(path, "ledgers/kerqin.yaml", add_progress(7), scope=Scope.entry(7))

    expected = LEDGER.replace("  7: {}\n", "  7:\n" + PROGRESS_LINES)
    assert outcome.changed
    assert path.read_bytes() == bom_crlf(expected) == outcome.new_bytes
    assert outcome.old_bytes == bom_crlf(LEDGER)
    # only task 7's lines: the one `7: {}` line became the block
    gone, came = changed_lines(LEDGER, text_of(path.read_bytes()))
    old_lines = LEDGER.split("\n")
    assert [old_lines[i] for i in gone] == ["  7: {}"]
    assert len(came) == 4
    # every comment is still there, and BOM + CRLF kept (no bare \n anywhere)
    data = path.read_bytes()
    for line in LEDGER.split("\n"):
        if "#" in line:
            assert line.encode("utf-8") + b"\r\n" in data
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\n") == data.count(b"\r\n")
    assert not safewrite.orphan_temp_files(path)


def test_append_to_existing_list_keeps_eol_comment_and_flow_list_of_other_items(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))
    edit_ledger(path, "k", add_progress(1), scope=Scope.entry(1))
    expected = LEDGER.replace(
        "          - path: evidence/kerqin/会议纪要.pdf\n",
        "          - path: evidence/kerqin/会议纪要.pdf\n      - date: 2020-07-31\n        note: 完成部署\n",
    )
    assert path.read_text(encoding="utf-8") == expected


def test_new_key_at_end_of_entry_goes_before_the_comment_of_the_next_entry(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))

    def mutate(root):
        append_item(entry_map(root, 3), "extensions", {"requested": dt.date(2020, 6, 1), "reason": "机构调整", "new_due": dt.date(2020, 9, 30)})

    edit_ledger(path, "k", mutate, scope=Scope.entry(3))
    expected = LEDGER.replace(
        "      owner: 赵六\n",
        "      owner: 赵六\n    extensions:\n      - requested: 2020-06-01\n        reason: 机构调整\n        new_due: 2020-09-30\n",
    )
    assert path.read_text(encoding="utf-8") == expected


def test_insert_entry_5_between_3_and_7_keeps_comment_above_7_with_7(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))
    edit_ledger(path, "k", add_progress(5), scope=Scope.entry(5))
    expected = LEDGER.replace(
        "      owner: 赵六\n\n",
        "      owner: 赵六\n\n  5:\n" + PROGRESS_LINES + "\n",
    )
    assert path.read_text(encoding="utf-8") == expected
    assert "  5:\n" + PROGRESS_LINES + "\n  # 手写注释：第 7 项尚未开始\n  7: {}\n" in expected


def test_insert_entry_keeps_comment_indented_under_previous_entry_with_it(tmp_path):
    text = "unit: kerqin\ntasks:\n  3:\n    plan:\n      owner: 赵六\n      # 负责人待定\n  # 第 7 项\n  7: {}\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(5), scope=Scope.entry(5))
    assert path.read_text(encoding="utf-8") == (
        "unit: kerqin\ntasks:\n  3:\n    plan:\n      owner: 赵六\n      # 负责人待定\n"
        "  5:\n" + PROGRESS_LINES + "  # 第 7 项\n  7: {}\n"
    )


def test_insert_entry_before_first_and_after_last_in_numeric_order(tmp_path):
    text = "unit: kerqin\ntasks:\n  # 第 3 项\n  3: {}\n  7: {}\n# 文件结束\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", lambda root: set_value(entry_map(root, 1), "claimed", dt.date(2020, 1, 2)), scope=Scope.entry(1))
    edit_ledger(path, "k", lambda root: set_value(entry_map(root, 12), "claimed", dt.date(2020, 1, 3)), scope=Scope.entry(12))
    assert path.read_text(encoding="utf-8") == (
        "unit: kerqin\ntasks:\n  1:\n    claimed: 2020-01-02\n  # 第 3 项\n  3: {}\n  7: {}\n"
        "  12:\n    claimed: 2020-01-03\n# 文件结束\n"
    )


def test_flow_empty_entry_becomes_block_and_null_entry_gets_keys(tmp_path):
    text = "unit: kerqin\ntasks:\n  7: {}\n  8:\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", lambda root: set_value(entry_map(root, 7), "claimed", dt.date(2020, 1, 2)), scope=Scope.entry(7))
    edit_ledger(path, "k", lambda root: set_value(entry_map(root, 8), "claimed", dt.date(2020, 1, 3)), scope=Scope.entry(8))
    assert path.read_text(encoding="utf-8") == (
        "unit: kerqin\ntasks:\n  7:\n    claimed: 2020-01-02\n  8:\n    claimed: 2020-01-03\n"
    )


def test_empty_flow_tasks_becomes_block_and_missing_tasks_is_created(tmp_path):
    path = write(tmp_path, b"unit: kerqin\ntasks: {}\n")
    edit_ledger(path, "k", add_progress(2), scope=Scope.entry(2))
    assert path.read_text(encoding="utf-8") == "unit: kerqin\ntasks:\n  2:\n" + PROGRESS_LINES
    other = write(tmp_path, b"unit: kerqin\n", "other.yaml")
    edit_ledger(other, "k", add_progress(2), scope=Scope.entry(2))
    assert other.read_text(encoding="utf-8") == "unit: kerqin\ntasks:\n  2:\n" + PROGRESS_LINES


def test_quotes_preserved_elsewhere_and_in_the_edited_entry(tmp_path):
    text = (
        "unit: 'kerqin'\ntasks:\n  1:\n    plan:\n      owner: \"李四\"\n      measures: '学法: 计划'\n"
        "  7:\n    plan:\n      leader: '张三'\n      owner: \"王五\"\n"
    )
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text + PROGRESS_LINES


def test_long_lines_are_not_rewrapped(tmp_path):
    long_note = " ".join(["法治政府建设"] * 900)  # 6,299 characters with spaces: ruamel would fold it
    assert len(long_note) > DUMP_WIDTH
    medium = " ".join(["学法"] * 1300)  # 3,899 characters, inside the edited entry
    text = (
        f"unit: kerqin\ntasks:\n  1:\n    progress:\n      - date: 2020-01-01\n        note: {long_note}\n"
        f"  7:\n    plan:\n      measures: {medium}\n"
    )
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text + PROGRESS_LINES


def test_explicit_document_start_is_kept(tmp_path):
    text = "# 台账\n---\nunit: kerqin\ntasks:\n  7: {}\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == "# 台账\n---\nunit: kerqin\ntasks:\n  7:\n" + PROGRESS_LINES


def test_four_space_indented_file_stays_four_space(tmp_path):
    text = (
        "unit: kerqin\ntasks:\n    1:\n        progress:\n            -   date: 2020-01-01\n"
        "                note: 旧\n    7:\n        plan:\n            owner: 李四\n"
    )
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text + (
        "        progress:\n            -   date: 2020-07-31\n                note: 完成部署\n"
    )


def test_four_space_file_with_dash_at_key_column(tmp_path):
    text = "unit: kerqin\ntasks:\n    1:\n        progress:\n        - date: 2020-01-01\n          note: 旧\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(1), scope=Scope.entry(1))
    assert path.read_text(encoding="utf-8") == text + "        - date: 2020-07-31\n          note: 完成部署\n"


def test_utf16_ledger_is_edited_and_stays_utf16(tmp_path):
    text = "unit: kerqin\ntasks:\n  # 第 7 项\n  7: {}\n"
    data = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")
    path = write(tmp_path, data)
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    expected = "unit: kerqin\ntasks:\n  # 第 7 项\n  7:\n" + PROGRESS_LINES
    assert path.read_bytes() == codecs.BOM_UTF16_LE + expected.replace("\n", "\r\n").encode("utf-16-le")


def test_missing_final_newline_stays_missing(tmp_path):
    path = write(tmp_path, b"unit: kerqin\ntasks:\n  7: {}")
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == "unit: kerqin\ntasks:\n  7:\n" + PROGRESS_LINES.rstrip("\n")


def test_non_house_style_outside_the_edit_is_kept_byte_for_byte(tmp_path):
    # All of these come back different from a plain ruamel load → dump (see the report in
    # test_roundtrip_properties.py); the merge keeps them because the edit does not touch them.
    text = (
        "unit: kerqin   \n"  # trailing spaces
        "tasks:\n"
        "  1:\n"
        "    plan:\n"
        "      leader: ~\n"  # ~ would become empty
        "      owner:   李四\n"  # extra spaces after the colon
        "      measures: 第一行\n        第二行\n"  # plain scalar over two lines
        "    progress:\n"
        "      - date: 2020-01-01\n"
        "        note: 'x'\n"
        "        evidence: [ a.pdf,\n            b.pdf ]\n"  # multi-line flow list with spaces
        "    log: []\n"
        "  7:\n"
        "    claimed: 2020-01-01\n"
        "...\n"  # document end marker
    )
    assert ruamel_roundtrip(text) != text
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text.replace("...\n", PROGRESS_LINES + "...\n")


def test_lone_dash_line_elsewhere_does_not_stop_the_edit(tmp_path):
    # ruamel's indentation guesser raises IndexError on a line holding only `-`
    text = "unit: kerqin\ntasks:\n  1:\n    progress:\n      -\n        date: 2020-01-01\n        note: 旧\n  7: {}\n"
    path = write(tmp_path, text.encode("utf-8"))
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text.replace("  7: {}\n", "  7:\n" + PROGRESS_LINES)


def test_values_are_quoted_so_they_read_back_as_the_same_strings(tmp_path):
    notes = ["完成: 部署", "#3 号文", "2020-01-01", "yes", "No", "123", "1.5", "0x1F", "@张三", "- 列表", "[草稿]",
             "{x}", "*重要", "&a", "!tag", "|竖线", ">大于", "'单引号'", '"双引号"', "%百分", "`反引号`", " 前后空格 ",
             "", "null", "~", "第一行\n第二行", "含\t制表符", "含\u2028分隔符", "true", "1:30", "3e5"]
    path = write(tmp_path, b"unit: kerqin\ntasks:\n  7: {}\n")

    def mutate(root):
        for note in notes:
            append_item(entry_map(root, 7), "progress", {"date": dt.date(2020, 7, 31), "note": note})

    edit_ledger(path, "k", mutate, scope=Scope.entry(7))
    parsed, problems = parse_yaml(path.read_text(encoding="utf-8"), "k")
    assert problems == []
    assert [item["note"] for item in parsed.data["tasks"][7]["progress"]] == notes
    assert all(item["date"] == "2020-07-31" for item in parsed.data["tasks"][7]["progress"])
    assert "        note: '完成: 部署'\n" in path.read_text(encoding="utf-8")


def test_set_value_replaces_in_place_and_keeps_the_eol_comment(tmp_path):
    text = "unit: kerqin\ntasks:\n  7:\n    plan:\n      owner: 李四  # 暂定\n      due: 2020-06-30\n  8: {}\n"
    path = write(tmp_path, text.encode("utf-8"))

    def mutate(root):
        plan = entry_map(root, 7)["plan"]
        set_value(plan, "owner", "王五")
        set_value(plan, "leader", "张三")

    edit_ledger(path, "k", mutate, scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == (
        "unit: kerqin\ntasks:\n  7:\n    plan:\n      owner: 王五  # 暂定\n      due: 2020-06-30\n      leader: 张三\n  8: {}\n"
    )


# --- nothing written -----------------------------------------------------------------------------


def test_noop_edit_writes_nothing(tmp_path):
    path = write(tmp_path, bom_crlf(LEDGER))
    before = os.stat(path)
    outcome = edit_ledger(path, "k", lambda root: entry_map(root, 7), scope=Scope.entry(7))
    assert not outcome.changed and outcome.new_bytes == outcome.old_bytes == bom_crlf(LEDGER)
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_noop_edit_leaves_null_entry_and_missing_entry_alone(tmp_path):
    text = "unit: kerqin\ntasks:\n  8:\n"
    path = write(tmp_path, text.encode("utf-8"))
    assert not edit_ledger(path, "k", lambda root: (entry_map(root, 8), entry_map(root, 9)), scope=Scope.entry(9)).changed
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "bad, code",
    [
        ("unit: kerqin\ntasks:\n  7:\n\tplan: {}\n", "E007"),  # tab
        ("unit: kerqin\ntasks:\n  7: {}\n  7: {}\n", "E008"),  # duplicate key
        ("unit: kerqin\ntasks:\n  7: [\n", "E006"),  # syntax error
        ("unit: &u kerqin\nother: *u\n", "E009"),  # alias
        ("unit: kerqin\ntasks:\n  7:\n    claimed: 2020-02-30\n", "E104"),  # date that does not exist
        ("- just\n- a list\n", "E103"),  # not a mapping
    ],
    ids=["tab", "duplicate-key", "syntax-error", "alias", "invalid-date", "top-level-list"],
)
def test_invalid_file_is_refused_with_its_problems_and_bytes_unchanged(tmp_path, bad, code):
    path = write(tmp_path, bad.encode("utf-8"))
    called = []
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", lambda root: called.append(1), scope=Scope.entry(7))
    assert [p.code for p in info.value.problems][0] == code
    assert path.read_bytes() == bad.encode("utf-8")
    if code != "E104":  # the date is found only when ruamel fails to load the file
        assert called == []


def test_gbk_file_is_refused_not_rewritten(tmp_path):
    data = "unit: kerqin\ntasks:\n  7:\n    plan:\n      owner: 科尔沁区司法局办公室\n".encode("gb18030")
    path = write(tmp_path, data)
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert info.value.problems[0].code == "E002"
    assert path.read_bytes() == data


def test_edit_that_would_make_the_file_unreadable_is_refused(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))
    endless = "长" * 12_000  # one line over store.decode's 10,000-character limit
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", add_progress(7, {"date": dt.date(2020, 7, 31), "note": endless}), scope=Scope.entry(7))
    assert info.value.problems[0].code == "E402"
    assert "过长" in info.value.problems[0].message
    assert path.read_bytes() == LEDGER.encode("utf-8")


def test_guard_refuses_mutate_touching_another_entry(tmp_path):
    path = write(tmp_path, bom_crlf(LEDGER))

    def mutate(root):
        append_item(entry_map(root, 7), "progress", NEW_PROGRESS)
        set_value(entry_map(root, 3)["plan"], "owner", "钱七")

    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "ledgers/kerqin.yaml", mutate, scope=Scope.entry(7))
    problems = info.value.problems
    assert problems[0].code == "E401"
    assert problems[0].line == LEDGER.split("\n").index("      owner: 赵六") + 1
    assert "任务 7" in problems[0].message and "赵六" in problems[0].message
    assert path.read_bytes() == bom_crlf(LEDGER)


def test_guard_refuses_change_to_unit_or_header_comment(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))

    def mutate(root):
        root["unit"] = "horqin"
        append_item(entry_map(root, 7), "progress", NEW_PROGRESS)

    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", mutate, scope=Scope.entry(7))
    assert info.value.problems[0].code == "E401" and info.value.problems[0].line == 3
    assert path.read_bytes() == LEDGER.encode("utf-8")


def test_guard_refuses_entry_sharing_a_line_with_others(tmp_path):
    text = "unit: kerqin\ntasks: {1: {}, 7: {}}\n"
    path = write(tmp_path, text.encode("utf-8"))
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert info.value.problems[0].code == "E401"
    assert path.read_text(encoding="utf-8") == text


def test_comment_ruamel_would_drop_inside_the_edited_lines_refuses(tmp_path):
    # ruamel loses a comment between a key and its value on the next line; when the edit
    # rewrites that value, the comment cannot be kept: refuse rather than drop it.
    text = "unit: kerqin\ntasks:\n  7:\n    plan:\n      owner:\n        # 待定\n        李四\n"
    path = write(tmp_path, text.encode("utf-8"))
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", lambda root: set_value(entry_map(root, 7)["plan"], "owner", "王五"), scope=Scope.entry(7))
    assert info.value.problems[0].code == "E402"
    assert path.read_text(encoding="utf-8") == text
    # an edit elsewhere in the same entry keeps it as it is
    edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
    assert path.read_text(encoding="utf-8") == text + PROGRESS_LINES


def test_validate_errors_refuse_and_warnings_pass(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))
    seen = []

    def bad(new_bytes):
        seen.append(new_bytes)
        return [error("k", 30, None, "E303", "台账中的任务不存在")]

    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7), validate=bad)
    assert info.value.problems[0].code == "E303"
    assert path.read_bytes() == LEDGER.encode("utf-8")
    assert b"2020-07-31" in seen[0]
    note = warning("k", 30, None, "W303", "日期晚于当前日期")
    outcome = edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7), validate=lambda b: [note])
    assert outcome.changed and outcome.warnings == (note,)


def test_changed_on_disk_between_read_and_write(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))
    saved_from_notepad = bom_crlf(LEDGER + "  10: {}\n")

    def mutate(root):
        append_item(entry_map(root, 7), "progress", NEW_PROGRESS)
        path.write_bytes(saved_from_notepad)  # a clerk saves the file meanwhile

    with pytest.raises(ChangedOnDisk) as info:
        edit_ledger(path, "ledgers/kerqin.yaml", mutate, scope=Scope.entry(7))
    assert isinstance(info.value, WriteError)
    assert "记事本" in info.value.message and "重新运行" in info.value.message
    assert path.read_bytes() == saved_from_notepad
    assert not safewrite.orphan_temp_files(path)


def test_file_deleted_between_read_and_write(tmp_path):
    path = write(tmp_path, LEDGER.encode("utf-8"))

    def mutate(root):
        append_item(entry_map(root, 7), "progress", NEW_PROGRESS)
        path.unlink()

    with pytest.raises(ChangedOnDisk):
        edit_ledger(path, "k", mutate, scope=Scope.entry(7))
    assert not path.exists()


def test_missing_file_refused_without_new_file_text(tmp_path):
    path = tmp_path / "ledgers" / "kerqin.yaml"
    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "ledgers/kerqin.yaml", add_progress(7), scope=Scope.entry(7))
    assert info.value.problems[0].code == "E001"
    assert not path.exists() and not path.parent.exists()


def test_missing_file_created_from_new_file_text(tmp_path):
    path = tmp_path / "ledgers" / "kerqin.yaml"
    template = "# 科尔沁区工作台账\nunit: kerqin\ntasks: {}\n"
    outcome = edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7), new_file_text=template)
    assert outcome.changed and outcome.old_bytes is None
    assert path.read_text(encoding="utf-8") == "# 科尔沁区工作台账\nunit: kerqin\ntasks:\n  7:\n" + PROGRESS_LINES
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_busy_when_another_process_holds_the_lock(tmp_path, monkeypatch):
    import subprocess
    import sys

    path = write(tmp_path, LEDGER.encode("utf-8"))
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); "
            "print('locked', flush=True); sys.stdin.read()"
        ), str(safewrite.lock_path(path))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(safewrite, "LOCK_TIMEOUT", 0.3)
        with pytest.raises(Busy) as info:
            edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7))
        assert info.value.message == "台账正被其他人或程序修改，请稍后重试"
        assert path.read_bytes() == LEDGER.encode("utf-8")
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7)).changed


# --- Scope.additions (fazhi init) ------------------------------------------------------------


INIT_LEDGER = """\
# 科尔沁区工作台账
unit: kerqin
tasks:
  # 任务3 建立学法制度（完成时限 2020-06-30）
  3: {}
  # 任务7 公开权责清单（完成时限 2020-09-30）
  7:
    claimed: 2020-01-01
"""


def test_additions_add_missing_entries_in_order_and_keep_comments(tmp_path):
    path = write(tmp_path, INIT_LEDGER.encode("utf-8"))

    def mutate(root):
        for tid in (1, 5, 9):
            entry_map(root, tid)

    edit_ledger(path, "k", mutate, scope=Scope.additions())
    assert path.read_text(encoding="utf-8") == (
        "# 科尔沁区工作台账\nunit: kerqin\ntasks:\n  1: {}\n"
        "  # 任务3 建立学法制度（完成时限 2020-06-30）\n  3: {}\n  5: {}\n"
        "  # 任务7 公开权责清单（完成时限 2020-09-30）\n  7:\n    claimed: 2020-01-01\n  9: {}\n"
    )


def test_additions_into_empty_flow_tasks(tmp_path):
    path = write(tmp_path, b"unit: kerqin\ntasks: {}\n")
    edit_ledger(path, "k", lambda root: entry_map(root, 4), scope=Scope.additions())
    assert path.read_text(encoding="utf-8") == "unit: kerqin\ntasks:\n  4: {}\n"


def test_additions_refuse_a_changed_value(tmp_path):
    path = write(tmp_path, INIT_LEDGER.encode("utf-8"))

    def mutate(root):
        entry_map(root, 9)
        set_value(entry_map(root, 7), "claimed", dt.date(2020, 2, 2))

    with pytest.raises(EditRefused) as info:
        edit_ledger(path, "k", mutate, scope=Scope.additions())
    assert info.value.problems[0].code == "E401"
    assert info.value.problems[0].line == 8
    assert path.read_text(encoding="utf-8") == INIT_LEDGER


def test_render_edit_is_pure_and_matches_edit_ledger(tmp_path):
    raw = bom_crlf(LEDGER)
    rendered = render_edit(raw, "k", add_progress(7), Scope.entry(7))
    path = write(tmp_path, raw)
    assert edit_ledger(path, "k", add_progress(7), scope=Scope.entry(7)).new_bytes == rendered


# --- hostile input: the public YAML test suite ------------------------------------------------------

SUITE = Path(os.environ.get("FAZHI_YAML_SUITE") or Path(__file__).resolve().parents[3] / "shared/corpora/yaml-test-suite")

_SUITE_SCRIPT = r"""
import datetime as dt, json, sys
from pathlib import Path
from fazhi_cli.store.ledgeredit import EditRefused, Scope, append_item, entry_map, render_edit
from fazhi_cli.store.yamlread import parse_yaml

def mutate(root):
    append_item(entry_map(root, 1), "progress", {"date": dt.date(2020, 7, 31), "note": "进展"})

out = {"refused": 0, "edited": 0, "bad": []}
for name in sys.argv[1:]:
    raw = Path(name).read_bytes()
    try:
        new = render_edit(raw, name, mutate, Scope.entry(1))
    except EditRefused as exc:
        if not exc.problems or not all(p.code and p.message for p in exc.problems):
            out["bad"].append([name, "refusal without problems"])
        out["refused"] += 1
        continue
    except Exception as exc:
        out["bad"].append([name, repr(exc)])
        continue
    parsed, problems = parse_yaml(new.decode("utf-8", "replace"), name)
    if parsed is None or parsed.data["tasks"][1]["progress"][-1]["note"] != "进展":
        out["bad"].append([name, "edited file does not hold the edit"])
    out["edited"] += 1
print(json.dumps(out))
"""


@pytest.mark.skipif(not SUITE.is_dir(), reason=f"YAML test suite not found at {SUITE} (set FAZHI_YAML_SUITE)")
def test_yaml_test_suite_inputs_are_refused_or_edited_never_a_traceback():
    import json
    import subprocess
    import sys

    inputs = sorted(str(p) for p in SUITE.rglob("in.yaml"))
    assert len(inputs) > 300
    # in a child process: the C parser could crash the process on pathological input
    result = subprocess.run(
        [sys.executable, "-c", _SUITE_SCRIPT, *inputs], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["bad"] == []
    assert summary["refused"] + summary["edited"] == len(inputs)
    assert summary["refused"] > summary["edited"]
