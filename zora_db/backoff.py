"""How long to wait before trying again: doubling from a base, capped, half of it random.

The random half keeps several waiting clients (migration runners behind one
lock, push workers behind one failing service) from coming back together.
"""

from __future__ import annotations

import random


def backoff(attempt: int, *, base_s: float, cap_s: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based)."""
    ceiling: float = min(cap_s, base_s * 2.0 ** (attempt - 1))
    jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy
    return ceiling / 2 + jitter
