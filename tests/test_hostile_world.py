"""A hostile world, second corpus: files that are not files, git that fails, inputs that parse
loosely. Cases that could hang run fazhi in a subprocess (bounded by a timeout, so a hang fails instead of
blocking) and asserts the exit code, a message naming the path, no traceback, which files changed
and that no ledger is left staged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from types import SimpleNamespace

from conftest import run_cli
from git_helpers import git, new_workspace_repo

LIMIT = 20  # seconds: only a hang reaches it


def fazhi_process(ws: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """fazhi in a subprocess, bounded by a timeout: for the cases that could hang (a FIFO, a hook)."""
    full = os.environ | {"PYTHONIOENCODING": "utf-8", "COLUMNS": "200"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "fazhi_cli", *args, "--root", str(ws)],
        capture_output=True, text=True, encoding="utf-8", env=full, timeout=LIMIT,
    )


def fazhi(ws: Path, *args: str, env: dict | None = None) -> SimpleNamespace:
    """fazhi in-process (the cases that cannot hang): exit code and both streams, as a process has."""
    result = run_cli(*args, "--root", str(ws), env=env)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def snapshot(ws: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for folder in ("data", "ledgers", "evidence"):
        for path in sorted((ws / folder).rglob("*")) if (ws / folder).is_dir() else []:
            rel = path.relative_to(ws).as_posix()
            if path.is_symlink() or not path.is_file():
                out[rel] = "special"
            elif not path.name.endswith(".lock"):
                out[rel] = path.read_bytes()
    return out


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def staged(ws: Path) -> str:
    return git(ws, "diff", "--cached", "--name-only")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    ws = new_workspace_repo(tmp_path / "ws", editors={"kerqin": ["k@kerqin.gov.cn"]})
    git(ws, "config", "user.email", "k@kerqin.gov.cn")
    assert fazhi(ws, "init", "--unit", "kerqin").returncode == 0
    return ws


def assert_clean_refusal(result, code: int, path: str) -> None:
    assert result.returncode == code, result.stderr
    assert path in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# --- file kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, code",
    [(("check",), 1), (("status", "--as-of", "2020-03-02"), 0), (("progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02"), 1)],
    ids=["check", "status", "progress"],
)
def test_fifo_in_place_of_a_ledger_never_hangs(repo, command, code):
    """status counts a broken ledger as empty and says so (exit 0); check and writes refuse."""
    ledger = repo / "ledgers" / "kerqin.yaml"
    ledger.unlink()
    os.mkfifo(ledger)
    before = snapshot(repo)
    result = fazhi_process(repo, *command)
    assert result.returncode == code, result.stderr
    assert "ledgers/kerqin.yaml" in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""


@pytest.mark.parametrize("command", [("check",), ("status", "--as-of", "2020-03-02")], ids=["check", "status"])
def test_fifo_in_place_of_units_yaml_never_hangs(repo, command):
    units = repo / "data" / "units.yaml"
    units.unlink()
    os.mkfifo(units)
    result = fazhi_process(repo, *command)
    assert result.returncode in (1, 2)
    assert "data/units.yaml" in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_symlinked_ledger_is_reported_by_check_and_never_written_through(repo, tmp_path):
    outside = tmp_path / "outside.yaml"
    ledger = repo / "ledgers" / "kerqin.yaml"
    outside.write_bytes(ledger.read_bytes())
    ledger.unlink()
    ledger.symlink_to(outside)
    result = fazhi(repo, "check", "--format", "json")
    assert result.returncode == 1 and '"E014"' in result.stdout and "ledgers/kerqin.yaml" in result.stdout
    before = outside.read_bytes()
    wrote = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    assert_clean_refusal(wrote, 1, "ledgers/kerqin.yaml")
    assert outside.read_bytes() == before and staged(repo) == ""


@pytest.mark.parametrize("kind", ["directory", "fifo", "loop"])
def test_evidence_that_is_not_a_file_is_named_as_such(repo, kind):
    folder = repo / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    target = folder / "a.pdf"
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("a.pdf")
    before = snapshot(repo)
    result = fazhi_process(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", "--evidence", "evidence/kerqin/a.pdf")
    assert_clean_refusal(result, 1, "evidence/kerqin/a.pdf")
    assert "不存在" not in result.stderr
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""
    assert fazhi(repo, "check").returncode in (0, 1)  # no crash on it either


def test_ledgers_being_a_file_is_a_clear_refusal(tmp_path):
    ws = new_workspace_repo(tmp_path / "ws")
    git(ws, "rm", "-q", "-r", "ledgers")
    (ws / "ledgers").write_text("不是目录\n", encoding="utf-8")
    result = fazhi(ws, "init", "--unit", "kerqin")
    assert result.returncode == 1 and "E014" in result.stderr and "ledgers" in result.stderr and "Traceback" not in result.stderr
    assert (ws / "ledgers").read_text(encoding="utf-8") == "不是目录\n"


def test_read_only_ledger_is_refused_not_replaced(repo):
    ledger = repo / "ledgers" / "kerqin.yaml"
    before = ledger.read_bytes()
    ledger.chmod(0o444)
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    assert_clean_refusal(result, 1, "ledgers/kerqin.yaml")
    assert "只读" in result.stderr and ledger.read_bytes() == before and staged(repo) == ""


# --- strict parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (("progress", "1_0", "-u", "kerqin", "--note", "x", "--date", "2020-03-02"), "不是数字"),
        (("progress", "\u0667", "-u", "kerqin", "--note", "x", "--date", "2020-03-02"), "不是数字"),
        (("progress", "7", "-u", "kerqin", "--note", "x", "--date", "2020-W10-1"), "YYYY-MM-DD"),
        (("progress", "7", "-u", "kerqin", "--note", "x", "--date", "20200301"), "YYYY-MM-DD"),
    ],
    ids=["underscore", "arabic-indic", "iso-week", "basic-date"],
)
def test_loose_numbers_and_dates_are_refused(repo, args, message):
    before = snapshot(repo)
    result = fazhi(repo, *args)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert changed(before, snapshot(repo)) == set()


@pytest.mark.parametrize("note", ["长" * 10_000, b"\xff\xfe\xe4\xb8"], ids=["10000-chars", "invalid-utf8"])
def test_bad_note_is_refused_up_front(repo, note):
    before = snapshot(repo)
    full = os.environ | {"PYTHONIOENCODING": "utf-8"}
    args = [sys.executable.encode(), b"-m", b"fazhi_cli", b"progress", b"7", b"-u", b"kerqin", b"--date", b"2020-03-02", b"--root", str(repo).encode()]
    args += [b"--note", note if isinstance(note, bytes) else note.encode("utf-8")]
    result = subprocess.run(args, capture_output=True, env=full, timeout=LIMIT)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "R211" in stderr and "Traceback" not in stderr, stderr
    assert "行过长" not in stderr
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""


# --- git ----------------------------------------------------------------------------------------


def test_evidence_name_is_a_literal_path_and_only_evidence_is_staged(repo):
    folder = repo / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "a[1].pdf").write_bytes(b"%PDF-1 real")
    (folder / "a1.pdf").write_bytes(b"%PDF-1 other")
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", "--evidence", "evidence/kerqin/a[1].pdf")
    assert result.returncode == 0, result.stderr
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == ["evidence/kerqin/a[1].pdf", "ledgers/kerqin.yaml"]
    assert "a1.pdf" in git(repo, "status", "--porcelain")


def test_failing_hook_is_exit_1_with_the_ledger_kept_and_unstaged(repo):
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 钩子拒绝 >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    assert_clean_refusal(result, 1, "ledgers/kerqin.yaml")
    assert "未能提交" in result.stderr and "git commit" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and staged(repo) == ""
    assert "进展" in (repo / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")  # kept, uncommitted


def test_sleeping_hook_is_stopped_and_reported(repo):
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 60\n", encoding="utf-8")
    hook.chmod(0o755)
    result = fazhi_process(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", env={"FAZHI_GIT_TIMEOUT": "1"})
    assert_clean_refusal(result, 1, "ledgers/kerqin.yaml")
    assert "秒仍未结束" in result.stderr
    assert staged(repo) == "" and not (repo / ".git" / "index.lock").exists()


def _write_in_child(args: tuple[str, str, int]) -> tuple[int, str]:
    """One writer: a forked process (fazhi already imported) running the CLI once."""
    from conftest import run_cli

    root, unit, task = args
    result = run_cli("progress", str(task), "-u", unit, "--note", f"并行{unit}{task}", "--date", "2020-03-02", "--root", root)
    return result.exit_code, result.stderr


def test_twelve_parallel_writers_on_six_ledgers_make_twelve_commits(tmp_path):
    import multiprocessing

    from fazhi_cli.book.load import open_book

    ws = new_workspace_repo(tmp_path / "ws")
    assert fazhi(ws, "init").returncode == 0
    book = open_book(ws)
    pairs: list[tuple[str, str, int]] = []
    for unit in sorted(book.plan.directory.units):
        carried = [t for t in sorted(book.plan.tasks) if book.carries(unit, t)][:2]
        if len(carried) == 2 and len(pairs) < 12:
            pairs += [(str(ws), unit, carried[0]), (str(ws), unit, carried[1])]
    assert len(pairs) == 12 and len({p[1] for p in pairs}) == 6
    base = int(git(ws, "rev-list", "--count", "HEAD"))
    with multiprocessing.get_context("fork").Pool(12) as pool:
        results = pool.map(_write_in_child, pairs, chunksize=1)
    assert [code for code, _ in results] == [0] * 12, [err for code, err in results if code]
    assert int(git(ws, "rev-list", "--count", "HEAD")) == base + 12
    # no lock file left behind either (schemas/ is the editor schemas init wrote, ignored on purpose)
    assert git(ws, "status", "--porcelain", "--ignored") == "!! schemas/\n"
    assert staged(ws) == ""


def test_lock_files_are_removed_after_a_write(repo):
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    assert result.returncode == 0, result.stderr
    left = [p.name for p in (repo / "ledgers").iterdir() if p.name.endswith(".lock")]
    left += [p.name for p in (repo / ".git").iterdir() if p.name.endswith(".lock")]
    assert left == []


def test_git_that_refuses_the_repository_is_an_error_not_no_git(repo):
    """GIT_DIR pointing nowhere (as "dubious ownership" does, git refuses the repository): the
    write says so and exits 1, the change kept on disk and nothing staged."""
    head = git(repo, "rev-parse", "HEAD")
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", env={"GIT_DIR": str(repo / "nonexistent"), "FAZHI_USER": "k@kerqin.gov.cn"})
    assert result.returncode == 1, result.stderr
    assert "git 不能使用这个仓库" in result.stderr and "nonexistent" in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and staged(repo) == ""
    assert "进展" in (repo / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")


# --- interrupts ---------------------------------------------------------------------------------


def _start(repo: Path, *args: str) -> subprocess.Popen:
    full = os.environ | {"PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(
        [sys.executable, "-m", "fazhi_cli", *args, "--root", str(repo)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full, text=True, encoding="utf-8",
    )


def _wait_for(condition, limit: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_interrupt_during_the_commit_finishes_it_and_says_so(repo, signame):
    """Ctrl-C (or SIGTERM) while git commits: fazhi waits for the commit, says 已中断, exits 130;
    the edit is committed, nothing is staged and git's index.lock is not left behind."""
    import signal

    marker = repo / "hook-started"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 1\n", encoding="utf-8")
    hook.chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    proc = _start(repo, "progress", "7", "-u", "kerqin", "--note", "中断中的进展", "--date", "2020-03-02")
    _wait_for(marker.exists)
    proc.send_signal(getattr(signal, signame))
    out, err = proc.communicate(timeout=LIMIT)
    assert proc.returncode == 130, err
    assert "已中断" in err and "ledgers/kerqin.yaml" in err and "Traceback" not in err
    assert git(repo, "rev-parse", "HEAD~1") == head  # the commit was made
    assert git(repo, "status", "--porcelain", "--", "ledgers") == "" and staged(repo) == ""
    assert not (repo / ".git" / "index.lock").exists()


