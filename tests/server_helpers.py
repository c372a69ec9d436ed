"""A real central git server for the tests: Apache, git-http-backend and HTTP basic auth.

The units push to one central repository; the server-side guard (`fazhi guard`, a pre-receive hook)
decides from the pusher's identity (`REMOTE_USER`) whether a push is allowed. These helpers run that
server for real, the way docs/multi-unit.md tells a sysadmin to set it up, so a test can clone, push
and be refused exactly as a unit's clerk would.

Use it in a test module::

    from server_helpers import central, git_server  # noqa: F401  (pytest fixtures; either alone works)

    def test_something(central, tmp_path):
        work = central.clone("kerqin", tmp_path / "kerqin")      # git clone over http as kerqin
        ...                                                       # edit, commit in `work`
        central.install_hook("#!/bin/sh\\nexit 0\\n")             # or central.install_guard()
        code, stderr = central.push(work)                         # (returncode, stderr)
        assert central.head() == head(work)                       # refs/heads/main on the server

`git_server` (session-scoped) is the running `GitServer` — `new_repo()`, `url(repo, user)`,
`clone(user, dest, repo)`, `push(clone)`, `head(repo)`, `git(repo, …)`, `install_hook(repo, text)`,
`install_guard(repo, fallback)`, `log()`; `central` (per test) is a `Central`: a fresh bare repository
`fazhi.git` on it (`central.repo`, served at `/git/<n>/fazhi.git`) with those helpers bound to it,
a copy of one made once per session from `new_workspace_repo`, so tests never see each other's
pushes. Four logins exist (`USERS`): two units, `kerqin` and `kailu`; `sifaju`, the lead
unit (牵头单位) of tasks 4, 26, 27, 31 … that kerqin carries; and `office`, the office (依法治市办,
unit `yifaban`). Each clone is configured with that login's e-mail and name, and the template's
data/units.yaml lists those e-mails as the units' and the office's editors (`SERVER_EDITORS`).

Apache is started once per test session (a fraction of a second): `apache2 -f CONF -DFOREGROUND`
with a config of its own (ServerRoot, PidFile, ErrorLog, `Listen 127.0.0.1:<free port>`, prefork + mod_cgi; no
system config is read), in its own process group, and stopped at the end of the session (the
process group is killed; the master also gets SIGTERM should pytest itself die). Missing apache2 is a
failure when `CI` is set, a skip otherwise.

Who the hook runs as — the root / www-data / Python problem
-----------------------------------------------------------
Apache started as root switches its children to `User` (Debian's build refuses `User root`:
"Apache has not been designed to serve pages while running as root", unless rebuilt with
BIG_SECURITY_HOLE), so git-http-backend and the pre-receive hook would run as www-data. Here and in
CI the tests run as root with the venv's Python under /root/.pyenv, and /root is mode 0700: a hook
running as www-data cannot even start that Python, so the real guard could never run. Loosening
/root (chmod o+x, ACLs) would change the machine for the sake of a test, so instead:

- **root, user namespaces available (here, and CI):** Apache is started through
  `unshare --user --map-user=<www-data's uid> --map-group=<gid>`. Inside that namespace it is an
  ordinary unprivileged user, so it never switches user and needs no `User` line; to the kernel its
  processes are still root, so the hook can run the venv's Python, repositories created by the
  tests are writable without chown and look owned by the same user (no "dubious ownership"), and
  files pushed are readable by the test. Nothing outside the temp dir is touched.
- **not root (a developer's machine):** Apache simply runs as you; no `User` line is needed either.
- **root without user namespaces:** the classic setup, `User www-data`, the repositories chowned to
  www-data. Shell hooks work; `install_guard` checks first that www-data can run this Python and
  fails with the reason when it cannot. `FAZHI_TEST_APACHE_MODE=www-data` forces this mode.

`git_server.mode` says which one is in use ("userns", "direct" or "www-data").
"""

from __future__ import annotations

import atexit
import ctypes
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from git_helpers import git, identify, new_workspace_repo

HTTP_BACKEND = Path("/usr/lib/git-core/git-http-backend")
MODULES = Path("/usr/lib/apache2/modules")


@dataclass(frozen=True)
class ServerUser:
    login: str
    password: str
    email: str
    name: str


