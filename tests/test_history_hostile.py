"""`fazhi history` and `fazhi audit` against commits made to fool them: separators and trailers in
subjects and names, terminal escapes, clocks set back, trailers that lie, backfilled progress, and a
repository git refuses to read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fazhi_cli.core.history import commit_info, parse_trailers, split_message
from git_helpers import KERQIN, audit_repo, commit_all, dated, git, head, identify

ESC = "\x1b"


@pytest.fixture
def repo(tmp_path: Path, cli) -> Path:
    return audit_repo(tmp_path / "ws", cli)


def ledger(repo: Path) -> Path:
    return repo / "ledgers" / "kerqin.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def commit_message(repo: Path, message: str, day: str) -> str:
    """Commit everything with an exact message (no cleanup: what a script could write)."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--cleanup=verbatim", "-m", message, env=dated(day))
    return head(repo)


def run(cli, *args, env=None):
    result = cli(*args, env=env)
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "内部错误" not in out, out
    return result


def rows_of(cli, *args, env=None) -> list[dict]:
    result = run(cli, *args, "--format", "json", env=env)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


BACKFILLED_APPLY = "  20:\n    log:\n      - date: 2020-07-01\n        action: apply\n        evidence: [通政发〔2020〕10号]\n"


# --- 1. separators and trailers in subjects and names -----------------------------------------


def test_record_separator_in_a_subject_does_not_hide_a_backfill(repo, cli):
    edit(ledger(repo), "  20: {}\n", BACKFILLED_APPLY)
    sha = commit_message(repo, "补录\x1e销号\x1f", "2020-08-01")
    result = run(cli, "audit", "--root", repo)
    assert result.exit_code == 1 and "审计通过" not in result.stdout
    assert "A001" in result.stdout and "申请销号记为 2020-07-01" in result.stdout
    rows = rows_of(cli, "audit", "--root", repo)
    assert [(r["code"], r["commit"], r["subject"]) for r in rows] == [("A001", sha, "补录\x1e销号\x1f")]
    history = rows_of(cli, "history", "--root", repo)
    assert sha in {r["commit"] for r in history}


def test_unit_separator_in_an_author_name_does_not_crash(repo, cli):
    identify(repo, KERQIN, "张\x1f三")
    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", "按时", "--date", "2020-03-10", env=dated("2020-03-10")).exit_code == 0
    audit = run(cli, "audit", "--root", repo)
    assert audit.exit_code == 0 and "审计通过" in audit.stdout
    history = run(cli, "history", "--root", repo)
    assert history.exit_code == 0 and "张\\x1f三" in history.stdout and "\x1f" not in history.stdout
    rows = rows_of(cli, "history", "--root", repo)
    assert {r["author"] for r in rows if r["action"] == "progress"} == {"张\x1f三"}


def test_a_trailer_in_the_subject_is_no_fazhi_action(repo, cli):
    edit(ledger(repo), "  20: {}\n", BACKFILLED_APPLY.replace("2020-07-01", "2020-07-30"))
    sha = commit_message(repo, "sub\x1fFazhi-Action: confirm", "2020-08-01")
    rows = rows_of(cli, "history", "--root", repo)
    mine = [r for r in rows if r["commit"] == sha]
    assert mine and all(r["action"] is None and r["manual"] and r["action_label"] == "手工编辑" for r in mine)
    text = run(cli, "history", "--root", repo)
    assert "确认销号" not in text.stdout
    # A trailer-like line that is not in the message's last paragraph is not a trailer either.
    edit(ledger(repo), "2020-07-30", "2020-07-31")
    second = commit_message(repo, "改日期\n\nFazhi-Action: confirm\n\n说明：手工修改", "2020-08-02")
    assert all(r["action"] is None for r in rows_of(cli, "history", "--root", repo) if r["commit"] == second)


def test_commit_objects_are_parsed_without_trusting_their_text():
    raw = (
        b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
        b"author A <x> B <a@b> 1596240000 +0800\n"
        b"committer C\x1e <c@d> 99999999999999999999 +9999\n"
        b"gpgsig -----BEGIN-----\n \n -----END-----\n"
        b"\n"
        b"subject line\n continued\n\nbody\n\nFazhi-Action: close\nFazhi-Unit:\n  kerqin\n"
    )
    info = commit_info("a" * 40, (), raw)
    assert (info.author_name, info.author_email) == ("A", "x")
    assert info.author_date.isoformat() == "2020-08-01T08:00:00+08:00"
    assert info.committer_name == "C\x1e" and info.committed.year == 1970  # an unreadable time
    assert info.subject == "subject line continued"
    assert info.trailers == {"Fazhi-Action": "close", "Fazhi-Unit": "kerqin"}
    assert commit_info("b" * 40, (), None).author_name == ""
    assert split_message("only a subject\n") == ("only a subject", "")
    assert parse_trailers("") == [] and parse_trailers("Fazhi-Action: close\nnot a trailer") == []
    assert parse_trailers("text\n\nFazhi-Action: close\nFazhi-Action: confirm") == [("Fazhi-Action", "close"), ("Fazhi-Action", "confirm")]


