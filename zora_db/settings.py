"""How a migration run may wait and how long it may take: checked before anything runs.

Apart from :mod:`zora_db.migrations` so that the CLI can show the defaults in
``--help`` without importing Alembic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zora_db.errors import ConfigError

MAX_LOCK_RETRIES = 20
_DURATION = re.compile(r"^\d+\s*(us|ms|s|min|h|d)?$")


@dataclass(frozen=True)
class MigrationSettings:
    """Timeouts for a migration run (PostgreSQL durations: ``500ms``, ``5s``, ``2min``).

    ``lock_timeout`` keeps a migration from queueing behind a long transaction
    while holding up every query behind it; ``statement_timeout`` bounds one
    statement; ``wait_timeout`` is how long to wait for another runner.
    A migration that needs more sets ``SET LOCAL`` itself. A migration that
    gives up on a lock (55P03) is rolled back whole and tried again, up to
    ``lock_retries`` more times, after a growing pause: the lock may be held
    by a table it does not even name (on Supabase, a policy statement locks
    the platform's auth and realtime tables).
    """

    lock_timeout: str = "5s"
    statement_timeout: str = "15min"
    wait_timeout: str = "10min"
    lock_retries: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.lock_retries <= MAX_LOCK_RETRIES:
            raise ConfigError(
                f"lock_retries {self.lock_retries} is out of range",
                hint=f"use 0 (no retry) to {MAX_LOCK_RETRIES}",
            )
        for name in ("lock_timeout", "statement_timeout", "wait_timeout"):
            value = getattr(self, name)
            if not _DURATION.match(value):
                raise ConfigError(
                    f"{name} {value!r} is not a duration",
                    hint="use a number with a unit, like 500ms, 5s or 2min (0 disables)",
                )

    @classmethod
    def from_x_arguments(cls, args: dict[str, str]) -> MigrationSettings:
        """Settings from ``alembic -x lock_timeout=10s`` style arguments."""
        defaults = cls()
        try:
            retries = int(args.get("lock_retries", defaults.lock_retries))
        except ValueError:
            raise ConfigError(
                f"lock_retries {args['lock_retries']!r} is not a number",
                hint=f"use 0 (no retry) to {MAX_LOCK_RETRIES}",
            ) from None
        return cls(
            lock_timeout=args.get("lock_timeout", defaults.lock_timeout),
            statement_timeout=args.get("statement_timeout", defaults.statement_timeout),
            wait_timeout=args.get("wait_timeout", defaults.wait_timeout),
            lock_retries=retries,
        )
