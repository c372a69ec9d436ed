"""`fazhi fix-encoding FILE`: convert a file saved as GBK/ANSI to UTF-8, on request only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fazhi_cli.cli.common import EXIT_CANNOT_RUN, fail
from fazhi_cli.render.console import make_console
from fazhi_cli.store.decode import convert_gbk_to_utf8, decode
from fazhi_cli.store.safewrite import atomic_write, lock_for, sha256_bytes


def fix_encoding(path: Annotated[Path, typer.Argument(help="要转换的文件", show_default=False)]) -> None:
    """把用 GBK/ANSI 编码保存的文件（Windows 记事本、WPS 的默认中文编码）转换为 UTF-8。

    已经是 UTF-8（或带 BOM 的 UTF-16）的文件不会被改动。

    示例：fazhi fix-encoding ledgers/kerqin.yaml
    """
    if not path.is_file():
        fail(f"文件“{path}”不存在", EXIT_CANNOT_RUN)
    with lock_for(path):
        raw = path.read_bytes()
        decoded, _ = decode(raw, str(path))
        if decoded is not None:
            make_console().print(f"{path} 已经是可读的编码（{decoded.encoding}），无需转换。", markup=False)
            return
        converted = convert_gbk_to_utf8(raw)
        if converted is None:
            fail(f"{path} 既不是 UTF-8 也不是 GBK，无法自动转换；请用编辑器打开后另存为 UTF-8")
        atomic_write(path, converted, expected_sha256=sha256_bytes(raw))
    make_console().print(f"已将 {path} 从 GBK 转换为 UTF-8；请运行 `fazhi check` 确认内容无误。", markup=False)


def register(app: typer.Typer) -> None:
    app.command("fix-encoding")(fix_encoding)
