"""How long work says what it is doing: one line at a time, to whoever listens.

The API is silent by default (``quiet``); the CLI passes a ``Say`` that
prints to stderr, tests one that collects.
"""

from collections.abc import Callable

Say = Callable[[str], None]


def quiet(_line: str) -> None:
    """Say nothing."""
