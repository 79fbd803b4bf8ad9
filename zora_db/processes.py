"""Processes zora-db started and must stop: whether one runs, and ending it for certain."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

STOP_TIMEOUT_S = 10.0  # then SIGKILL: a server that ignores SIGTERM must not hold its port
_POLL_S = 0.02


def alive(pid: int) -> bool:
    """Whether ``pid`` runs. One that exited does not, though not reaped yet: a child
    of ours is reaped here; a daemon's (pg_ctl's postgres) waits for its parent, and
    in a container whose first process never reaps, waits for ever."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds the number
    stat = state_and_parent(pid)
    return stat is None or stat[0] != "Z"  # no /proc (not Linux): kill(0) said it runs


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """Linux's one-letter state of ``pid`` ("Z": exited, not reaped) and its parent's pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def end(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM ``pid`` and return once it has exited (SIGKILL after ``timeout``).

    False if it was not running. A process that is not our child gives no
    exit event to wait on, so its end is polled for.
    """
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(_POLL_S)
    return True