# --- 2. terminal escapes ----------------------------------------------------------------------


def test_escape_sequences_are_written_out_never_printed(repo, cli):
    note = f"{ESC}[2J{ESC}]0;pwn\x07清屏\x9b31m[/x][red]红[/red]\u202e"
    name = f"张{ESC}[31m三{ESC}[0m"  # (git drops control characters at the start or end of a name)
    identify(repo, KERQIN, name)
    # Recorded late, so audit repeats the note too (A001).
    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", note, "--date", "2020-03-02", env=dated("2020-03-20")).exit_code == 0
    for command, code in (("history", 0), ("audit", 1)):
        for fmt in ("table", "csv"):
            result = run(cli, command, "--root", repo, "--format", fmt)
            assert result.exit_code == code, result.stdout + result.stderr
            for char in (ESC, "\x07", "\x9b", "\u202e"):
                assert char not in result.stdout, (command, fmt, char)
            assert "\\x1b[2J" in result.stdout and "张\\x1b[31m三" in result.stdout
        assert "[/x][red]红[/red]" in run(cli, command, "--root", repo).stdout  # markup is text
        raw = run(cli, command, "--root", repo, "--format", "json").stdout
        assert ESC not in raw and "\x9b" not in raw and "\u202e" not in raw
        rows = json.loads(raw)
        assert rows and all(r["author"] == name for r in rows if r.get("action") == "progress" or r.get("code"))
    history = rows_of(cli, "history", "--root", repo)
    assert [r["after"]["note"] for r in history if r["kind"] == "progress_added"] == [note]  # JSON keeps the raw text


# --- 3. clocks set back -----------------------------------------------------------------------


