"""Commands that move a database through the history, or read where it is."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from zora_db.cli.base import (
    STATE,
    DatabaseUrl,
    Yes,
    app,
    confirm,
    out,
    revisions,
    say,
    url_of,
)
from zora_db.settings import MigrationSettings

if TYPE_CHECKING:
    from zora_db.migrations import RunResult

Sql = Annotated[
    bool, typer.Option("--sql", help="Print the SQL instead of running it (no database needed).")
]
LockTimeout = Annotated[
    str, typer.Option(help="lock_timeout for each migration: give up rather than queue traffic.")
]
StatementTimeout = Annotated[str, typer.Option(help="statement_timeout for each migration.")]
LockRetries = Annotated[
    int,
    typer.Option(
        min=0,
        max=20,
        help="Times to roll back and retry a migration that gave up on a lock (0: never).",
    ),
]
Wait = Annotated[
    str, typer.Option("--wait", help="How long to wait for another runner's migration lock.")
]
_DEFAULTS = MigrationSettings()


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    database_url: DatabaseUrl = None,
    sql: Sql = False,
    lock_timeout: LockTimeout = _DEFAULTS.lock_timeout,
    statement_timeout: StatementTimeout = _DEFAULTS.statement_timeout,
    wait: Wait = _DEFAULTS.wait_timeout,
    lock_retries: LockRetries = _DEFAULTS.lock_retries,
) -> None:
    """Apply migrations up to REVISION (default: head), each in its own transaction.

    Holds an advisory lock for the whole run, so concurrent runners queue and
    each migration is applied exactly once. A migration that waits longer
    than --lock-timeout for a lock is rolled back and retried after a pause
    (--lock-retries times), naming the lock and who held it; on Supabase a
    policy change briefly locks auth's and realtime's tables too.
    """
    settings = MigrationSettings(lock_timeout, statement_timeout, wait, lock_retries)
    _migrate("upgrade", revision, database_url, sql, settings)


@app.command(context_settings={"ignore_unknown_options": True})  # "-1" is a revision
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision ('base' reverts all; -1 one).")],
    database_url: DatabaseUrl = None,
    sql: Sql = False,
    yes: Yes = False,
    lock_timeout: LockTimeout = _DEFAULTS.lock_timeout,
    statement_timeout: StatementTimeout = _DEFAULTS.statement_timeout,
    wait: Wait = _DEFAULTS.wait_timeout,
    lock_retries: LockRetries = _DEFAULTS.lock_retries,
) -> None:
    """Revert migrations down to REVISION. Reverting drops data: asks first."""
    settings = MigrationSettings(lock_timeout, statement_timeout, wait, lock_retries)
    _migrate("downgrade", revision, database_url, sql, settings, ask=not yes)


def _migrate(
    direction: str,
    revision: str,
    database_url: str | None,
    sql: bool,
    settings: MigrationSettings,
    *,
    ask: bool = False,
) -> None:
    """Print the SQL, or (after confirmation, if asked) run it with progress."""
    from zora_db import migrations
    from zora_db.urls import redact

    run = migrations.upgrade if direction == "upgrade" else migrations.downgrade
    if sql:
        run(
            None,
            revision,
            sql=True,
            config_path=STATE.config_path,
            settings=settings,
            output=sys.stdout,
        )
        return
    url = url_of(database_url)
    if ask:
        warning = "Reverted migrations may drop data."
        confirm(f"downgrade {redact(url)} to {revision}", warning, yes=False)
    say(f"{direction.removesuffix('e')}ing {redact(url)} to {revision}")
    report_run(run(url, revision, config_path=STATE.config_path, settings=settings, say=say))


def report_run(result: RunResult) -> None:
    if not result.applied:
        say(f"nothing to do: the database is at {revisions(result.after)}")
    else:
        count = len(result.applied)
        noun = "migration" if count == 1 else "migrations"
        say(f"done: {count} {noun}, {revisions(result.before)} -> {revisions(result.after)}")


@app.command()
def current(database_url: DatabaseUrl = None) -> None:
    """Print the revision the database is at ('base' if never migrated)."""
    from zora_db.history import heads
    from zora_db.summary import current_revision

    revs = current_revision(url_of(database_url))
    head_ids = {h.revision for h in heads(config_path=STATE.config_path)}
    if not revs:
        out.print("base")
    for rev in revs:
        out.print(f"{rev} (head)" if rev in head_ids else rev)


@app.command()
def history() -> None:
    """List the migrations, newest first."""
    from zora_db.history import history as read_history

    for info in read_history(config_path=STATE.config_path):
        head = " (head)" if info.is_head else ""
        parent = ",".join(info.down_revisions) or "base"
        out.print(escape(f"{parent} -> {info.revision}{head}: {info.message}"))


@app.command()
def heads() -> None:
    """Print the head revision(s) of the migration history."""
    from zora_db.history import heads as read_heads

    for info in read_heads(config_path=STATE.config_path):
        out.print(escape(f"{info.revision}: {info.message}"))


@app.command()
def stamp(
    revision: Annotated[str, typer.Argument(help="Revision to record.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Record REVISION as current without running migrations (for adopting a database)."""
    from zora_db import migrations

    result = migrations.stamp(url_of(database_url), revision, config_path=STATE.config_path)
    say(f"stamped: {revisions(result.before)} -> {revisions(result.after)}")


