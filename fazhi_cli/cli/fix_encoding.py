"""`fazhi fix-encoding FILE`: convert a file saved as GBK/ANSI to UTF-8, on request only."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import Annotated

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, fail
from fazhi_cli.render.console import make_console
from fazhi_cli.store.decode import convert_gbk_to_utf8
from fazhi_cli.store.safewrite import WriteError, atomic_write, lock_for, sha256_bytes


def encoding_verdict(raw: bytes) -> str | None:
    """Why `raw` must not be converted (already UTF-8/UTF-16, not GB18030), or None when it is
    GB18030 text that is not UTF-8: decided from the bytes alone, whatever their size or lines."""
    if raw.startswith(codecs.BOM_UTF8) or raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return "已是带 BOM 标记的 Unicode 编码（UTF-8 或 UTF-16），无需转换"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "已是 UTF-8 编码，无需转换"
    if b"\x00" in raw:
        return "含有 NUL 字节，看起来是二进制文件或 UTF-16，不是 GBK 文本，无法转换"
    if convert_gbk_to_utf8(raw) is None:
        return "既不是 UTF-8 也不是 GBK，无法自动转换；请用编辑器打开后另存为 UTF-8"
    return None


def fix_encoding(path: Annotated[Path, typer.Argument(help="要转换的文件", show_default=False)]) -> None:
    """把用 GBK/ANSI 编码保存的文件（Windows 记事本、WPS 的默认中文编码）转换为 UTF-8。

    已经是 UTF-8（或带 BOM 的 UTF-16）的文件不会被改动。

    示例：fazhi fix-encoding ledgers/kerqin.yaml
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        fail(f"文件“{path}”不存在", EXIT_CANNOT_RUN)
    except OSError as exc:
        fail(f"无法访问“{path}”：{exc.strerror or exc}", EXIT_CANNOT_RUN)
    if stat.S_ISLNK(info.st_mode):
        fail(f"“{path}”是符号链接，fazhi 不转换符号链接；请直接转换它指向的文件", EXIT_CANNOT_RUN)
    if not stat.S_ISREG(info.st_mode):
        fail(f"“{path}”不是普通文件（是目录、管道或设备），无法转换", EXIT_CANNOT_RUN)
    try:
        with lock_for(path):
            raw = path.read_bytes()
            why = encoding_verdict(raw)
            if why is not None:
                if why.startswith("已是"):
                    make_console().print(f"{path} {why}。", markup=False)
                    return
                fail(f"{path} {why}")
            converted = convert_gbk_to_utf8(raw)
            atomic_write(path, converted, expected_sha256=sha256_bytes(raw))
    except WriteError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"无法读取或写入“{path}”：{exc.strerror or exc}")
    make_console().print(f"已将 {path} 从 GBK 转换为 UTF-8；请运行 `fazhi check` 确认内容无误。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("fix-encoding")(fix_encoding)