def test_a008_a_commit_dated_before_its_parent(repo, cli):
    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", "按时", "--date", "2020-08-01", env=dated("2020-08-01")).exit_code == 0
    result = run(cli, "close", "20", "--root", repo, "--unit", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-04-01", env=dated("2020-04-01"))
    assert result.exit_code == 0
    back = head(repo)
    rows = rows_of(cli, "audit", "--root", repo)
    assert [(r["code"], r["commit"]) for r in rows] == [("A008", back)]
    assert "提交时间 2020-04-01 10:00 早于其父提交" in rows[0]["message"] and "2020-08-01 10:00" in rows[0]["message"] and "早 122 天" in rows[0]["message"]
    # A commit that touches no ledger sets the clock back just the same: it is found too.
    (repo / "README.md").write_text("说明\n", encoding="utf-8")
    readme = commit_all(repo, "说明", "2020-03-15")
    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", "开展", "--date", "2020-03-15", env=dated("2020-03-15")).exit_code == 0
    rows = rows_of(cli, "audit", "--root", repo)
    assert sorted(r["commit"] for r in rows if r["code"] == "A008") == sorted([back, readme])
    table = run(cli, "audit", "--root", repo)
    assert table.exit_code == 1 and "A008 提交时间早于其父提交 2 项" in table.stdout


# --- 4. trailers that disagree with the change -----------------------------------------------


def test_a009_trailers_naming_a_change_the_commit_does_not_carry(repo, cli):
    edit(ledger(repo), "  20: {}\n", BACKFILLED_APPLY.replace("2020-07-01", "2020-07-30"))
    lie = commit_message(repo, "确认销号: 科尔沁区 任务22\n\nFazhi-Action: confirm\nFazhi-Unit: kerqin\nFazhi-Task: 22\n", "2020-08-01")
    rows = rows_of(cli, "audit", "--root", repo)
    assert {r["code"] for r in rows} == {"A009"} and all(r["commit"] == lie for r in rows)
    assert any("标记为“确认销号”（单位 kerqin 任务22），却修改了任务20" in r["message"] for r in rows)
    history = rows_of(cli, "history", "--root", repo)
    mine = [r for r in history if r["commit"] == lie]
    assert mine and all(r["manual"] and r["action_label"] == "手工编辑（标记为“确认销号”，与修改内容不符）" for r in mine)
    # The right task but the wrong action; the right action in another unit's name; two actions.
    edit(ledger(repo), "        evidence: [通政发〔2020〕10号]\n", "        evidence: [通政发〔2020〕10号]\n      - date: 2020-08-02\n        action: confirm\n")
    wrong_unit = commit_message(repo, "确认\n\nFazhi-Action: confirm\nFazhi-Unit: kailu\nFazhi-Task: 20\n", "2020-08-02")
    edit(ledger(repo), "  7: {}\n", "  7:\n    progress:\n      - date: 2020-08-03\n        note: 进展\n")
    wrong_kind = commit_message(repo, "进展\n\nFazhi-Action: record\nFazhi-Unit: kerqin\nFazhi-Task: 7\nFazhi-Action: progress\n", "2020-08-03")
    by_commit = {}
    for r in rows_of(cli, "audit", "--root", repo, "--since", "2020-08-02"):
        by_commit.setdefault(r["commit"], []).append((r["code"], r["message"]))
    # (the unit confirming its own close-out is A005 besides)
    assert [c for c, _ in by_commit[wrong_unit]] == ["A009", "A005"] and "另一单位的台账 ledgers/kerqin.yaml" in by_commit[wrong_unit][0][1]
    assert [c for c, _ in by_commit[wrong_kind]] == ["A009"] and "Fazhi-Action 有多个不同的值（record、progress）" in by_commit[wrong_kind][0][1]


def test_fazhi_commands_pass_the_trailer_check(repo, cli):
    assert run(cli, "progress", "21", "--root", repo, "--unit", "kerqin", "--note", "聘请法律顾问", "--date", "2020-06-01", env=dated("2020-06-01")).exit_code == 0
    assert run(cli, "close", "21", "--root", repo, "--unit", "kerqin", "--evidence", "通人社发〔2020〕6号", "--date", "2020-06-20", env=dated("2020-06-20")).exit_code == 0
    assert run(cli, "extend", "request", "20", "--root", repo, "--unit", "kerqin", "--reason", "等待批复", "--new-due", "2020-12-15", "--date", "2020-06-20", env=dated("2020-06-20")).exit_code in (0, 1)
    result = run(cli, "audit", "--root", repo)
    assert result.exit_code == 0 and "审计通过" in result.stdout, result.stdout
    assert all(not r["manual"] for r in rows_of(cli, "history", "--root", repo))


# --- 5. every dated entry can be a backfill ----------------------------------------------------


def test_a001_progress_and_records_backfilled(repo, cli):
    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", "补写的进展", "--date", "2020-07-01", env=dated("2020-08-01")).exit_code == 0
    assert run(cli, "record", "1", "--root", repo, "--unit", "kerqin", "--target", "hearing", "--date", "2020-07-02", env=dated("2020-08-01")).exit_code == 0
    rows = rows_of(cli, "audit", "--root", repo)
    assert [(r["code"], r["task"]) for r in rows] == [("A001", 7), ("A001", 1)]
    assert "工作进展记为 2020-07-01，2020-08-01 才提交（晚 31 天，超过 7 天）" in rows[0]["message"] and "补写的进展" in rows[0]["message"]
    assert "目标记录记为 2020-07-02，2020-08-01 才提交（晚 30 天" in rows[1]["message"]
    assert rows_of(cli, "audit", "--root", repo, "--backfill-days", "31") == []


# --- 6. a repository git refuses ----------------------------------------------------------------


def test_git_refusing_the_repository_is_a_git_error(repo, cli):
    for command in ("history", "audit"):
        result = run(cli, command, "--root", repo, env={"GIT_DIR": "/nonexistent"})
        assert result.exit_code == 2
        assert "git 无法读取" in result.stderr and "/nonexistent" in result.stderr
        assert "不在 git 仓库中" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to hand the repository to another user")
def test_dubious_ownership_is_reported_with_gits_reason(repo, cli, tmp_path):
    for folder, _, files in os.walk(repo):
        os.chown(folder, 4242, 4242)
        for name in files:
            os.chown(os.path.join(folder, name), 4242, 4242, follow_symlinks=False)
    empty = tmp_path / "gitconfig"
    empty.write_text("", encoding="utf-8")
    env = {"GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1"}
    for command in ("history", "audit"):
        result = run(cli, command, "--root", repo, env=env)
        assert result.exit_code == 2
        assert "dubious ownership" in result.stderr and "safe.directory" in result.stderr
        assert "不在 git 仓库中" not in result.stderr


# --- bounded git processes ---------------------------------------------------------------------


def test_audit_runs_a_bounded_number_of_git_processes(repo, cli, monkeypatch):
    import fazhi_cli.store.git as store_git

    calls: list[list[str]] = []
    real = store_git._run

    def counting(argv, root, input_bytes):
        calls.append(argv)
        return real(argv, root, input_bytes)

    def count() -> int:
        calls.clear()
        monkeypatch.setattr(store_git, "_run", counting)
        try:
            assert run(cli, "audit", "--root", repo).exit_code in (0, 1)
        finally:
            monkeypatch.setattr(store_git, "_run", real)
        return len(calls)

    assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", "一", "--date", "2020-03-10", env=dated("2020-03-10")).exit_code == 0
    few = count()
    for day in ("11", "12", "13"):
        assert run(cli, "progress", "7", "--root", repo, "--unit", "kerqin", "--note", day, "--date", f"2020-03-{day}", env=dated(f"2020-03-{day}")).exit_code == 0
    assert count() == few <= 10
