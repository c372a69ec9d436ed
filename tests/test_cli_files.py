"""Files as clerks leave them: a hand-written CRLF ledger closed with a minimal git diff, and a
ledger saved as GBK converted on request."""

from __future__ import annotations

import json
import os

import pytest

from conftest import beyond_the_plan, with_every_editor

from git_helpers import git, new_workspace_repo

HAND_WRITTEN = (
    "\ufeff# 科尔沁区工作台账（张三手工维护）\r\n"
    "unit: kerqin\r\n"
    "tasks:\r\n"
    "  # 任务7：已于3月底前公布\r\n"
    "  7:\r\n"
    "    plan:\r\n"
    "      leader: 张三   # 分管副区长\r\n"
    "      owner: '李四'\r\n"
    "    progress:\r\n"
    "      - date: 2020-03-25\r\n"
    "        note: \"在区政府网站公布两张清单\"\r\n"
    "\r\n"
    "  # 任务20：重大行政决策程序\r\n"
    "  20:\r\n"
    "    progress:\r\n"
    "      - date: 2020-06-01\r\n"
    "        note: 制定决策目录\r\n"
    "\r\n"
    "  # 任务21：法律顾问\r\n"
    "  21: {}\r\n"
)


def test_close_in_a_hand_written_crlf_ledger_changes_only_that_task(tmp_path, cli):
    ws = new_workspace_repo(tmp_path / "ws")
    ledger = ws / "ledgers" / "kerqin.yaml"
    ledger.write_bytes(HAND_WRITTEN.encode("utf-8"))
    git(ws, "add", "ledgers/kerqin.yaml")
    git(ws, "commit", "-q", "-m", "手工台账")
    result = cli("close", "20", "--root", ws, "--unit", "科区", "--evidence", "通政发〔2020〕7号", "--date", "2020-07-20")
    assert result.exit_code == 0, result.stderr
    diff = git(ws, "diff", "HEAD~1", "HEAD", "--unified=0", "--", "ledgers/kerqin.yaml")
    hunks = [line for line in diff.splitlines() if line.startswith("@@")]
    assert len(hunks) == 1
    added = [l for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    removed = [l for l in diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    assert removed == []
    assert [l.rstrip("\r") for l in added] == [
        "+    log:",
        "+      - date: 2020-07-20",
        "+        action: apply",
        "+        by: office@yfb.gov.cn",
        "+        evidence:",
        "+          - 通政发〔2020〕7号",
    ]
    text = ledger.read_bytes()
    assert text.startswith("\ufeff".encode("utf-8"))
    assert text.count(b"\r\n") == text.count(b"\n")  # still CRLF everywhere
    for comment in ("# 科尔沁区工作台账（张三手工维护）", "# 任务7：已于3月底前公布", "# 分管副区长", "# 任务20：重大行政决策程序", "# 任务21：法律顾问"):
        assert comment.encode("utf-8") in text
    # The new lines sit inside task 20, before task 21's comment.
    decoded = text.decode("utf-8-sig").replace("\r\n", "\n")
    assert decoded.index("action: apply") < decoded.index("# 任务21")


def test_gbk_ledger_is_explained_and_converted_on_request(ws, cli):
    ledger = ws / "ledgers" / "kerqin.yaml"
    text = "unit: kerqin\ntasks:\n  7:\n    progress:\n      - date: 2020-03-25\n        note: 在区政府网站公布权力清单和公共服务事项清单\n"
    ledger.write_bytes(text.encode("gbk"))
    problems = beyond_the_plan(json.loads(cli("check", "--root", with_every_editor(ws), "--format", "json").stdout))
    assert [(p["code"], p["path"], p["line"]) for p in problems] == [("E002", "ledgers/kerqin.yaml", 6)]
    assert "GBK" in problems[0]["message"] and "fix-encoding" in problems[0]["message"]
    result = cli("fix-encoding", ledger)
    assert result.exit_code == 0, result.stderr
    assert ledger.read_bytes() == text.encode("utf-8")
    assert cli("check", "--root", ws).exit_code == 0
    again = cli("fix-encoding", ledger)
    assert again.exit_code == 0 and "无需转换" in again.stdout
    assert ledger.read_bytes() == text.encode("utf-8")


def test_fix_encoding_refuses_what_is_not_gbk(ws, cli):
    junk = ws / "ledgers" / "junk.yaml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\xfd\x80\x81")
    result = cli("fix-encoding", junk)
    assert result.exit_code == 1
    assert junk.read_bytes() == b"\x89PNG\r\n\x1a\n\xff\xfe\xfd\x80\x81"


def test_schema_writes_editor_schemas_that_data_files_point_to(ws, cli):
    result = cli("schema", "--root", ws)
    assert result.exit_code == 0, result.stderr
    for name in ("units", "tasks", "phases", "settings"):
        first = (ws / "data" / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../schemas/{name}.schema.json"
        schema = json.loads((ws / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert "$schema" not in schema and "prefixItems" not in json.dumps(schema)  # draft-07 editors
    ledger = json.loads((ws / "schemas" / "ledger.schema.json").read_text(encoding="utf-8"))
    assert set(ledger["properties"]) == {"unit", "tasks"}
    assert "apply" in json.dumps(ledger["$defs"]["Action"])


@pytest.mark.parametrize(
    "content",
    [
        ("unit: kerqin\ntasks: {}\n# " + "长" * 1_200_000 + "\n").encode("utf-8"),  # over 2 MB
        "unit: kerqin\ntasks: {}\n# 注释\x00\n".encode("utf-8"),  # a NUL
        ("unit: kerqin\ntasks: {}\n# " + "行" * 10_000 + "\n").encode("utf-8"),  # a 10,000-char line
    ],
    ids=["over-2mb", "nul", "long-line"],
)
def test_fix_encoding_never_converts_valid_utf8(ws, cli, content):
    target = ws / "ledgers" / "big.yaml"
    target.write_bytes(content)
    result = cli("fix-encoding", target)
    assert result.exit_code == 0, result.stderr
    assert "已是 UTF-8" in result.stdout and "转换为 UTF-8" not in result.stdout
    assert target.read_bytes() == content


def test_fix_encoding_refuses_a_directory_and_a_fifo(ws, cli):
    fifo = ws / "ledgers" / "pipe.yaml"
    os.mkfifo(fifo)
    for target in (fifo, ws / "ledgers"):
        result = cli("fix-encoding", target)
        assert result.exit_code == 2 and "不是普通文件" in result.stderr
