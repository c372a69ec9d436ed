"""Terminal output: colour only on a terminal and never when NO_COLOR is set; plain text for pipes.
Tables (`fit`) take their width from COLUMNS when it is set — on a terminal and in a pipe alike, so
`fazhi status | less` with COLUMNS=100 gives tables 100 columns wide, long cells wrapped — else the
terminal's, and 240 for a pipe. Messages are never wrapped in a pipe (one line per message, for grep)."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def columns() -> int | None:
    """COLUMNS, when set to a usable width."""
    try:
        value = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return value if value >= 20 else None


def make_console(stderr: bool = False, fit: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    no_color = bool(os.environ.get("NO_COLOR"))
    width = columns() if fit else None
    return Console(
        file=stream,
        force_terminal=is_tty,
        no_color=no_color or not is_tty,
        highlight=False,
        emoji=False,
        soft_wrap=not is_tty and width is None,
        width=width or (None if is_tty else 240),
    )


def is_plain() -> bool:
    return not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or bool(os.environ.get("NO_COLOR"))
