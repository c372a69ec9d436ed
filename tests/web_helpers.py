"""A workspace for the web application's tests: the report tests' small plan (6 units, 5 tasks)
with editors, logins in .fazhi/users.json, and a git repository whose own identity is the server's.

Logins (login, password, name, e-mail): 科尔沁区's clerk `kerqin`, 开鲁县's `kailu`, the lead unit
司法局's `sifaju` (leads tasks 1, 2 and 4), the office's `office`. data/units.yaml lists each by
login and e-mail, as docs/multi-unit.md asks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from git_helpers import git, identify
from test_reports_workspace import TASKS, UNITS

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Login:
    login: str
    password: str
    name: str
    email: str


LOGINS = {
    u.login: u
    for u in (
        Login("kerqin", "kerqin-pw-2020", "王五", "clerk@kerqin.example.gov.cn"),
        Login("kailu", "kailu-pw-2020", "赵六", "clerk@kailu.example.gov.cn"),
        Login("sifaju", "sifaju-pw-2020", "李四", "clerk@sfj.example.gov.cn"),
        Login("office", "office-pw-2020", "张三", "office@yfb.example.gov.cn"),
    )
}
UNIT_OF = {"kerqin": "kerqin", "kailu": "kailu", "sifaju": "sifaju", "office": "yifaban"}
SERVER_EMAIL = "serve@yfb.example.gov.cn"
PDF = b"%PDF-1.4\n% fazhi test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


# An open-ended group and a task for it, so a unit can claim (认领) something.
OPEN_GROUP = """\
  - id: xiangguan
    name: 各相关部门
    members: []
    open: true
"""
OPEN_TASK = """\
  - id: 6
    title: 行政复议规范化建设
    text: 各相关部门加强行政复议规范化建设。
    section: 二(五)
    kind: deliverable
    lead: [司法局]
    responsible: [各相关部门]
"""


def units_with_editors() -> str:
    text = (UNITS + OPEN_GROUP).replace("office:\n  unit: yifaban\n", "office:\n  unit: yifaban\n  editors: [office, office@yfb.example.gov.cn]\n")
    for login, unit in UNIT_OF.items():
        if unit == "yifaban":
            continue
        marker = f"  - id: {unit}\n"
        start = text.index(marker)
        end = text.find("\n  - id:", start + 1)
        end = text.index("\ngroups:") if end == -1 else end
        who = LOGINS[login]
        text = text[:end] + f"\n    editors: [{who.login}, {who.email}]" + text[end:]
    return text


def make_web_workspace(path: Path, *, users: bool = True) -> Path:
    (path / "data").mkdir(parents=True)
    (path / "ledgers").mkdir()
    (path / "data" / "units.yaml").write_text(units_with_editors(), encoding="utf-8")
    (path / "data" / "tasks.yaml").write_text(TASKS + OPEN_TASK, encoding="utf-8")
    shutil.copy(REPO / "data" / "phases.yaml", path / "data" / "phases.yaml")
    shutil.copy(REPO / "data" / "settings.yaml", path / "data" / "settings.yaml")
    (path / "ledgers" / ".gitkeep").write_text("", encoding="utf-8")
    (path / ".gitignore").write_text("*.lock\n.*.lock\n", encoding="utf-8")
    git(path, "init", "-q", "-b", "main")
    identify(path, SERVER_EMAIL, "fazhi 网页版")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "方案数据")
    if users:
        write_users(path / ".fazhi" / "users.json")
    return path


def write_users(path: Path) -> None:
    """LOGINS as `fazhi serve --add-user` writes them, but hashed with argon2's cheapest settings
    (a test logs in a dozen times; `--add-user` uses argon2-cffi's defaults)."""
    import json

    from argon2 import PasswordHasher

    from fazhi_cli.web.auth import private_folder

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    private_folder(path)
    users = {who.login: {"hash": cheap.hash(who.password), "name": who.name, "email": who.email} for who in LOGINS.values()}
    path.write_text(json.dumps({"users": users}, ensure_ascii=False, indent=2), encoding="utf-8")


def commits(path: Path) -> list[tuple[str, str, str]]:
    """(author name, author e-mail, subject) of each commit after the first, oldest first."""
    out = git(path, "log", "--reverse", "--format=%an%x1f%ae%x1f%s").strip().splitlines()[1:]
    return [tuple(line.split("\x1f")) for line in out]
