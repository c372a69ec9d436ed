"""Who is who on the web: a trusted reverse proxy's identity header, or the built-in login.

- **Proxy.** Apache (basic auth, or the intranet's SSO) authenticates and passes the login in a
  header (`X-Remote-User` by default, `--user-header`). The header is believed only when the TCP
  peer is one of the `--trust-proxy` addresses; from anyone else it is ignored and the built-in
  login applies. A WSGI server that authenticates itself sets `REMOTE_USER`, which is believed
  as such (no client can set it: headers arrive as `HTTP_*`).
- **Built-in login.** `.fazhi/users.json` (outside git: the folder ignores itself) holds each
  login's argon2id hash, name and e-mail; `fazhi serve --add-user` writes it. Failed logins are
  throttled per login and per address.
- **Sessions** are Flask's signed cookies (HttpOnly, SameSite=Strict, Secure off loopback), keyed
  with a secret kept in `.fazhi/serve-secret`; a session remembers a fingerprint of the password
  hash, so changing a password ends the sessions opened with the old one.
- **CSRF**: every form carries the session's token; a POST without it is refused (400).
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fazhi_cli.engine.roles import norm
from fazhi_cli.store.safewrite import atomic_write
from fazhi_cli.problems import MessageError

LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,99}$")
MIN_PASSWORD = 8
MAX_FAILURES = 5  # per login
MAX_FAILURES_PER_ADDRESS = 20  # per client address (several people may share one)
FAILURE_WINDOW = 15 * 60  # seconds


class AuthError(MessageError):
    """A login, a password or the accounts file that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    login: str
    name: str = ""
    email: str = ""
    fingerprint: str = ""  # of the password hash: a new password ends older sessions

    @property
    def author(self) -> tuple[str, str]:
        """(name, e-mail) for the commits this user makes: the login stands in for a missing one."""
        return (self.name or self.login, self.email or self.login)

    @property
    def shown(self) -> str:
        return f"{self.name}（{self.login}）" if self.name else self.login


# --- the private folder -------------------------------------------------------------------------


def private_folder(path: Path) -> Path:
    """`.fazhi/` (or the folder of a configured file): created 0700, ignoring itself in git."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if folder.name == ".fazhi" and not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return folder


def secret_key(path: Path) -> bytes:
    """The key sessions are signed with: read, or made once and kept (mode 0600)."""
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 64:
            return bytes.fromhex(text)
    except (OSError, ValueError):
        pass
    private_folder(path)
    key = secrets.token_bytes(32)
    write_private(path, (key.hex() + "\n").encode("ascii"))
    return key


def write_private(path: Path, data: bytes) -> None:
    """Replace a file only its owner may read: made 0600 before anything is written to it (the
    atomic writer keeps a file's mode)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    atomic_write(path, data, expected_sha256=None)


# --- the users file -----------------------------------------------------------------------------


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def read_users(path: Path) -> dict[str, dict]:
    """login (normalised) → {login, hash, name, email}; an absent file is no users."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise AuthError(f"用户文件 {path} 无法读取：{exc}") from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise AuthError(f"用户文件 {path} 格式有误：应为 {{\"users\": {{登录名: {{...}}}}}}")
    # An entry without a hash gives a proxy-authenticated login its name and e-mail; it cannot log in.
    return {norm(login): dict(entry, login=login) for login, entry in users.items() if isinstance(entry, dict)}


def add_user(path: Path, login: str, password: str, *, name: str = "", email: str = "") -> bool:
    """Add the login, or set its password (and name, e-mail when given). True when it is new."""
    if not LOGIN.match(login or ""):
        raise AuthError(f"登录名“{login}”无效：只能使用字母、数字和 @ . _ + -，以字母或数字开头")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    users = read_users(path)
    old = users.get(norm(login), {})
    entry = {"hash": _hasher().hash(password), "name": name or old.get("name", ""), "email": email or old.get("email", "")}
    table = {u["login"]: {k: v for k, v in u.items() if k != "login"} for key, u in users.items() if key != norm(login)}
    table[login] = entry
    private_folder(path)
    text = json.dumps({"users": dict(sorted(table.items()))}, ensure_ascii=False, indent=2) + "\n"
    write_private(path, text.encode("utf-8"))
    return not old


def _fingerprint(hashed: str) -> str:
    import hashlib

    return hashlib.sha256(hashed.encode("utf-8")).hexdigest()[:16]


_DUMMY: list[str] = []


def verify_password(path: Path, login: str, password: str) -> User | None:
    """The user when the password is theirs; None otherwise (the same work either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    entry = read_users(path).get(norm(login))
    if entry is None or not entry.get("hash"):
        if not _DUMMY:
            _DUMMY.append(hasher.hash(secrets.token_hex(8)))
        try:
            hasher.verify(_DUMMY[0], password)
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(entry["hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return user_of(entry)


def user_of(entry: dict) -> User:
    return User(entry["login"], str(entry.get("name") or ""), str(entry.get("email") or ""), _fingerprint(str(entry.get("hash") or "")))


def session_user(path: Path, login: str, fingerprint: str) -> User | None:
    """The user a session names, while their password is the one it was opened with."""
    entry = read_users(path).get(norm(login))
    if entry is None or not entry.get("hash"):
        return None
    user = user_of(entry)
    return user if hmac.compare_digest(user.fingerprint, fingerprint or "") else None


def proxy_user(environ: dict, trusted: tuple[str, ...], header: str, users_path: Path) -> User | None:
    """The identity a trusted proxy (or the WSGI server itself) vouches for; None otherwise."""
    login = ""
    if environ.get("REMOTE_USER"):
        login = str(environ["REMOTE_USER"])
    elif trusted and environ.get("REMOTE_ADDR") in trusted:
        login = str(environ.get("HTTP_" + header.upper().replace("-", "_"), ""))
    login = login.strip()
    if not login or not LOGIN.match(login):
        return None
    try:
        entry = read_users(users_path).get(norm(login))
    except AuthError:
        entry = None
    if entry is not None:  # name and e-mail for the commits, if the office listed them
        return User(entry["login"], str(entry.get("name") or ""), str(entry.get("email") or ""))
    return User(login)


# --- CSRF ---------------------------------------------------------------------------------------

CSRF_FIELD = "csrf_token"


def csrf_token(session) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session, given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


# --- throttling ---------------------------------------------------------------------------------


class Throttle:
    """Failed logins per key within FAILURE_WINDOW seconds: MAX_FAILURES for a login,
    MAX_FAILURES_PER_ADDRESS for a client address (keys `login:…`, `addr:…`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < FAILURE_WINDOW]
                self._failures[key] = recent
                if len(recent) >= (MAX_FAILURES_PER_ADDRESS if key.startswith("addr:") else MAX_FAILURES):
                    return True
        return False

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
