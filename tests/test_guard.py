"""`fazhi guard`, judged in-process on a local central repository: every refusal code with its
message, for the pusher the server names (tests/test_server_guard.py runs the real hook behind
Apache). A push is staged as a real push would bring it: the objects in the repository, no ref."""

from __future__ import annotations

from pathlib import Path

import pytest

from fazhi_cli.core.guard import RefUpdate, judge_push, parse_updates, pusher_candidates
from fazhi_cli.core.history import open_repo
from fazhi_cli.store.git import ZERO_SHA
from git_helpers import KERQIN, OFFICE, ZHENGFUBAN, commit_all, dated, git, identify, new_workspace_repo

KAILU = "kl@kailu.gov.cn"
EDITORS = {"kerqin": ["kerqin", KERQIN], "kailu": ["kailu", KAILU], "zhengfuban": ["zhengfuban", ZHENGFUBAN], "office": ["office", OFFICE]}


@pytest.fixture
def world(tmp_path: Path, cli):
    ws = new_workspace_repo(tmp_path / "ws", email=OFFICE, editors=EDITORS)
    assert cli("init", "--root", ws, env=dated("2020-03-02")).exit_code == 0
    central = tmp_path / "central.git"
    git(tmp_path, "clone", "-q", "--bare", str(ws), str(central))
    return ws, central


def work(tmp_path: Path, central: Path, email: str, name: str) -> Path:
    path = tmp_path / name
    if not path.exists():
        git(tmp_path, "clone", "-q", str(central), str(path))
    else:
        git(path, "pull", "-q", "--ff-only")
    identify(path, email, name)
    return path


def judge(central: Path, clone: Path, pusher: str | None, *, ref: str = "refs/heads/main", new: str | None = None, old: str | None = None):
    """What the guard says of pushing `clone`'s HEAD (or `new`) to `ref` as `pusher`."""
    sha = new or git(clone, "rev-parse", "HEAD").strip()
    if sha != ZERO_SHA:
        git(clone, "push", "-q", "--force", str(central), f"{sha}:refs/incoming/push")
        git(central, "update-ref", "-d", "refs/incoming/push")
    current = git(central, "rev-parse", "--verify", "--quiet", ref, check=False).strip() or ZERO_SHA
    env = {"REMOTE_USER": pusher} if pusher else {}
    return judge_push(open_repo(central), [RefUpdate(old or current, sha, ref)], env=env)


def land(central: Path, clone: Path) -> None:
    git(clone, "push", "-q", str(central), "HEAD:refs/heads/main")


def only(verdict, code: str) -> str:
    assert verdict.refusals, "accepted"
    assert {line.split()[0] for line in verdict.refusals} == {code}, verdict.refusals
    return "\n".join(verdict.refusals)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def kerqin_ledger(clone: Path) -> Path:
    return clone / "ledgers" / "kerqin.yaml"


