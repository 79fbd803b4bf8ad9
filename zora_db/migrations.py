"""Alembic, wired for CI: the programmatic API behind the migration commands.

Every command builds one :class:`alembic.config.Config` from the project's
``alembic.ini`` and hands our settings to ``alembic/env.py`` through
``config.attributes``; ``env.py`` only calls :func:`run_env`. So ``zora-db
upgrade`` and plain ``alembic upgrade head`` run the same code: the
compatibility-layer check, the advisory lock, the timeouts and a transaction
per migration.
"""

from __future__ import annotations

import hashlib
import io
import time
from argparse import Namespace
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypedDict

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from alembic.util import to_tuple
from alembic.util.exc import CommandError
from psycopg.conninfo import make_conninfo
from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from typing_extensions import Unpack

from alembic import command
from zora_db.compat import require_compat_layer
from zora_db.db import sqlalchemy_engine
from zora_db.errors import ConfigError, MigrationFailed, RevisionError, ZoraDbError
from zora_db.history import RevisionInfo, config_file
from zora_db.history import alembic_history as alembic_history
from zora_db.history import heads as heads  # the history is read without Alembic
from zora_db.history import history as history
from zora_db.lockwait import LockWait, LockWatch, backoff
from zora_db.progress import Say, quiet
from zora_db.settings import MigrationSettings
from zora_db.summary import current_revision
from zora_db.urls import resolve_url

# One advisory lock key for "migrating this database"; advisory locks are
# scoped to the current database, so other databases on the server are free.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"zora-db:migrations").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class RunResult:
    """What an upgrade, downgrade or stamp did."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    applied: tuple[str, ...]


@dataclass
class _RunLog:
    """Filled in by the environment, under the migration lock, on its own connection."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    applied: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- config


def alembic_config(
    url: str | None = None,
    *,
    config_path: Path | None = None,
    settings: MigrationSettings | None = None,
    say: Say = quiet,
    stdout: TextIO | None = None,
) -> Config:
    """The Alembic config every command uses; ``url`` is resolved if not given."""
    path = config_file(config_path)
    # Alembic's own chatter ("Generating …") is not ours to print; --sql passes stdout.
    cfg = Config(str(path), stdout=stdout or io.StringIO(), cmd_opts=Namespace(quiet=True))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["zora.url"] = url
    cfg.attributes["zora.settings"] = settings or MigrationSettings()
    cfg.attributes["zora.say"] = say
    return cfg


def script_directory(config_path: Path | None = None) -> ScriptDirectory:
    """The migration scripts of the project (or of ``config_path``)."""
    return ScriptDirectory.from_config(alembic_config(config_path=config_path))


def beside_migrations(name: str, config_path: Path | None = None) -> Path:
    """A reviewed file kept with the migrations (safety.toml, lint.toml)."""
    return Path(script_directory(config_path).dir) / name


# --------------------------------------------------------------------------- commands


class RunOptions(TypedDict, total=False):
    """How ``upgrade`` and ``downgrade`` run (every key optional)."""

    sql: bool  # print the SQL (offline) instead of running it
    config_path: Path | None
    settings: MigrationSettings | None
    say: Say
    output: TextIO | None  # where the SQL goes with ``sql``


def upgrade(url: str | None, revision: str = "head", **options: Unpack[RunOptions]) -> RunResult:
    """Upgrade the database to ``revision`` (or print the SQL with ``sql=True``)."""
    return _run(command.upgrade, url, revision, **options)


def downgrade(url: str | None, revision: str, **options: Unpack[RunOptions]) -> RunResult:
    """Downgrade the database to ``revision`` (``base`` removes every migration)."""
    return _run(command.downgrade, url, revision, **options)


def stamp(url: str | None, revision: str, *, config_path: Path | None = None) -> RunResult:
    """Record ``revision`` as current without running any migration."""
    return _run(command.stamp, url, revision, sql=False, config_path=config_path)


def current(url: str | None) -> tuple[str, ...]:
    """The revisions the database is stamped with (empty: never migrated)."""
    return current_revision(resolve_url(url))