def test_interrupt_while_waiting_for_the_lock_changes_nothing(repo):
    """Ctrl-C before anything is written (waiting for another writer's lock): exit 130, the
    ledger as it was."""
    import signal

    from fazhi_cli.store.safewrite import locked

    ledger = repo / "ledgers" / "kerqin.yaml"
    before = snapshot(repo)
    with locked(ledger):
        proc = _start(repo, "progress", "7", "-u", "kerqin", "--note", "等锁时中断", "--date", "2020-03-02")
        import time

        time.sleep(2.0)  # past start-up, into the wait for the lock
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=LIMIT)
    assert proc.returncode == 130, err
    assert "已中断" in err and "Traceback" not in err
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""


# --- outputs: stdout and --force ----------------------------------------------------------------


def test_output_dash_writes_the_report_and_the_export_to_stdout(repo):
    report = fazhi(repo, "report", "weekly", "--as-of", "2020-04-01", "--format", "md", "-o", "-")
    assert report.returncode == 0, report.stderr
    assert "\n# 法治政府建设工作周调度\n" in report.stdout and "已生成" not in report.stdout
    export = fazhi(repo, "export", "--format", "csv", "--unit", "kerqin", "--as-of", "2020-04-01", "-o", "-")
    assert export.returncode == 0 and export.stdout.startswith("单位,单位编号")  # no BOM on a stream
    assert not (repo / "-").exists()


