"""The server's settings, as `fazhi serve` gives them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024
DEFAULT_UPLOAD_MB = 20
# Evidence files a clerk may upload, by extension (lower case): documents, sheets, images, OFD, archives.
UPLOAD_TYPES = ("pdf", "ofd", "doc", "docx", "wps", "xls", "xlsx", "et", "jpg", "jpeg", "png", "zip", "rar", "7z", "txt")


@dataclass(frozen=True)
class ServeConfig:
    root: Path  # the workspace
    host: str = "127.0.0.1"
    port: int = 8080
    trust_proxy: tuple[str, ...] = ()  # peer addresses whose identity header is believed
    user_header: str = "X-Remote-User"
    users_file: Path | None = None  # default: <root>/.fazhi/users.json
    secret_file: Path | None = None  # default: <root>/.fazhi/serve-secret
    secure_cookie: bool | None = None  # None: Secure unless served on a loopback address without a proxy
    max_upload: int = DEFAULT_UPLOAD_MB * MB
    upload_types: tuple[str, ...] = UPLOAD_TYPES
    session_hours: int = 8
    sync: bool | None = None  # None: pull/push when the branch has an upstream
    threads: int = 4
    extra: dict = field(default_factory=dict)

    @property
    def users_path(self) -> Path:
        return self.users_file or self.root / ".fazhi" / "users.json"

    @property
    def secret_path(self) -> Path:
        return self.secret_file or self.root / ".fazhi" / "serve-secret"

    @property
    def cookie_secure(self) -> bool:
        if self.secure_cookie is not None:
            return self.secure_cookie
        return not (is_loopback(self.host) and not self.trust_proxy)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