def step_sql(info: RevisionInfo, *, config_path: Path | None = None) -> str:
    """The offline SQL of the one step up to ``info`` (from its parent)."""
    if len(info.down_revisions) > 1:
        raise RevisionError(
            f"revision {info.revision} merges branches",
            hint="its steps have no single offline script; linearise the history",
        )
    down = info.down_revisions[0] if info.down_revisions else "base"
    buffer = io.StringIO()
    upgrade(None, f"{down}:{info.revision}", sql=True, config_path=config_path, output=buffer)
    return buffer.getvalue()


def steps_sql(*, config_path: Path | None = None) -> dict[str, str]:
    """Every revision's :func:`step_sql`, from one offline run of the whole history.

    A run per revision reads every revision file each time (quadratic in
    history); one run from base to head prints the same steps, each its own
    transaction, after the same session settings: split there.
    """
    infos = list(reversed(history(config_path=config_path)))
    if any(len(info.down_revisions) > 1 for info in infos):
        return {info.revision: step_sql(info, config_path=config_path) for info in infos}
    buffer = io.StringIO()
    upgrade(None, "base:heads", sql=True, config_path=config_path, output=buffer)
    lines = buffer.getvalue().splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line == "BEGIN;\n"]
    if len(starts) != len(infos):
        return {info.revision: step_sql(info, config_path=config_path) for info in infos}
    header = "".join(lines[: starts[0]])
    ends = [*starts[1:], len(lines)]
    return {
        info.revision: header + "".join(lines[start:end])
        for info, start, end in zip(infos, starts, ends, strict=True)
    }