def test_output_dash_sends_a_docx_down_a_pipe(repo):
    full = os.environ | {"PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "fazhi_cli", "report", "0805", "-u", "kerqin", "--as-of", "2020-08-06", "-o", "-", "--root", str(repo)],
        capture_output=True, env=full, timeout=LIMIT,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout[:2] == b"PK"  # a zip: the .docx itself
    import io
    import zipfile

    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(result.stdout)).namelist()


def test_force_overwrites_another_kind_but_never_the_records(repo):
    other = repo / "notes.txt"
    other.write_text("旧内容", encoding="utf-8")
    refused = fazhi(repo, "export", "--format", "csv", "-o", str(other))
    assert_clean_refusal(refused, 1, "notes.txt")
    assert "--force" in refused.stderr and other.read_text(encoding="utf-8") == "旧内容"
    forced = fazhi(repo, "export", "--format", "csv", "-o", str(other), "--force")
    assert forced.returncode == 0 and other.read_text(encoding="utf-8-sig").startswith("单位,")
    before = snapshot(repo)
    for target in ("ledgers/kerqin.yaml", "data/tasks.yaml"):
        result = fazhi(repo, "export", "--format", "csv", "-o", str(repo / target), "--force")
        assert_clean_refusal(result, 1, target)
    assert changed(before, snapshot(repo)) == set()