USERS: dict[str, ServerUser] = {
    u.login: u
    for u in (
        ServerUser("kerqin", "kerqin-pw-2020", "clerk@kerqin.example.gov.cn", "科尔沁区王五"),
        ServerUser("kailu", "kailu-pw-2020", "clerk@kailu.example.gov.cn", "开鲁县赵六"),
        ServerUser("sifaju", "sifaju-pw-2020", "clerk@sfj.example.gov.cn", "司法局李四"),
        ServerUser("office", "office-pw-2020", "office@yfb.example.gov.cn", "依法治市办张三"),
    )
}
# data/units.yaml editors in the template repository: each person twice, as the server login the
# guard sees (REMOTE_USER) and as the git e-mail the commands on their own computer act as.
SERVER_EDITORS = {login: [login, USERS[login].email] for login in ("kerqin", "kailu", "sifaju", "office")}

# The part of the Apache configuration that serves the repositories. docs/multi-unit.md shows this
# block with production paths, and tests/test_server.py checks that it still says the same.
GIT_LOCATION = """\
SetEnv GIT_PROJECT_ROOT {project_root}
SetEnv GIT_HTTP_EXPORT_ALL
ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
<Location "/git/">
    AuthType Basic
    AuthName "fazhi"
    AuthBasicProvider file
    AuthUserFile "{htpasswd}"
    Require valid-user
</Location>
"""

_MODULES = [
    ("mpm_prefork_module", "mod_mpm_prefork.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authn_file_module", "mod_authn_file.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("auth_basic_module", "mod_auth_basic.so"),
    ("alias_module", "mod_alias.so"),
    ("cgi_module", "mod_cgi.so"),
    ("env_module", "mod_env.so"),
]


def client_env() -> dict[str, str]:
    """Environment for git as a client: never prompt, messages in English, no credential store."""
    return os.environ | {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C.UTF-8", "LANGUAGE": "C"}


def client_git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-c", "credential.helper=", "-c", "core.quotepath=off", *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace", env=client_env(),
    )


def _apache_binary() -> str | None:
    return shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin:/usr/local/sbin")


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the server tests must run; .ci/run installs apache2)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when pytest dies, so Apache never outlives the tests."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _apache_user() -> tuple[str, int, int]:
    try:
        entry = pwd.getpwnam("www-data")
    except KeyError:
        entry = pwd.getpwnam("nobody")
    return entry.pw_name, entry.pw_uid, entry.pw_gid


def _choose_mode() -> str:
    forced = os.environ.get("FAZHI_TEST_APACHE_MODE")
    if forced:
        return forced
    if os.geteuid() != 0:
        return "direct"
    _, uid, gid = _apache_user()
    unshare = shutil.which("unshare")
    if unshare:
        probe = subprocess.run([unshare, "--user", f"--map-user={uid}", f"--map-group={gid}", "true"], capture_output=True)
        if probe.returncode == 0:
            return "userns"
    return "www-data"


