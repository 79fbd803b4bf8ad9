"""How a migration run may wait and how long it may take: checked before anything runs.

Apart from :mod:`zora_db.migrations` so that the CLI can show the defaults in
``--help`` without importing Alembic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zora_db.errors import ConfigError

_DURATION = re.compile(r"^\d+\s*(us|ms|s|min|h|d)?$")


@dataclass(frozen=True)
class MigrationSettings:
    """Timeouts for a migration run (PostgreSQL durations: ``500ms``, ``5s``, ``2min``).

    ``lock_timeout`` keeps a migration from queueing behind a long transaction
    while holding up every query behind it; ``statement_timeout`` bounds one
    statement; ``wait_timeout`` is how long to wait for another runner.
    A migration that needs more sets ``SET LOCAL`` itself.
    """

    lock_timeout: str = "5s"
    statement_timeout: str = "15min"
    wait_timeout: str = "10min"

    def __post_init__(self) -> None:
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
        known = {"lock_timeout", "statement_timeout", "wait_timeout"}
        return cls(**{k: v for k, v in args.items() if k in known})
