"""Ctrl-C and SIGTERM: a write is either finished (file replaced and committed) or not begun.

`install()` (the CLI's entry point calls it) turns SIGTERM into the same KeyboardInterrupt as
Ctrl-C. Inside `deferred()` — from the atomic replace of a ledger through its git commit — a
signal is only noted; when the block ends the interrupt is raised as `Interrupted`, saying the
change was completed. git runs in its own process group, so a Ctrl-C typed in the terminal never
reaches it half-way through a commit (no stale `.git/index.lock`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_state = threading.local()


class Interrupted(KeyboardInterrupt):
    """A signal that arrived while a write was being completed; `done` says what was completed."""

    def __init__(self, done: str):
        super().__init__(done)
        self.done = done


def _depth() -> int:
    return getattr(_state, "depth", 0)


def _handler(signum: int, frame) -> None:  # noqa: ANN001 - signal handler signature
    if threading.current_thread() is threading.main_thread() and _depth() > 0:
        _state.pending = signum
        return
    _state.last = KeyboardInterrupt()
    raise _state.last


def install() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt, or wait for the end of a `deferred()` block."""
    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread, or not allowed
                signal.signal(sig, _handler)


def last() -> KeyboardInterrupt | None:
    """The interrupt this process raised (the CLI's frameworks turn it into exit code 130)."""
    return getattr(_state, "last", None)


@contextlib.contextmanager
def deferred(done: str = "修改已完成") -> Iterator[None]:
    """Hold off Ctrl-C/SIGTERM until the block has run; then raise `Interrupted(done)`."""
    _state.depth = _depth() + 1
    try:
        yield
    finally:
        _state.depth -= 1
        pending = getattr(_state, "pending", None)
        if _state.depth == 0 and pending is not None:
            _state.pending = None
            _state.last = Interrupted(done)
            raise _state.last
