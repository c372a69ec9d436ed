"""Turn a file's bytes into text, remembering BOM and line endings so a write can put them back.

We decode ourselves (never guessing GBK first: short UTF-8 Chinese also decodes as GB18030) so
that a clerk who saved a ledger as ANSI from Notepad gets a line number and a way out.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from fazhi_cli.problems import Problem, error

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LINE_CHARS = 10_000


@dataclass(frozen=True)
class Decoded:
    """Text normalised to `\\n` line endings, plus what is needed to write the file back as it was."""

    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"
    newline: str  # "\n", "\r\n" or "\r" (the file's dominant ending)
    bom: bool
    endings: tuple[str, ...] | None = None  # each line's own ending, in order (None: all `newline`)


def decode(raw: bytes, path: str) -> tuple[Decoded | None, list[Problem]]:
    """Decode `raw`; on failure return the located problems instead."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [error(path, None, None, "E005", f"文件过大（{len(raw)} 字节，上限 {MAX_FILE_BYTES} 字节），请确认是否选错了文件")]
    encoding, bom = "utf-8", False
    body = raw
    if raw.startswith(codecs.BOM_UTF8):
        encoding, bom, body = "utf-8-sig", True, raw[3:]
    elif raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        le = raw.startswith(codecs.BOM_UTF16_LE)
        encoding, bom, body = ("utf-16-le" if le else "utf-16-be"), True, raw[2:]
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            line = body[: exc.start].decode(encoding, "replace").count("\n") + 1
            return None, [error(path, line, None, "E002", "文件以 UTF-16 标记开头，但内容不是有效的 UTF-16，请另存为 UTF-8")]
        return _finish(text, encoding, bom, path)
    if b"\x00" in body:
        if _looks_like_utf16(body):
            return None, [error(path, 1, None, "E002", "文件看起来是没有 BOM 标记的 UTF-16 编码；请在编辑器中另存为“UTF-8”编码")]
        line = body[: body.index(b"\x00")].count(b"\n") + 1
        return None, [error(path, line, None, "E003", "文件含有 NUL 字节，看起来是二进制文件而不是 YAML 文本（是否选错了文件？）")]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        return None, [error(path, line, None, "E002", _not_utf8_message(body))]
    return _finish(text, encoding, bom, path)


def _looks_like_utf16(body: bytes) -> bool:
    """UTF-16 text without a BOM: mostly ASCII, so every other byte is NUL, and it decodes."""
    sample = body[:4096]
    if len(body) % 2 or len(sample) < 4:
        return False
    for offset, encoding in ((1, "utf-16-le"), (0, "utf-16-be")):
        half = len(sample) // 2
        high, low = sample[offset::2].count(0), sample[1 - offset :: 2].count(0)
        if high * 10 >= half * 6 and low * 20 <= half:
            try:
                body.decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


def _not_utf8_message(body: bytes) -> str:
    try:
        body.decode("gb18030")
    except UnicodeDecodeError:
        return "文件不是 UTF-8 编码，也无法识别为 GBK；请用编辑器另存为“UTF-8”编码"
    return (
        "文件不是 UTF-8 编码，看起来是 GBK/ANSI（Windows 记事本、WPS 的默认中文编码）。"
        "请运行 `fazhi fix-encoding 文件路径` 转换，或在编辑器中另存为“UTF-8”编码"
    )


def _finish(text: str, encoding: str, bom: bool, path: str) -> tuple[Decoded | None, list[Problem]]:
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [error(path, line, None, "E003", "文件含有 NUL 字符，看起来是二进制文件而不是 YAML 文本")]
    endings = tuple(m.group() for m in _ENDING.finditer(text))
    counts = {e: endings.count(e) for e in ("\n", "\r\n", "\r")}
    newline = max(counts, key=lambda e: (counts[e], e == "\n"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            return None, [error(path, number, None, "E013", f"第 {number} 行过长（{len(line)} 个字符，上限 {MAX_LINE_CHARS}），请拆成多行")]
    return Decoded(text, encoding, newline, bom, endings), []


_ENDING = re.compile(r"\r\n|\r|\n")


def encode(text: str, like: Decoded, endings: list[str] | None = None) -> bytes:
    """Encode normalised text back with the original BOM, encoding and line ending; `endings`
    gives each line's own ending (else every line gets `like.newline`)."""
    if endings is not None:
        parts = text.split("\n")
        text = "".join(part + (endings[i] if i < len(endings) else like.newline) for i, part in enumerate(parts[:-1])) + parts[-1]
    elif like.newline != "\n":
        text = text.replace("\n", like.newline)
    encoding = like.encoding
    data = text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    if like.bom:
        bom = {
            "utf-8-sig": codecs.BOM_UTF8,
            "utf-16-le": codecs.BOM_UTF16_LE,
            "utf-16-be": codecs.BOM_UTF16_BE,
        }[encoding]
        data = bom + data
    return data


def convert_gbk_to_utf8(raw: bytes) -> bytes | None:
    """For `fazhi fix-encoding`: GB18030 bytes to UTF-8, or None when they are not GB18030."""
    try:
        return raw.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        return None