SqlDir = Annotated[
    Path,
    typer.Option("--sql-dir", help="The folder of current definitions (functions, policies, …)."),
]


@app.command()
def revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
    autogenerate: Annotated[
        bool,
        typer.Option(
            "--autogenerate",
            help="Fill it with what sql/ changes: compared with a throwaway database at head.",
        ),
    ] = False,
    sql_dir: SqlDir = Path("sql"),
    version_path: Annotated[
        Path | None,
        typer.Option(
            "--version-path",
            help="Folder to write the revision in (default: the history's own).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a new migration after the current head: empty, or from sql/ with --autogenerate.

    With --autogenerate, a throwaway database is migrated to head and every
    file under sql/ is applied to it in a transaction that is rolled back;
    what PostgreSQL then holds differently (function bodies, policy
    expressions, trigger events, grants, publication members, removed files)
    becomes the upgrade, and the database's own definitions the downgrade.
    Nothing changed: no revision is written.
    """
    if not autogenerate:
        from zora_db.migrations import new_revision

        path = new_revision(message, config_path=STATE.config_path, version_path=version_path)
        out.print(str(path))
        return
    from zora_db.definitions import autogenerate as generate

    result = generate(
        message, sql_dir, config_path=STATE.config_path, version_path=version_path, say=say
    )
    if result.path is None:
        out.print(f"no changes: {escape(str(sql_dir))} matches the migrations at head")
        return
    for change in result.plan.changes:
        say(f"{change.action} {sql_dir / change.path}")
    out.print(str(result.path))


@app.command("bootstrap")
def bootstrap_command(database_url: DatabaseUrl = None) -> None:
    """Install the Supabase compatibility layer on vanilla PostgreSQL (idempotent).

    Roles anon, authenticated, service_role and authenticator; schema auth with
    auth.users, auth.uid(), auth.role(), auth.email(), auth.jwt(); schema
    extensions; the empty supabase_realtime publication; Supabase's default
    privileges. A real Supabase database is detected and left alone.
    """
    from zora_db.compat import BootstrapOutcome, bootstrap
    from zora_db.urls import redact

    url = url_of(database_url)
    if bootstrap(url) is BootstrapOutcome.SUPABASE:
        say(f"{redact(url)} is a Supabase database: it has all of this already; nothing done")
    else:
        say(f"Supabase compatibility layer installed in {redact(url)}")


@app.command("seed")
def seed_command(database_url: DatabaseUrl = None) -> None:
    """Load the demo data set (London shops, customers, orders in every state), once.

    Goes through the apps' rules: users via auth.users, orders via
    create_order, statuses along the allowed transitions, triggers on.
    """
    from zora_db.seed import seed

    result = seed(url_of(database_url))
    verb = "seeded" if result.created else "already seeded, nothing changed"
    counts = ", ".join(f"{n} {table}" for table, n in result.counts.items())
    say(f"{verb}: {counts}")