# --- days far from the plan ---------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("command", [("report", "weekly", "-f", "md"), ("status",), ("export", "-f", "csv")], ids=["weekly", "status", "export"])
def test_days_at_the_ends_of_the_calendar_are_refused_not_overflowing(repo, day, command):
    result = fazhi(repo, *command, "--as-of", day)
    assert result.returncode == 1 and "R206" in result.stderr and "超出可用范围" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "内部错误" not in result.stderr


def test_a_ledger_date_far_in_the_future_is_a_warning_everywhere(repo):
    ledger = repo / "ledgers" / "kerqin.yaml"
    assert fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02").returncode == 0
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("2020-03-02", "9999-12-31"), encoding="utf-8")
    for command in (("check",), ("status", "--as-of", "2020-12-31"), ("report", "1208", "-u", "kerqin", "-f", "md", "-o", "-", "--as-of", "2020-12-31"), ("export", "-f", "json", "--as-of", "2020-12-31")):
        result = fazhi(repo, *command)
        assert result.returncode == 0, (command, result.stderr)
        assert "内部错误" not in result.stderr
    assert "W303" in fazhi(repo, "check").stdout


# --- unit data that cannot inject ---------------------------------------------------------------


@pytest.mark.parametrize(
    "editor",
    ['"zh@x.cn\\n* @evil"', '"zh@x.cn @evil"', '"/ledgers/ @evil"', '"a\\x1b[31m@x.cn"', '"张三"', '"*"'],
    ids=["newline-rule", "space", "path", "escape", "name", "glob"],
)
def test_editors_that_could_inject_a_rule_are_refused(tmp_path, editor):
    from git_helpers import set_editors

    ws = new_workspace_repo(tmp_path / "ws")
    set_editors(ws, {"kerqin": [editor]})
    result = fazhi(ws, "check")
    assert result.returncode == 1 and "E103" in result.stdout and "data/units.yaml:" in result.stdout
    assert "编辑人员" in result.stdout and "\x1b" not in result.stdout
    owners = fazhi(ws, "codeowners", "--stdout")
    assert owners.returncode == 2 and "@evil" not in owners.stdout  # never written from invalid data