def test_a_unit_pushing_its_own_work_is_accepted(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    verdict = judge(central, clone, "kerqin")
    assert verdict.accepted and verdict.refusals == [] and verdict.notices == []


def test_a005_another_units_ledger_and_evidence(world, tmp_path):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(clone / "ledgers" / "kailu.yaml", "  20: {}\n", "  20:\n    progress:\n      - date: 2020-04-01\n        note: 代填\n")
    (clone / "evidence" / "kailu").mkdir(parents=True)
    (clone / "evidence" / "kailu" / "a.pdf").write_bytes(b"%PDF-1")
    commit_all(clone, "代填", "2020-04-01")
    message = only(judge(central, clone, "kerqin"), "A005")
    assert "kerqin 不是开鲁县的编辑人员" in message and "evidence/kailu/a.pdf" in message


def test_a005_judged_by_the_pusher_not_the_author_a_commit_claims(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")  # the commit says 科区's clerk wrote it
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    message = only(judge(central, clone, "kailu"), "A005")
    assert "kailu（推送的提交作者为" in message


def test_a005_a_unit_confirming_its_own_close_out(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("close", "20", "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    edit(kerqin_ledger(clone), "          - 通政发〔2020〕9号\n", "          - 通政发〔2020〕9号\n      - date: 2020-04-02\n        action: confirm\n")
    commit_all(clone, "确认", "2020-04-02")
    message = only(judge(central, clone, "kerqin"), "A005")
    assert "不能审核本单位的销号" in message


def test_the_lead_unit_confirms(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("close", "20", "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    land(central, clone)
    lead = work(tmp_path, central, ZHENGFUBAN, "lead")
    assert cli("confirm", "20", "-u", "kerqin", "--date", "2020-04-02", "--root", lead, env=dated("2020-04-02")).exit_code == 0
    assert judge(central, lead, "zhengfuban").accepted


def test_a003_a_closed_entry_changed_and_a004_a_record_rewritten_or_deleted(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    assert cli("progress", "21", "-u", "kerqin", "--note", "聘请顾问", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    assert cli("progress", "21", "-u", "kerqin", "--note", "签订合同", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    assert cli("close", "20", "-u", "kerqin", "--evidence", "通政发〔2020〕9号", "--date", "2020-04-02", "--root", clone, env=dated("2020-04-02")).exit_code == 0
    land(central, clone)
    office = work(tmp_path, central, OFFICE, "office")
    assert cli("confirm", "20", "-u", "kerqin", "--date", "2020-04-03", "--root", office, env=dated("2020-04-03")).exit_code == 0
    land(central, office)
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(kerqin_ledger(clone), "note: 部署", "note: 全面部署")
    commit_all(clone, "改", "2020-04-04")
    verdict = judge(central, clone, "kerqin")
    assert {line.split()[0] for line in verdict.refusals} == {"A003", "A004"}
    assert any("已于 2020-04-03 销号，未经重新打开即被修改" in line for line in verdict.refusals)
    git(clone, "reset", "-q", "--hard", "HEAD~1")
    edit(kerqin_ledger(clone), "      - date: 2020-04-01\n        note: 聘请顾问\n", "")
    commit_all(clone, "删", "2020-04-04")
    assert "删除工作进展" in only(judge(central, clone, "kerqin"), "A004")


def test_a006_plan_data_only_by_the_office(world, tmp_path):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(clone / "data" / "settings.yaml", "due_soon_days: 7", "due_soon_days: 30")
    (clone / "README.txt").write_text("说明\n", encoding="utf-8")
    commit_all(clone, "改设置", "2020-04-01")
    message = only(judge(central, clone, "kerqin"), "A006")
    assert "data/settings.yaml" in message and "README.txt" in message
    assert judge(central, clone, "office").accepted


def test_a007_a_hand_edit_breaking_a_rule(world, tmp_path):
    ws, central = world
    office = work(tmp_path, central, OFFICE, "office")
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(kerqin_ledger(clone), "  20: {}\n", "  20:\n    log:\n      - date: 2020-04-01\n        action: apply\n")
    commit_all(clone, "申请销号", "2020-04-01")
    message = only(judge(central, clone, "kerqin"), "A007")
    assert "E312" in message and "没有佐证材料" in message
    assert office.exists()


def test_a008_a_commit_dated_before_its_parent(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-03-01", "--root", clone, env=dated("2020-03-01")).exit_code == 0
    verdict = judge(central, clone, "kerqin")
    assert "A008" in {line.split()[0] for line in verdict.refusals} and any("早于其父提交" in line for line in verdict.refusals)


def test_a009_a_hand_edit_dressed_as_a_fazhi_command(world, tmp_path):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(kerqin_ledger(clone), "  20: {}\n", "  20:\n    progress:\n      - date: 2020-04-01\n        note: 部署\n")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "确认销号\n\nFazhi-Action: confirm\nFazhi-Unit: kerqin\nFazhi-Task: 20", env=dated("2020-04-01"))
    assert "标记为“确认销号”" in only(judge(central, clone, "kerqin"), "A009")


def test_g005_the_pushed_ledger_must_pass_check(world, tmp_path):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    edit(kerqin_ledger(clone), "  20: {}\n", "  20:\n    progress: [\n")
    commit_all(clone, "坏文件", "2020-04-01")
    message = only(judge(central, clone, "kerqin"), "G005")
    assert "ledgers/kerqin.yaml:" in message and "E006" in message


def test_g001_g002_main_is_never_deleted_or_rewound(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    land(central, clone)
    assert "不能删除主分支 main" in only(judge(central, clone, "office", new=ZERO_SHA), "G001")
    git(clone, "commit", "-q", "--amend", "-m", "改写", env=dated("2020-04-01"))
    assert "不是快进更新" in only(judge(central, clone, "office"), "G002")
    # Another branch may be deleted (a clerk's draft branch), main may move forward.
    git(central, "branch", "draft", "main")
    assert judge(central, clone, "kerqin", ref="refs/heads/draft", new=ZERO_SHA).accepted


def test_g003_no_authenticated_pusher(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    assert "无法确定推送人" in only(judge(central, clone, None), "G003")


def test_the_pusher_variables_are_read_in_order():
    env = {"GL_USERNAME": "d", "GITEA_PUSHER_EMAIL": "c@x.cn", "GITEA_PUSHER_NAME": "c", "GL_USER": "b", "REMOTE_USER": "a"}
    assert [name for name, _ in pusher_candidates(env)] == ["REMOTE_USER", "GL_USER", "GITEA_PUSHER_NAME", "GITEA_PUSHER_EMAIL", "GL_USERNAME"]
    assert pusher_candidates({"REMOTE_USER": "  ", "GL_USER": "b"}) == [("GL_USER", "b")]
    assert parse_updates(f"{ZERO_SHA} {'1' * 40} refs/heads/main\nbad line\n") == [RefUpdate(ZERO_SHA, "1" * 40, "refs/heads/main")]


def test_a_gitea_pusher_is_matched_by_name_or_email(world, tmp_path, cli):
    ws, central = world
    clone = work(tmp_path, central, KERQIN, "kerqin")
    assert cli("progress", "20", "-u", "kerqin", "--note", "部署", "--date", "2020-04-01", "--root", clone, env=dated("2020-04-01")).exit_code == 0
    sha = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "push", "-q", str(central), f"{sha}:refs/incoming/push")
    git(central, "update-ref", "-d", "refs/incoming/push")
    old = git(central, "rev-parse", "main").strip()
    env = {"GITEA_PUSHER_NAME": "wang-kerqin", "GITEA_PUSHER_EMAIL": KERQIN}
    assert judge_push(open_repo(central), [RefUpdate(old, sha, "refs/heads/main")], env=env).accepted
