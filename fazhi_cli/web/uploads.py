"""Evidence files uploaded with a form: checked, named safely, saved under evidence/<unit>/.

The name a browser sends is never used as a path: a name holding a path (`/`, `\\`, `..`) or a
control character is refused; otherwise its last part, cleaned of characters Windows does not
allow, becomes the stored name, and a different file already stored under it gets `-2`, `-3` …
The extension must be one of the allowed types and the first bytes must agree with it (a PDF
starts with %PDF, a .docx is a zip …). The size limit is checked on the bytes received. The saved
file is then cited like any evidence path, so the ledger records its sha256 (core/evidence.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fazhi_cli.models.common import SAFE_ID, WINDOWS_RESERVED
from fazhi_cli.store.files import file_sha256
from fazhi_cli.problems import MessageError

MAX_NAME = 80  # characters of the stored name, extension included
BAD_CHARS = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
# The first bytes each type starts with (None: plain text, anything decodable as UTF-8 or GB18030).
MAGIC: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "ofd": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "wps": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
    "et": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "rar": (b"Rar!\x1a\x07",),
    "7z": (b"7z\xbc\xaf\x27\x1c",),
    "txt": None,
}


class UploadRefused(MessageError):
    """An uploaded file that is not taken; the message says why."""


@dataclass(frozen=True)
class Saved:
    relative: str  # evidence/<unit>/<name>, as the ledger cites it
    created: bool  # False: the same bytes were already stored under this name


def safe_name(given: str | None, allowed: tuple[str, ...]) -> str:
    """The stored name for a browser's file name, or UploadRefused saying why not."""
    raw = given or ""
    if not raw.strip():
        raise UploadRefused("上传的文件没有文件名")
    parts = re.split(r"[\\/]", raw)
    if ".." in (p.strip() for p in parts) or "/" in raw or "\\" in raw:
        raise UploadRefused(f"文件名“{_shown(raw)}”含有路径（/、\\ 或 ..），不能使用；请上传文件本身，文件名中不要带目录")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in raw):
        raise UploadRefused("文件名含有控制字符，不能使用；请重命名后再上传")
    name = unicodedata.normalize("NFC", BAD_CHARS.sub("_", raw)).strip().strip(".")
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower()
    if not dot or not stem.strip():
        raise UploadRefused(f"文件“{_shown(raw)}”没有扩展名；可上传的类型：{'、'.join(allowed)}")
    if ext not in allowed:
        raise UploadRefused(f"不能上传 .{ext} 文件；可上传的类型：{'、'.join(allowed)}")
    stem = stem.strip()
    if stem.split(".")[0].lower() in WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[: MAX_NAME - len(ext) - 1]
    return f"{stem}.{ext}"


def _shown(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:60]


def check_content(name: str, data: bytes, limit: int) -> None:
    if not data:
        raise UploadRefused(f"文件“{name}”是空的")
    if len(data) > limit:
        raise UploadRefused(f"文件“{name}”有 {_size(len(data))}，超过上传上限 {_size(limit)}；请压缩或拆分后再上传")
    ext = name.rpartition(".")[2].lower()
    magic = MAGIC.get(ext)
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data.decode("gb18030")
            except UnicodeDecodeError:
                raise UploadRefused(f"文件“{name}”不是文本文件，与扩展名 .{ext} 不符") from None
        return
    if not any(data.startswith(m) for m in magic):
        raise UploadRefused(f"文件“{name}”的内容与扩展名 .{ext} 不符（不是真正的 .{ext} 文件）；请上传原始文件")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def save_evidence(root: Path, unit_id: str, given_name: str | None, data: bytes, *, limit: int, allowed: tuple[str, ...]) -> Saved:
    """Store the upload under evidence/<unit>/ and return the path to cite."""
    if not SAFE_ID.match(unit_id or "") or unit_id.lower() in WINDOWS_RESERVED:
        raise UploadRefused(f"单位编号“{unit_id}”无效")
    name = safe_name(given_name, allowed)
    check_content(name, data, limit)
    folder = root / "evidence" / unit_id
    folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or not folder.resolve().is_relative_to(root.resolve()):
        raise UploadRefused(f"evidence/{unit_id}/ 不是工作区内的普通目录，不能保存上传的文件")
    stem, _, ext = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()
    for n in range(1, 1000):
        candidate = name if n == 1 else f"{stem}-{n}.{ext}"
        path = folder / candidate
        if os.path.lexists(path):
            if path.is_file() and not path.is_symlink() and file_sha256(path) == digest:
                return Saved(f"evidence/{unit_id}/{candidate}", False)
            continue
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return Saved(f"evidence/{unit_id}/{candidate}", True)
    raise UploadRefused(f"evidence/{unit_id}/ 中同名文件过多，请重命名后再上传")


def discard(root: Path, saved: list[Saved]) -> None:
    """Remove the files this request stored, when the write they were for was refused."""
    for item in saved:
        if item.created:
            try:
                (root / item.relative).unlink()
            except OSError:
                pass