def test_valid_editors_make_one_rule_per_ledger(tmp_path):
    ws = new_workspace_repo(tmp_path / "ws", editors={"kerqin": ["k.zhang+fz@kerqin.gov.cn", "\"@kerqin-li\""], "office": ["office@yfb.gov.cn"]})
    result = fazhi(ws, "codeowners", "--stdout")
    assert result.returncode == 0, result.stderr
    rules = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert "/ledgers/kerqin.yaml k.zhang+fz@kerqin.gov.cn @kerqin-li office@yfb.gov.cn" in rules
    assert all(len(line.split()) >= 2 and not line.split()[0].startswith("@") for line in rules)


def test_codeowners_saved_as_gbk_or_replaced_by_a_fifo(tmp_path):
    ws = new_workspace_repo(tmp_path / "ws", editors={"office": ["office@yfb.gov.cn"]})
    owners = ws / "CODEOWNERS"
    owners.write_bytes("# 所有者\n* office@yfb.gov.cn\n".encode("gbk"))
    checked = fazhi(ws, "codeowners", "--check")
    assert checked.returncode == 1 and "不一致" in checked.stderr and "Traceback" not in checked.stderr
    wrote = fazhi(ws, "codeowners")
    assert wrote.returncode == 0, wrote.stderr
    assert owners.read_text(encoding="utf-8").startswith("# CODEOWNERS")
    owners.unlink()
    os.mkfifo(owners)
    result = fazhi_process(ws, "codeowners")
    assert_clean_refusal(result, 1, "CODEOWNERS")
    assert owners.is_fifo()


# --- workspace folders --------------------------------------------------------------------------


