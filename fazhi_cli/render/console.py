"""Terminal output: colour only on a terminal and never when NO_COLOR is set; plain text for pipes."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream,
        force_terminal=is_tty,
        no_color=no_color or not is_tty,
        highlight=False,
        emoji=False,
        soft_wrap=not is_tty,
        width=None if is_tty else 240,
    )


def is_plain() -> bool:
    return not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or bool(os.environ.get("NO_COLOR"))