class GitServer:
    """The running Apache. Repositories live under `root/repos`, served at `/git/`."""

    def __init__(self, root: Path):
        self.root = root
        self.repos = root / "repos"
        self.template = root / "template.git"
        self.conf = root / "httpd.conf"
        self.htpasswd = root / "htpasswd"
        self.error_log = root / "logs" / "error.log"
        self.mode = _choose_mode()
        self.apache_user = _apache_user()
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._counter = itertools.count(1)

    # -- setup ------------------------------------------------------------------------------------

    def _write_config(self) -> None:
        (self.root / "logs").mkdir(exist_ok=True)
        (self.root / "run").mkdir(exist_ok=True)
        lines = [
            f"ServerRoot {self.root}",
            "ServerName 127.0.0.1",
            f"Listen 127.0.0.1:{self.port}",
            f"PidFile {self.root}/run/httpd.pid",
            f"DefaultRuntimeDir {self.root}/run",
            f"ErrorLog {self.error_log}",
            "LogLevel warn",
            *(f"LoadModule {name} {MODULES / so}" for name, so in _MODULES),
            "StartServers 2",
            "MinSpareServers 2",
            "MaxSpareServers 4",
            "Timeout 60",
        ]
        if self.mode == "www-data":
            name = self.apache_user[0]
            lines += [f"User {name}", f"Group #{self.apache_user[2]}"]
        config = "\n".join(lines) + "\n" + GIT_LOCATION.format(project_root=self.repos, htpasswd=self.htpasswd)
        self.conf.write_text(config, encoding="utf-8")

    def _write_htpasswd(self) -> None:
        htpasswd = shutil.which("htpasswd") or shutil.which("htpasswd", path="/usr/sbin:/usr/local/sbin")
        _require(htpasswd is not None, "htpasswd (apache2-utils) is not installed")
        for first, user in zip([True] + [False] * len(USERS), USERS.values()):
            flags = "-cbB" if first else "-bB"  # -c creates the file, -b password on the line, -B bcrypt
            subprocess.run([htpasswd, flags, str(self.htpasswd), user.login, user.password], check=True, capture_output=True)
        self.htpasswd.chmod(0o644)

    def _make_template(self) -> None:
        ws = new_workspace_repo(self.root / "template-ws", email=USERS["office"].email, name=USERS["office"].name, editors=SERVER_EDITORS)
        self._init_bare(self.template)
        git(ws, "push", "-q", str(self.template), "main")

    @staticmethod
    def _init_bare(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, capture_output=True)

    def _chown(self, path: Path) -> None:
        if self.mode != "www-data":
            return
        _, uid, gid = self.apache_user
        os.chown(path, uid, gid)
        for dirpath, dirnames, filenames in os.walk(path):
            for entry in dirnames + filenames:
                os.chown(os.path.join(dirpath, entry), uid, gid, follow_symlinks=False)

    def start(self) -> None:
        apache = _apache_binary()
        _require(apache is not None, "apache2 is not installed (apt-get install apache2 apache2-utils)")
        _require(HTTP_BACKEND.exists(), f"{HTTP_BACKEND} is missing (git's http-backend)")
        self.root.chmod(0o755)
        self.repos.mkdir(parents=True, exist_ok=True)
        self._chown(self.repos)
        self._write_htpasswd()
        self._make_template()
        command = [apache, "-f", str(self.conf), "-DFOREGROUND"]
        if self.mode == "userns":
            _, uid, gid = self.apache_user
            command = ["unshare", "--user", f"--map-user={uid}", f"--map-group={gid}", *command]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        for attempt in range(3):
            self.port = _free_port()
            self._write_config()
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True, preexec_fn=_die_with_parent,
            )
            if self._wait_ready():
                atexit.register(self.stop)
                return
            stderr = self._reap()
            if "Address already in use" not in stderr + self.log():
                break
        raise AssertionError(f"apache2 did not start ({self.mode} mode): {stderr}\n{self.log()}")

    def _wait_ready(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.01)
        return False

    def _reap(self) -> str:
        process, self.process = self.process, None
        if process is None:
            return ""
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, stderr = process.communicate()
        return (stderr or b"").decode("utf-8", "replace")

    def stop(self) -> None:
        """Stop Apache: SIGTERM to its process group (master and children), SIGKILL to whatever is
        left of the group; then remove the server's directory."""
        process = self.process
        if process is not None:
            self._reap()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """Apache's error log (it also holds git-http-backend's own stderr)."""
        try:
            return self.error_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # -- repositories -----------------------------------------------------------------------------

    def new_repo(self, editors: dict | None = None) -> Path:
        """A fresh bare repository `repos/<n>/fazhi.git`, served at `/git/<n>/fazhi.git`.

        A copy of the session's template (the shipped plan, one commit by the office, editors
        `SERVER_EDITORS`); with `editors`, a new workspace with those editors instead (`{}`: none).
        """
        path = self.repos / f"t{next(self._counter)}" / "fazhi.git"
        if editors is None:
            path.parent.mkdir(parents=True)
            shutil.copytree(self.template, path, symlinks=True)
        else:
            ws = new_workspace_repo(path.parent / "ws", email=USERS["office"].email, name=USERS["office"].name, editors=editors or None)
            self._init_bare(path)
            git(ws, "push", "-q", str(path), "main")
            shutil.rmtree(ws)
        self._chown(path.parent)
        return path

    def url(self, repo: Path, user: str | None = None, password: str | None = None) -> str:
        """`http://USER:PASS@127.0.0.1:PORT/git/<n>/fazhi.git`; no user: anonymous; `password` overrides."""
        location = f"127.0.0.1:{self.port}/git/{repo.relative_to(self.repos).as_posix()}"
        if user is None:
            return f"http://{location}"
        secret = USERS[user].password if password is None else password
        return f"http://{user}:{secret}@{location}"

    def clone(self, user: str, dest: Path, repo: Path, password: str | None = None) -> Path:
        """Clone `repo` over http as `user`, with that user's `user.email`/`user.name`."""
        result = client_git(dest.parent if dest.parent.exists() else Path.cwd(), "clone", "-q", self.url(repo, user, password), str(dest))
        if result.returncode != 0:
            raise AssertionError(f"git clone as {user} failed: {result.stderr}\n{self.log()}")
        identify(dest, USERS[user].email, USERS[user].name)
        return dest

    @staticmethod
    def push(clone: Path, *args: str) -> tuple[int, str]:
        """`git push` from a clone (default: `origin HEAD:main`); returns (returncode, stderr)."""
        result = client_git(clone, "push", *(args or ("origin", "HEAD:refs/heads/main")))
        return result.returncode, result.stderr

    def git(self, repo: Path, *args: str) -> str:
        """A git command on the server's bare repository."""
        return git(repo, "--git-dir", str(repo), *args)

    def head(self, repo: Path, ref: str = "refs/heads/main") -> str:
        """The commit `ref` points to on the server ("" when it does not exist)."""
        result = subprocess.run(["git", "--git-dir", str(repo), "rev-parse", "--verify", "-q", ref], capture_output=True, text=True)
        return result.stdout.strip()

    def install_hook(self, repo: Path, script_text: str, name: str = "pre-receive") -> Path:
        """Write `hooks/<name>` (executable) into a bare repository."""
        hook = repo / "hooks" / name
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(script_text, encoding="utf-8")
        hook.chmod(0o755)
        self._chown(hook)
        return hook

    def install_guard(self, repo: Path, fallback: str | None = None) -> bool:
        """Install the real guard with `fazhi guard --install REPO` (True); until that command
        exists, install the `fallback` hook script instead (False), or fail without one."""
        if guard_available():
            result = subprocess.run([sys.executable, "-m", "fazhi_cli", "guard", "--install", str(repo)], capture_output=True, text=True)
            if result.returncode != 0:
                raise AssertionError(f"fazhi guard --install failed ({result.returncode}): {result.stdout}{result.stderr}")
            self._chown(repo / "hooks")
            self.require_python_in_hooks()
            return True
        if fallback is None:
            pytest.fail("`fazhi guard` does not exist yet and no fallback hook was given")
        self.install_hook(repo, fallback)
        return False

    def require_python_in_hooks(self) -> None:
        """Fail (with the reason) unless a hook run by Apache can start this test's Python."""
        if self.mode != "www-data":
            return
        name = self.apache_user[0]
        probe = subprocess.run(["runuser", "-u", name, "--", sys.executable, "-c", "pass"], capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.fail(
                f"the guard hook would run as {name}, who cannot run {sys.executable} ({probe.stderr.strip()}); "
                "run the tests where user namespaces work (the default mode), or with a Python outside /root"
            )


_guard: bool | None = None


def guard_available() -> bool:
    """Whether this fazhi has a `guard` command (`fazhi guard --help` succeeds)."""
    global _guard
    if _guard is None:
        probe = subprocess.run([sys.executable, "-m", "fazhi_cli", "guard", "--help"], capture_output=True)
        _guard = probe.returncode == 0
    return _guard


_server: GitServer | None = None


def _shared_server() -> GitServer:
    """One Apache per test session, even when several test modules import the fixture."""
    global _server
    if _server is None or _server.process is None:
        # Not under pytest's basetemp: that is mode 0700, and in www-data mode Apache must read it.
        server = GitServer(Path(tempfile.mkdtemp(prefix="fazhi-gitserver-")))
        try:
            server.start()
        except BaseException:
            server.stop()
            raise
        _server = server
    return _server


@pytest.fixture(scope="session")
def git_server() -> GitServer:
    server = _shared_server()
    yield server
    server.stop()


class Central:
    """One test's central repository on the server, with the server's helpers bound to it."""

    def __init__(self, server: GitServer, repo: Path):
        self.server = server
        self.repo = repo

    def url(self, user: str | None = None, password: str | None = None) -> str:
        return self.server.url(self.repo, user, password)

    def clone(self, user: str, dest: Path, password: str | None = None) -> Path:
        return self.server.clone(user, dest, self.repo, password)

    def push(self, clone: Path, *args: str) -> tuple[int, str]:
        return self.server.push(clone, *args)

    def install_hook(self, script_text: str, name: str = "pre-receive") -> Path:
        return self.server.install_hook(self.repo, script_text, name)

    def install_guard(self, fallback: str | None = None) -> bool:
        return self.server.install_guard(self.repo, fallback)

    def head(self, ref: str = "refs/heads/main") -> str:
        return self.server.head(self.repo, ref)

    def git(self, *args: str) -> str:
        return self.server.git(self.repo, *args)


@pytest.fixture
def central() -> Central:
    # The shared server directly, not the `git_server` fixture, so a module may import `central`
    # alone; the server then stops at exit (atexit) if `git_server` was never used.
    server = _shared_server()
    return Central(server, server.new_repo())