def test_workspace_folders_that_are_files_or_links_are_reported(tmp_path):
    ws = new_workspace_repo(tmp_path / "ws")
    (ws / "schemas").write_text("", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (ws / "evidence").symlink_to(outside)
    result = fazhi(ws, "check")
    assert result.returncode == 1
    assert "schemas: 错误 E014" in result.stdout and "evidence: 错误 E014" in result.stdout
    schema = fazhi(ws, "schema")
    assert schema.returncode == 2 and "schemas 是文件" in schema.stderr and "Traceback" not in schema.stderr
    assert (ws / "schemas").is_file()


# --- permissions and a full disk ----------------------------------------------------------------
# The suite runs as root, for whom permissions do not apply: the denial is made by the operating
# system calls themselves, as a non-root clerk (or a full disk) would meet it.


@pytest.fixture
def deny(monkeypatch):
    """deny(fragment, errno, creating=False): opening, listing or (with creating) creating any
    path containing `fragment` fails with that errno; returns the function that ends it."""
    import builtins
    import errno as _errno
    import io

    real_open, real_listdir, real_scandir, real_builtin_open = os.open, os.listdir, os.scandir, builtins.open

    def install(fragment: str, code: int = _errno.EACCES, creating: bool = False) -> None:
        def hit(path, creates: bool) -> bool:
            return isinstance(path, (str, bytes, os.PathLike)) and fragment in os.fsdecode(os.fspath(path)) and (creates or not creating)

        def fail(path):
            raise OSError(code, os.strerror(code), os.fsdecode(os.fspath(path)))

        def fake_open(path, flags, *args, **kwargs):
            if hit(path, bool(flags & os.O_CREAT)):
                fail(path)
            return real_open(path, flags, *args, **kwargs)

        def fake_listdir(path="."):
            if hit(path, False):
                fail(path)
            return real_listdir(path)

        def fake_scandir(path="."):
            if hit(path, False):
                fail(path)
            return real_scandir(path)

        def fake_builtin_open(file, mode="r", *args, **kwargs):
            if hit(file, any(c in mode for c in "wax+")):
                fail(file)
            return real_builtin_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(os, "listdir", fake_listdir)
        monkeypatch.setattr(os, "scandir", fake_scandir)
        monkeypatch.setattr(builtins, "open", fake_builtin_open)
        monkeypatch.setattr(io, "open", fake_builtin_open)
        return monkeypatch.undo  # call it to end the denial

    return install


def test_unreadable_evidence_is_refused_with_the_reason(repo, deny):
    folder = repo / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "a.pdf").write_bytes(b"%PDF-1")
    before = snapshot(repo)
    end = deny("evidence/kerqin/a.pdf")
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", "--evidence", "evidence/kerqin/a.pdf")
    end()
    assert_clean_refusal(result, 1, "evidence/kerqin/a.pdf")
    assert "无法读取" in result.stderr and "R205" in result.stderr
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""


def test_registered_evidence_that_became_unreadable_is_reported_by_check(repo, deny):
    folder = repo / "evidence" / "kerqin"
    folder.mkdir(parents=True)
    (folder / "a.pdf").write_bytes(b"%PDF-1")
    assert fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", "--evidence", "evidence/kerqin/a.pdf").returncode == 0
    deny("evidence/kerqin/a.pdf")
    result = fazhi(repo, "check")
    assert result.returncode == 1 and "E305" in result.stdout and "evidence/kerqin/a.pdf”无法读取" in result.stdout


@pytest.mark.parametrize("command", [("check",), ("status", "-u", "kerqin"), ("init",), ("report", "0805", "-f", "md")], ids=["check", "status", "init", "report"])
def test_unreadable_ledgers_folder_means_the_command_cannot_run(repo, deny, command):
    before = snapshot(repo)
    end = deny(str(repo / "ledgers"))
    result = fazhi(repo, *command)
    end()
    assert result.returncode == 2 and "无法读取 ledgers/ 文件夹" in result.stderr and "Traceback" not in result.stderr
    assert changed(before, snapshot(repo)) == set()


@pytest.mark.parametrize("fragment", [".lock", ".tmp"], ids=["no-lock-file", "disk-full"])
def test_init_reports_each_ledger_it_could_not_create(tmp_path, deny, fragment):
    import errno as _errno

    ws = new_workspace_repo(tmp_path / "ws")
    end = deny(fragment, _errno.ENOSPC if fragment == ".tmp" else _errno.EACCES, creating=True)
    result = fazhi(ws, "init")
    end()
    assert result.returncode == 1, result.stderr
    assert "E403" in result.stderr and "ledgers/kerqin.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not list((ws / "ledgers").glob("*.yaml"))


