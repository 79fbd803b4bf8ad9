"""What a migration waits for: watched from a second connection, told when it gives up.

PostgreSQL's lock timeout says only "canceling statement due to lock
timeout", and once the statement is cancelled the wait is gone from
``pg_locks``. So while a migration runs, a watcher looks at its backend from
another connection (opened only if the run lasts long enough to be waiting)
and remembers the last lock it waited on and who held it; a retry, or the
final error, names them.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import psycopg

from zora_db.backoff import backoff as shared_backoff

# A run shorter than this never waited for long: no second connection for it.
WATCH_AFTER_S = 0.2
WATCH_EVERY_S = 0.1
# Backoff between attempts (zora_db.backoff): from 1 s, doubling, at most 30 s.
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 30.0

# Our backend's ungranted lock, and who blocks it (%% is format()'s %, escaped
# for psycopg). Other roles' query text is hidden unless the role may read all
# statistics; user, application and state are visible to everyone.
_WAIT_SQL = """
select coalesce(l.relation::regclass::text, l.locktype), l.mode,
       coalesce(array(
         select format('pid %%s (user %%s%%s, %%s%%s)', a.pid, a.usename,
                       case when a.application_name <> ''
                            then format(', application %%L', a.application_name) else '' end,
                       coalesce(a.state, 'unknown state'),
                       case when a.xact_start is null then ''
                            else format(' for %%s s',
                                        round(extract(epoch from now() - a.xact_start))) end)
         from pg_catalog.pg_stat_activity a
         where a.pid = any(pg_catalog.pg_blocking_pids(l.pid))
         order by a.pid), '{}')
from pg_catalog.pg_locks l
where l.pid = %s and not l.granted
limit 1
"""


@dataclass(frozen=True)
class LockWait:
    """One lock a backend waited for."""

    relation: str  # the relation, or the lock type when it is not one (a row's transaction)
    mode: str
    holders: tuple[str, ...]

    def __str__(self) -> str:
        held = ", ".join(self.holders) if self.holders else "a session that has since gone"
        return f"it waited for {self.mode} on {self.relation}, held by {held}"


class LockWatch:
    """Watches backend ``pid`` while the ``with`` block runs; ``last`` is what it waited on."""

    def __init__(self, conninfo: str, pid: int) -> None:
        self._conninfo = conninfo
        self._pid = pid
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="zora-lock-watch", daemon=True)
        self.last: LockWait | None = None

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(WATCH_AFTER_S):
            return
        # Watching is a courtesy: if it cannot connect, the error says less.
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self._conninfo, autocommit=True, application_name="zora-db") as conn,
        ):
            while not self._done.is_set():
                row = conn.execute(_WAIT_SQL, [self._pid]).fetchone()
                if row is not None:
                    self.last = LockWait(str(row[0]), str(row[1]), tuple(row[2]))
                self._done.wait(WATCH_EVERY_S)


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` of a migration: from 1 s, at most 30 s."""
    return shared_backoff(attempt, base_s=BACKOFF_BASE_S, cap_s=BACKOFF_CAP_S)
