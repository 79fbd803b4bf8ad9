"""User-facing errors. Each carries one line of what went wrong and what to do.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; the codes are
documented in the README and must not change meaning.
"""

from __future__ import annotations


class ZoraDbError(Exception):
    """An error the user can fix; never shown with a traceback unless asked."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ConfigError(ZoraDbError):
    """No database URL, a malformed one, or a bad option value."""

    exit_code = 3


class ConnectionFailed(ZoraDbError):
    """The server could not be reached or refused our credentials."""

    exit_code = 4


class RevisionError(ZoraDbError):
    """An unknown target revision, or a database stamped with one we do not know."""

    exit_code = 5


class CompatLayerMissing(ZoraDbError):
    """A vanilla PostgreSQL without the Supabase compatibility layer."""

    exit_code = 6


class MigrationFailed(ZoraDbError):
    """A migration raised; its transaction was rolled back."""

    exit_code = 7


class DefinitionError(ZoraDbError):
    """A file under sql/ does not apply, or changes what sql/ does not define."""

    exit_code = 7


class BackendUnavailable(ZoraDbError):
    """No way to start the requested throwaway PostgreSQL on this machine."""

    exit_code = 8


class RealtimeUnavailable(ZoraDbError):
    """Logical decoding cannot run here: wal_level, privileges, or no publication."""

    exit_code = 9


class PermissionDenied(ZoraDbError):
    """The database role may not do what the command needs (SQLSTATE 42501)."""

    exit_code = 13


def from_database(exc: BaseException) -> ZoraDbError | None:
    """A database error that is the user's to fix, as one; None for anything else.

    Commands check what they can up front; this catches what only the server
    knows, such as a privilege the connecting role lacks.
    """
    from psycopg.errors import InsufficientPrivilege  # only when something failed

    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps psycopg's
    if isinstance(orig, InsufficientPrivilege):
        diag = getattr(orig, "diag", None)
        message = getattr(diag, "message_primary", None) or str(orig).splitlines()[0]
        return PermissionDenied(
            f"the database role may not do this: {message}",
            hint="connect as a role that owns the schema (on Supabase: postgres) "
            "or grant the privilege",
        )
    return None


class SubscriptionError(ZoraDbError):
    """A realtime subscription Supabase Realtime would refuse (bad filter, column, event)."""

    exit_code = 3


# Exit codes that are answers, not errors: a check ran, and what it found fails it.
CHECK_FAILED = 10  # lint at --fail-on or above, drift, verify, safety, a stale file (--check)
BEHIND = 11  # check: the database is behind head (run `zora-db upgrade`)
NOT_RUNNING = 12  # dev status: the development database is not created or not running