def test_full_disk_leaves_the_ledger_as_it_was(repo, deny):
    import errno as _errno

    before = snapshot(repo)
    end = deny(".tmp", _errno.ENOSPC, creating=True)
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    end()
    assert_clean_refusal(result, 1, "ledgers/kerqin.yaml")
    assert "No space left" in result.stderr or "空间" in result.stderr
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""


def test_fix_encoding_on_an_unreadable_file_says_so(tmp_path, deny):
    target = tmp_path / "gbk.yaml"
    target.write_bytes("单位: 科区\n".encode("gbk"))
    deny("gbk.yaml")
    result = run_cli("fix-encoding", str(target))
    assert result.exit_code == 1 and "gbk.yaml" in result.stderr and "Permission denied" in result.stderr


# --- git failures: every one is exit 1, the ledger kept on disk and unstaged --------------------


def _stale_index_lock(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("", encoding="utf-8")


def _signing_without_a_key(repo: Path) -> None:
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "false")


def _merge_in_progress(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".git" / "MERGE_HEAD").write_text(head + "\n", encoding="utf-8")
    (repo / ".git" / "MERGE_MSG").write_text("merge\n", encoding="utf-8")


@pytest.mark.parametrize(
    "break_git", [_stale_index_lock, _signing_without_a_key, _merge_in_progress], ids=["index-lock", "gpg-without-key", "merge-in-progress"]
)
def test_git_failures_are_exit_1_with_the_ledger_unstaged(repo, break_git):
    break_git(repo)
    head = git(repo, "rev-parse", "HEAD")
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02")
    assert_clean_refusal(result, 1, "ledgers/kerqin.yaml")
    assert "未能提交到 git" in result.stderr and "git add -- ledgers/kerqin.yaml" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "diff", "--cached", "--name-only", check=False) == ""
    assert "进展" in (repo / "ledgers" / "kerqin.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("cited", [".git/config", "data/tasks.yaml", "ignored.pdf"])
def test_only_evidence_files_are_ever_staged_with_a_ledger(repo, cited):
    (repo / ".gitignore").write_text((repo / ".gitignore").read_text(encoding="utf-8") + "ignored.pdf\n", encoding="utf-8")
    (repo / "ignored.pdf").write_bytes(b"%PDF-1")
    tasks = repo / "data" / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "# 用户尚未提交的修改\n", encoding="utf-8")
    before = snapshot(repo)
    result = fazhi(repo, "progress", "7", "-u", "kerqin", "--note", "进展", "--date", "2020-03-02", "--evidence", cited)
    assert_clean_refusal(result, 1, cited)
    assert changed(before, snapshot(repo)) == set() and staged(repo) == ""
    assert "用户尚未提交的修改" not in git(repo, "show", "HEAD:data/tasks.yaml")


def test_init_in_a_clone_never_writes_through_a_committed_symlink(tmp_path):
    """A ledger committed as a symlink to a path outside the workspace: `check` reports it, and
    `init` in another clone neither follows it nor creates anything outside."""
    first = new_workspace_repo(tmp_path / "first")
    outside = tmp_path / "outside" / "sub"
    (first / "ledgers" / "kerqin.yaml").symlink_to(outside / "kerqin.yaml")
    git(first, "add", "ledgers/kerqin.yaml")
    git(first, "commit", "-q", "-m", "链接")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(first), str(clone))
    git(clone, "config", "user.email", "office@yfb.gov.cn")
    git(clone, "config", "user.name", "依法治市办")
    checked = fazhi(clone, "check")
    assert checked.returncode == 1 and "ledgers/kerqin.yaml" in checked.stdout and "E014" in checked.stdout
    result = fazhi(clone, "init")
    assert result.returncode == 1 and "ledgers/kerqin.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "outside").exists()
    assert (clone / "ledgers" / "kerqin.yaml").is_symlink()
    assert git(clone, "status", "--porcelain") == ""  # every other ledger was created and committed
    assert len(list((clone / "ledgers").glob("*.yaml"))) == 34