def new_revision(
    message: str,
    *,
    config_path: Path | None = None,
    version_path: Path | None = None,
    upgrade: str | None = None,
    downgrade: str | None = None,
    summary: str = "",
) -> Path:
    """Write a revision after the current head; its id is the next number.

    ``upgrade`` and ``downgrade`` are the bodies of its functions (Python, as
    autogenerate renders them); without them the template leaves placeholders
    to fill in by hand. ``summary`` is a paragraph for its docstring.
    """
    if not message.strip():
        raise ConfigError("the revision message is empty", hint="pass -m 'what it changes'")
    scripts = script_directory(config_path)
    if len(scripts.get_heads()) > 1:
        raise RevisionError(
            "the history has several heads",
            hint="merge them first with `alembic merge heads`",
        )
    numbers = [int(s.revision) for s in scripts.walk_revisions() if s.revision.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    script = scripts.generate_revision(
        rev_id,
        message,
        version_path=str(version_path) if version_path else None,
        upgrades=upgrade,
        downgrades=downgrade,
        summary=f"\n{summary.strip()}\n" if summary.strip() else "",
    )
    assert script is not None  # generate_revision returns None only for a dry run
    return Path(script.path)


# --------------------------------------------------------------------------- running


def _run(
    fn: Callable[..., Any],
    url: str | None,
    revision: str,
    *,
    sql: bool = False,
    config_path: Path | None = None,
    settings: MigrationSettings | None = None,
    say: Say = quiet,
    output: TextIO | None = None,
) -> RunResult:
    resolved = None if sql else resolve_url(url)
    cfg = alembic_config(
        resolved,
        config_path=config_path,
        settings=settings,
        say=say,
        stdout=output,
    )
    log = _RunLog()
    cfg.attributes["zora.log"] = log
    cfg.attributes["zora.reverting"] = fn is command.downgrade
    if sql and output is not None:
        cfg.output_buffer = output
    try:
        fn(cfg, revision, sql=sql)
    except CommandError as exc:
        raise RevisionError(
            _one_line(str(exc)), hint="see `zora-db history` for the known revisions"
        ) from exc
    return RunResult(before=log.before, after=log.after, applied=tuple(log.applied))


def run_env(context: EnvironmentContext) -> None:
    """The body of ``alembic/env.py``: run migrations offline or online."""
    config = context.config
    settings = config.attributes.get("zora.settings") or MigrationSettings.from_x_arguments(
        context.get_x_argument(as_dictionary=True)
    )
    if context.is_offline_mode():
        _run_offline(context, settings)
        return
    # A caller's own connection (the Alembic cookbook) or engine (pytest-alembic).
    given: Connection | Engine | None = config.attributes.get("connection")
    if isinstance(given, Engine):
        with given.connect() as conn:
            _run_online(context, conn, settings)
        return
    if given is not None:
        _run_online(context, given, settings)
        return
    url = config.attributes.get("zora.url") or resolve_url(None)
    engine = sqlalchemy_engine(url)
    try:
        with engine.connect() as conn:
            _run_online(context, conn, settings)
    finally:
        engine.dispose()


def _run_offline(context: EnvironmentContext, settings: MigrationSettings) -> None:
    context.configure(
        url="postgresql+psycopg://",
        literal_binds=True,
        transaction_per_migration=True,
        dialect_opts={"paramstyle": "named"},
    )
    # Values are validated durations (MigrationSettings), safe to inline.
    context.execute(f"SET lock_timeout = '{settings.lock_timeout}'")
    context.execute(f"SET statement_timeout = '{settings.statement_timeout}'")
    with context.begin_transaction():
        context.run_migrations()


def _run_online(context: EnvironmentContext, conn: Connection, settings: MigrationSettings) -> None:
    config = context.config
    say: Say = config.attributes.get("zora.say", quiet)
    log: _RunLog = config.attributes.setdefault("zora.log", _RunLog())
    # psycopg's own connection: the check runs before SQLAlchemy begins anything.
    require_compat_layer(conn.connection.driver_connection)
    with _migration_lock(conn, settings, say):
        _set(conn, "lock_timeout", settings.lock_timeout)
        _set(conn, "statement_timeout", settings.statement_timeout)
        # A runner killed mid-migration (SIGKILL, a lost CI machine) leaves its
        # backend running the statement; PostgreSQL notices the dead client
        # only when it next writes to it. Polling the socket makes it abort
        # within a second: the migration rolls back, the lock is released.
        _set(conn, "client_connection_check_interval", "1s")
        log.before = _require_known_revisions(conn, context.script)
        conn.commit()  # Alembic must find no transaction open, or it runs all in one

        started = time.perf_counter()

        def on_apply(
            ctx: MigrationContext,
            step: MigrationInfo,
            heads: Collection[Any],
            run_args: Mapping[str, Any],
        ) -> None:
            nonlocal started
            # up_revision is the script that ran, in either direction.
            label = ",".join(step.up_revision_ids)
            doc = getattr(step.up_revision, "doc", "") or ""
            verb = "applied" if step.is_upgrade else "reverted"
            log.applied.append(label)
            say(f"{verb} {label} {doc} ({time.perf_counter() - started:.2f} s)")
            started = time.perf_counter()

        context.configure(
            connection=conn,
            transaction_per_migration=True,
            on_version_apply=on_apply,
        )
        _run_with_lock_retries(context, conn, settings, say)
        log.after = _database_heads(conn)
        if log.applied:
            # PostgREST caches the schema; this is how it is told to read it
            # again (what Supabase's own DDL event trigger sends).
            conn.execute(text("notify pgrst, 'reload schema'"))
            conn.commit()


def _run_with_lock_retries(
    context: EnvironmentContext, conn: Connection, settings: MigrationSettings, say: Say
) -> None:
    """Run the pending migrations; one that gives up on a lock is rolled back and run again.

    Each migration commits on its own, so a retry starts at the one that
    failed, from the revision the database is then at.
    """
    driver = conn.connection.driver_connection
    assert driver is not None
    watcher_conninfo = make_conninfo(driver.info.dsn, password=driver.info.password)
    attempt = 0
    while True:
        with LockWatch(watcher_conninfo, driver.info.backend_pid) as watch:
            try:
                with context.begin_transaction():
                    context.run_migrations()
                return
            except DBAPIError as exc:
                conn.rollback()
                failure = exc
        lock_wait = watch.last
        if not isinstance(failure.orig, LockNotAvailable) or attempt >= settings.lock_retries:
            raise _migration_failed(
                failure, conn, context, tries=attempt + 1, lock_wait=lock_wait
            ) from failure
        attempt += 1
        pause = backoff(attempt)
        at = _database_heads(conn)
        say(
            f"migration {_failed_revision(context, at)} gave up on a lock after "
            f"{settings.lock_timeout} and was rolled back"
            + (f" ({lock_wait})" if lock_wait else "")
            + f"; retry {attempt} of {settings.lock_retries} in {pause:.1f} s"
        )
        time.sleep(pause)


def _sqlstate(exc: DBAPIError) -> str:
    return getattr(exc.orig, "sqlstate", None) or ""


@contextmanager
def _migration_lock(conn: Connection, settings: MigrationSettings, say: Say) -> Iterator[None]:
    """Hold the migration advisory lock of this database for the whole run.

    A session-level lock, so it survives the commit after each migration; a
    second runner waits here, then finds nothing left to do.
    """
    got = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
    if not got:
        say("another migration run holds this database's lock; waiting for it to finish")
        _set(conn, "lock_timeout", settings.wait_timeout)
        try:
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        except DBAPIError as exc:
            raise MigrationFailed(
                f"gave up after waiting {settings.wait_timeout} for another migration run",
                hint="check for a stuck `zora-db upgrade` (pg_locks, locktype advisory) "
                "or raise --wait",
            ) from exc
    conn.commit()
    try:
        yield
    finally:
        if not conn.closed and not conn.invalidated:
            conn.rollback()
            conn.execute(text("select pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            conn.commit()


def _set(conn: Connection, name: str, value: str) -> None:
    conn.execute(text("select set_config(:n, :v, false)"), {"n": name, "v": value})


def _require_known_revisions(conn: Connection, scripts: ScriptDirectory) -> tuple[str, ...]:
    """The database's revisions, each checked to be one this checkout knows."""
    heads = _database_heads(conn)
    for rev in heads:
        try:
            scripts.get_revision(rev)
        except CommandError as exc:
            raise RevisionError(
                f"the database is at revision {rev!r}, which this checkout does not know",
                hint="update your checkout (git pull) to the code that migrated it; "
                "nothing was changed",
            ) from exc
    return heads


def _database_heads(conn: Connection) -> tuple[str, ...]:
    heads = MigrationContext.configure(conn).get_current_heads()
    conn.commit()
    return tuple(heads)


# What to do about a failed migration, by SQLSTATE class (its first two characters).
REMEDIES = {
    "55": "it waited too long for a lock held by other sessions (see pg_stat_activity); "
    "run upgrade again when traffic is lower, or raise --lock-timeout or --lock-retries",
    "57": "it was cancelled or ran past statement_timeout; raise --statement-timeout, or run "
    "upgrade again when the database is quieter",
    "42": "the role may lack a privilege, or the migration names something that does not "
    "exist: connect as the schema's owner (on Supabase: postgres), or fix the migration",
    "23": "existing rows violate a constraint it adds: fix those rows (a data migration) "
    "before it, or add the constraint NOT VALID and validate it later",
    "22": "a value in the data cannot be converted as it asks: fix the data or the migration",
    "40": "it hit a deadlock or a serialization failure with other sessions; run upgrade again",
    "53": "the server ran out of a resource (disk, memory, connections); free it and rerun",
}
DEFAULT_REMEDY = "fix the migration or the data it trips over, then run upgrade again"


def _migration_failed(
    exc: DBAPIError,
    conn: Connection,
    context: EnvironmentContext,
    *,
    tries: int = 1,
    lock_wait: LockWait | None = None,
) -> ZoraDbError:
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or _one_line(str(orig))
    sqlstate = _sqlstate(exc)
    at = _database_heads(conn)
    where = ", ".join(at) if at else "base (no migration applied)"
    failed = _failed_revision(context, at)
    return MigrationFailed(
        f"migration {failed} failed"
        + (f" {tries} times" if tries > 1 else "")
        + f": {primary}"
        + (f" (SQLSTATE {sqlstate})" if sqlstate else "")
        + (f"; {lock_wait}" if lock_wait and isinstance(orig, LockNotAvailable) else "")
        + f"; it was rolled back and the database is at revision {where}",
        hint=REMEDIES.get(sqlstate[:2], DEFAULT_REMEDY),
    )


def _failed_revision(context: EnvironmentContext, at: tuple[str, ...]) -> str:
    """The migration that was running: the one reverted, or the next one applied."""
    if context.config.attributes.get("zora.reverting"):
        return ", ".join(at) or "?"
    after = set(at)
    following = [
        s.revision
        for s in context.script.walk_revisions()
        if set(to_tuple(s.down_revision, default=())) == after
    ]
    return ", ".join(following) or "?"


def _one_line(message: str) -> str:
    return " ".join(message.split())
