"""Waiting in tests for a state that must come: no verdict on speed, only a guard against a hang.

``until`` asks the question again until the answer is yes. Its bound is there
so that a broken build fails instead of hanging CI, not to judge how fast
anything is: it is the same on every machine and an order of magnitude past
what the slowest runner needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
HANG_S = 120.0
_POLL_S = 0.02


def until(
    condition: Callable[[], T], what: str, *, meanwhile: Callable[[], None] | None = None
) -> T:
    """``condition()`` once it is truthy; fails on a hang, saying ``what`` it waited for.

    ``meanwhile`` runs on each round and may fail the wait at once (it
    asserts that the process being waited on still runs, say).
    """
    deadline = time.monotonic() + HANG_S
    while True:
        answer = condition()
        if answer:
            return answer
        if meanwhile is not None:
            meanwhile()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {HANG_S:.0f} s (a hang)")
        time.sleep(_POLL_S)
