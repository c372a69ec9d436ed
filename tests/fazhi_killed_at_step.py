"""`fazhi` that SIGKILLs itself at one step of its first atomic write (a test helper, not a test).

    python tests/fazhi_killed_at_step.py STEP [fazhi arguments...]

STEP is one of safewrite's crash_hook steps: before-write, after-write, after-fsync,
after-replace. Everything else is the real command: the same entry point (`main`) as the
installed `fazhi`. A run that never reaches STEP ends normally, with the command's exit code.
Used by tests/test_cli_crash.py.
"""

import os
import signal
import sys

from fazhi_cli.cli.app import main
from fazhi_cli.store import safewrite


def _kill_at(step: str):
    def hook(reached: str) -> None:
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


if __name__ == "__main__":
    safewrite.crash_hook = _kill_at(sys.argv[1])
    sys.argv = ["fazhi", *sys.argv[2:]]
    main()
