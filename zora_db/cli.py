"""The ``zora-db`` command: parse options, call the API, render, map errors to exit codes.

Exit codes (documented in the README): 0 success, 1 unexpected error,
2 usage error, 3 configuration, 4 connection, 5 revision, 6 compatibility
layer missing, 7 migration failed, 8 backend unavailable, 9 realtime unavailable,
130 interrupted.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zora_db import __version__, definitions, export, migrations, safety
from zora_db.api.dev import DevApi
from zora_db.catalog import introspect
from zora_db.check import check
from zora_db.compat import BootstrapOutcome, bootstrap
from zora_db.contract import POSTGREST_VERSION
from zora_db.devdb import DevCluster
from zora_db.drift import Difference
from zora_db.errors import (
    BEHIND,
    CHECK_FAILED,
    NOT_RUNNING,
    ConfigError,
    ZoraDbError,
    from_database,
)
from zora_db.lint import Finding, Level, apply_allow_list, failing, load_allow_list, run_lints
from zora_db.migrations import MigrationSettings
from zora_db.scratch import database_or_scratch, scratch_database
from zora_db.seed import seed
from zora_db.summary import summarize
from zora_db.typegen import DEFAULT_SCHEMAS, LANGUAGES, Options, diff, generate_all
from zora_db.urls import configured_url, redact, resolve_url
from zora_db.verify import Report, verify

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Typer's help shows `<bool>` after every flag, as if it took a value; a flag takes none.
_show_type = typer.core.TyperOption.display_type_rich


def _flag_without_type(option: typer.core.TyperOption, ctx: Any) -> str | None:
    return None if option.is_flag else _show_type(option, ctx)


typer.core.TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="zora-db",
    help="The Zora marketplace database: migrations, Supabase compatibility and tooling.\n\n"
    "The database comes from --database-url, else ZORA_DATABASE_URL, else DATABASE_URL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
dev_app = typer.Typer(
    help="The local development database (a persistent cluster under .zora/dev).",
    no_args_is_help=True,
)
app.add_typer(dev_app, name="dev")


@dataclass
class _State:
    verbose: bool = False
    config_path: Path | None = None
    database_url: str | None = None


STATE = _State()

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        "-d",
        help="PostgreSQL URL (postgres:// or postgresql://). "
        "Default: $ZORA_DATABASE_URL, then $DATABASE_URL.",
        show_default=False,
    ),
]
Sql = Annotated[
    bool, typer.Option("--sql", help="Print the SQL instead of running it (no database needed).")
]
LockTimeout = Annotated[
    str, typer.Option(help="lock_timeout for each migration: give up rather than queue traffic.")
]
StatementTimeout = Annotated[str, typer.Option(help="statement_timeout for each migration.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Schemas = Annotated[
    list[str] | None,
    typer.Option(
        "--schema",
        "-s",
        help="Schema to read (repeatable). Default: every schema that is not PostgreSQL's, "
        "Supabase's or an extension's.",
        show_default=False,
    ),
]
Wait = Annotated[
    str, typer.Option("--wait", help="How long to wait for another runner's migration lock.")
]
_DEFAULTS = MigrationSettings()


def _version(value: bool) -> None:
    if value:
        out.print(f"zora-db {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    database_url: DatabaseUrl = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and more detail.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Alembic config file (default: the project's).",
            envvar="ZORA_DB_CONFIG",
        ),
    ] = None,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    STATE.verbose = verbose
    STATE.config_path = config
    STATE.database_url = database_url


def _url(option: str | None) -> str:
    """The command's --database-url, else the global one, else the environment."""
    return resolve_url(option or STATE.database_url)


def _say(message: str) -> None:
    err.print(escape(message))


# --------------------------------------------------------------------------- migrations


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    database_url: DatabaseUrl = None,
    sql: Sql = False,
    lock_timeout: LockTimeout = _DEFAULTS.lock_timeout,
    statement_timeout: StatementTimeout = _DEFAULTS.statement_timeout,
    wait: Wait = _DEFAULTS.wait_timeout,
) -> None:
    """Apply migrations up to REVISION (default: head), each in its own transaction.

    Holds an advisory lock for the whole run, so concurrent runners queue and
    each migration is applied exactly once.
    """
    settings = MigrationSettings(lock_timeout, statement_timeout, wait)
    _migrate(migrations.upgrade, revision, database_url, sql, settings)


@app.command(context_settings={"ignore_unknown_options": True})  # "-1" is a revision
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision ('base' reverts all; -1 one).")],
    database_url: DatabaseUrl = None,
    sql: Sql = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    lock_timeout: LockTimeout = _DEFAULTS.lock_timeout,
    statement_timeout: StatementTimeout = _DEFAULTS.statement_timeout,
    wait: Wait = _DEFAULTS.wait_timeout,
) -> None:
    """Revert migrations down to REVISION. Reverting drops data: asks first."""
    settings = MigrationSettings(lock_timeout, statement_timeout, wait)
    _migrate(migrations.downgrade, revision, database_url, sql, settings, ask=not yes)


def _migrate(
    run: Callable[..., migrations.RunResult],
    revision: str,
    database_url: str | None,
    sql: bool,
    settings: MigrationSettings,
    *,
    ask: bool = False,
) -> None:
    """Print the SQL, or (after confirmation, if asked) run it with progress."""
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
    url = _url(database_url)
    verb = "upgrading" if run is migrations.upgrade else "downgrading"
    if ask:
        _confirm(
            f"downgrade {redact(url)} to {revision}", "Reverted migrations may drop data.", False
        )
    _say(f"{verb} {redact(url)} to {revision}")
    _report_run(run(url, revision, config_path=STATE.config_path, settings=settings, progress=_say))


@app.command()
def current(database_url: DatabaseUrl = None) -> None:
    """Print the revision the database is at ('base' if never migrated)."""
    revs = migrations.current(_url(database_url))
    heads = {h.revision for h in migrations.heads(config_path=STATE.config_path)}
    if not revs:
        out.print("base")
    for rev in revs:
        out.print(f"{rev} (head)" if rev in heads else rev)


@app.command()
def history() -> None:
    """List the migrations, newest first."""
    for info in migrations.history(config_path=STATE.config_path):
        head = " (head)" if info.is_head else ""
        parent = ",".join(info.down_revisions) or "base"
        out.print(escape(f"{parent} -> {info.revision}{head}: {info.message}"))


@app.command()
def heads() -> None:
    """Print the head revision(s) of the migration history."""
    for info in migrations.heads(config_path=STATE.config_path):
        out.print(escape(f"{info.revision}: {info.message}"))


@app.command()
def stamp(
    revision: Annotated[str, typer.Argument(help="Revision to record.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Record REVISION as current without running migrations (for adopting a database)."""
    result = migrations.stamp(_url(database_url), revision, config_path=STATE.config_path)
    _say(f"stamped: {_revs(result.before)} -> {_revs(result.after)}")


SqlDir = Annotated[
    Path,
    typer.Option("--sql-dir", help="The folder of current definitions (functions, policies, …)."),
]
VersionPath = Annotated[
    Path | None,
    typer.Option(
        "--version-path",
        help="Folder to write the revision in (default: the history's own).",
        show_default=False,
    ),
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
    version_path: VersionPath = None,
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
        path = migrations.new_revision(
            message, config_path=STATE.config_path, version_path=version_path
        )
        out.print(str(path))
        return
    if not message.strip():
        raise ConfigError("the revision message is empty", hint="pass -m 'what it changes'")
    files = definitions.read(sql_dir)
    if not files:
        raise ConfigError(
            f"{sql_dir} holds no definitions", hint="run `zora-db dump-sql` to write them first"
        )
    with scratch_database(config_path=STATE.config_path, say=_say) as url:
        plan = definitions.plan(url, files)
    if not plan.changes:
        out.print(f"no changes: {escape(str(sql_dir))} matches the migrations at head")
        return
    path = migrations.new_revision(
        message, config_path=STATE.config_path, version_path=version_path
    )
    definitions.fill_revision(path, plan)
    for change in plan.changes:
        _say(f"{change.action} {sql_dir / change.path}")
    out.print(str(path))


Check = Annotated[
    bool,
    typer.Option(
        "--check", help="Write nothing; exit 10 (with what differs) when a file is not up to date."
    ),
]


@app.command("dump-sql")
def dump_sql_command(
    database_url: DatabaseUrl = None, sql_dir: SqlDir = Path("sql"), check: Check = False
) -> None:
    """Write sql/ from a database at head: one file per function, view, grant, policy, trigger.

    Without a database URL, from a throwaway database migrated to head: after
    a hand-written migration, this brings sql/ up to date (make test fails
    while it is stale). A database at another revision is refused (exit 5).
    Files of objects that no longer exist are removed.
    """
    with database_or_scratch(_target(database_url), config_path=STATE.config_path, say=_say) as url:
        files = definitions.dump(url, config_path=STATE.config_path)
    written = definitions.write(files, sql_dir, check=check)
    verb = ("would update", "would remove") if check else ("updated", "removed")
    for path in written.updated:
        _say(f"{verb[0]} {sql_dir / path}")
    for path in written.removed:
        _say(f"{verb[1]} {sql_dir / path}")
    out.print(
        f"{len(written.updated)} file(s) {verb[0]}, {len(written.removed)} {verb[1]} "
        f"in {escape(str(sql_dir))}"
    )
    if check and written:
        _say("sql/ is not up to date: run `zora-db dump-sql` and commit the result")
        raise typer.Exit(CHECK_FAILED)


def _report_run(result: migrations.RunResult) -> None:
    if not result.applied:
        _say(f"nothing to do: the database is at {_revs(result.after)}")
    else:
        count = len(result.applied)
        noun = "migration" if count == 1 else "migrations"
        _say(f"done: {count} {noun}, {_revs(result.before)} -> {_revs(result.after)}")


def _revs(revs: tuple[str, ...]) -> str:
    return ", ".join(revs) if revs else "base"


# --------------------------------------------------------------------------- compatibility


@app.command("bootstrap")
def bootstrap_command(database_url: DatabaseUrl = None) -> None:
    """Install the Supabase compatibility layer on vanilla PostgreSQL (idempotent).

    Roles anon, authenticated, service_role and authenticator; schema auth with
    auth.users, auth.uid(), auth.role(), auth.email(), auth.jwt(); schema
    extensions; the empty supabase_realtime publication; Supabase's default
    privileges. A real Supabase database is detected and left alone.
    """
    url = _url(database_url)
    outcome = bootstrap(url)
    if outcome is BootstrapOutcome.SUPABASE:
        _say(f"{redact(url)} is a Supabase database: it has all of this already; nothing done")
    else:
        _say(f"Supabase compatibility layer installed in {redact(url)}")


@app.command("seed")
def seed_command(database_url: DatabaseUrl = None) -> None:
    """Load the demo data set (London shops, customers, orders in every state), once.

    Goes through the apps' rules: users via auth.users, orders via
    create_order, statuses along the allowed transitions, triggers on.
    """
    url = _url(database_url)
    result = seed(url)
    verb = "seeded" if result.created else "already seeded, nothing changed"
    counts = ", ".join(f"{n} {table}" for table, n in result.counts.items())
    _say(f"{verb}: {counts}")


# --------------------------------------------------------------------------- checks


def _target(option: str | None) -> str | None:
    """The configured URL, or None: the command then works on a scratch database."""
    return configured_url(option or STATE.database_url)


FailOn = Annotated[
    Level,
    typer.Option(
        "--fail-on",
        help="Exit 10 when a finding at this level or a more severe one is not in the allow-list.",
        case_sensitive=False,
    ),
]


@app.command("lint")
def lint_command(
    database_url: DatabaseUrl = None,
    schema: Schemas = None,
    fail_on: FailOn = Level.WARN,
    allow_list: Annotated[
        Path | None,
        typer.Option(
            "--allow-list",
            help="Reviewed findings to accept ([[allow]] lint, object, reason). "
            "Default: lint.toml beside the migrations, if there is one.",
            show_default=False,
        ),
    ] = None,
    json_output: Json = False,
) -> None:
    """Check the schema for Supabase's security and performance mistakes, and ours.

    Row level security off or without policies, functions without a fixed
    search_path, views bypassing RLS or exposing auth.users, per-row auth.uid()
    in policies, overlapping permissive policies, unindexed foreign keys,
    duplicate indexes, tables without a primary key, extensions in public, and
    realtime tables missing from supabase_realtime. Without a database URL it
    lints a throwaway database migrated to head. Exit code 10 when a finding
    at --fail-on (default warn) or above is not in the allow-list; on a
    terminal a table, otherwise one finding per line.
    """
    path = allow_list or migrations.beside_migrations("lint.toml", STATE.config_path)
    allowed = load_allow_list(path, required=allow_list is not None)
    with database_or_scratch(_target(database_url), config_path=STATE.config_path, say=_say) as url:
        findings = run_lints(introspect(url, tuple(schema) if schema else None))
    findings, unused = apply_allow_list(findings, allowed)
    for lint, obj in unused:
        _say(f"note: {path} allows {lint} on {obj}, which has no such finding: remove the entry")
    failed = failing(findings, fail_on)
    if json_output:
        out.print_json(
            data={
                "findings": [asdict(f) for f in findings],
                "fail_on": str(fail_on),
                "failed": len(failed),
            }
        )
    else:
        _render_findings(findings)
    if failed:
        _say(f"{len(failed)} finding(s) at {fail_on} or above are not in the allow-list ({path})")
        raise typer.Exit(CHECK_FAILED)


def _render_findings(findings: list[Finding]) -> None:
    if not findings:
        out.print("no findings")
        return
    if not out.is_terminal:  # a CI log: whole lines, nothing cut to a column width
        for f in findings:
            out.print(escape(f.line()), soft_wrap=True, highlight=False)
        return
    table = Table(box=box.SIMPLE)
    table.add_column("level", no_wrap=True)
    table.add_column("lint (category)", no_wrap=True)
    table.add_column("object", overflow="fold")
    table.add_column("problem and fix", overflow="fold")
    colour = {Level.ERROR: "bold red", Level.WARN: "yellow", Level.INFO: "cyan"}
    for f in findings:
        allowed = f"\n[green]allowed: {escape(f.allowed)}[/]" if f.allowed else ""
        table.add_row(
            f"[{colour[f.level]}]{f.level}[/]",
            f"{f.lint}\n[dim]({f.category})[/]",
            escape(f.object),
            f"{escape(f.detail)}\n[dim]fix: {escape(f.remediation)}[/]{allowed}",
        )
    out.print(table)
    counts = Counter(f.level for f in findings)
    out.print(", ".join(f"{counts[level]} {level}" for level in Level if counts[level]))


@app.command("check")
def check_command(database_url: DatabaseUrl = None, json_output: Json = False) -> None:
    """Compare a database with what the migrations build at its revision.

    Reports the revision status (at head, behind, or a revision this checkout
    does not know: exit code 5) and drift: every table, column, type,
    default, constraint, index, enum, function, trigger, policy, RLS flag,
    grant, publication member and replica identity that differs from a
    throwaway database migrated to the same revision. Exit codes: 0 at head
    without drift, 10 drift, 11 behind head (run `zora-db upgrade`), 5 at a
    revision this checkout does not know. Read-only: it changes nothing.
    """
    url = _url(database_url)
    result = check(url, config_path=STATE.config_path, say=_say)
    status = result.status
    if json_output:
        out.print_json(
            data={
                "revision": {
                    "current": list(status.current),
                    "heads": list(status.heads),
                    "state": status.state,
                    "pending": list(status.pending),
                },
                "drift": [asdict(d) for d in result.differences],
            }
        )
    else:
        at = ", ".join(status.current) or "base (never migrated)"
        line = f"revision: {at} ({status.state}"
        if status.pending:
            line += f": {len(status.pending)} to apply, {', '.join(status.pending)}"
        out.print(escape(line + ")"))
        _render_drift(result.differences)
    if result.drifted:
        raise typer.Exit(CHECK_FAILED)
    if status.state != "at head":
        _say(f"the database is {status.state}: run `zora-db upgrade`")
        raise typer.Exit(BEHIND)


def _render_drift(differences: list[Difference]) -> None:
    if not differences:
        out.print("[bold green]no drift[/]: the database matches its migrations")
        return
    table = Table(box=box.SIMPLE)
    for column in ("kind", "object", "change", "detail"):
        table.add_column(column)
    colour = {"missing": "red", "unexpected": "yellow", "changed": "cyan"}
    for d in differences:
        table.add_row(
            d.kind, escape(d.object), f"[{colour[d.change]}]{d.change}[/]", escape(d.detail)
        )
    out.print(table)
    out.print(f"[bold red]drift[/]: {len(differences)} differences from the migrations")


@app.command("safety")
def safety_command(
    revisions: Annotated[
        list[str] | None,
        typer.Argument(help="Revisions to lint (default: all).", show_default=False),
    ] = None,
    json_output: Json = False,
) -> None:
    """Lint each revision's SQL for operations that lock or rewrite busy tables (squawk).

    An index without CONCURRENTLY on an existing table, a NOT NULL column
    without a default, a rewriting type change, a constraint without NOT
    VALID, and the rest of squawk's rules, on the offline SQL of every
    revision. Findings reviewed for revisions already in history are listed
    in alembic/safety.toml with their reason; any other finding: exit code 10.
    Needs no database.
    """
    findings = safety.lint(revisions, config_path=STATE.config_path)
    new = [f for f in findings if f.allowed is None]
    if json_output:
        out.print_json(data={"findings": [{**asdict(f), "url": f.url} for f in findings]})
    else:
        if new:
            table = Table(box=box.SIMPLE)
            for column in ("revision", "rule", "line"):
                table.add_column(column, no_wrap=True)
            table.add_column("problem and fix")
            for f in new:
                table.add_row(
                    f.revision,
                    f"[yellow]{f.rule}[/]",
                    str(f.line),
                    f"{escape(f.message)}\n[dim]{escape(f.help)} {f.url}[/]",
                )
            out.print(table)
        allowed = len(findings) - len(new)
        verdict = "[bold red]unsafe[/]" if new else "[bold green]safe[/]"
        out.print(f"{verdict}: {len(new)} new finding(s), {allowed} reviewed (alembic/safety.toml)")
    if new:
        raise typer.Exit(CHECK_FAILED)


export_app = typer.Typer(help="Write the migration history in another tool's format.")
app.add_typer(export_app, name="export")


@export_app.command("supabase")
def export_supabase_command(
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory of the Supabase CLI's migrations."),
    ] = Path("supabase/migrations"),
) -> None:
    """Write every revision as a Supabase CLI migration (`supabase db push`).

    One <timestamp>_<revision>_<name>.sql per revision, oldest first, each the
    offline SQL of that step. Timestamps follow the history, not the clock, so
    exporting again writes the same bytes. The files keep alembic_version
    current: zora-db still knows the revision of a database they migrated.
    Needs no database.
    """
    written, unchanged = export.write(
        export.supabase_migrations(config_path=STATE.config_path), out_dir
    )
    for path in written:
        _say(f"wrote {path}")
    out.print(f"{len(written)} written, {len(unchanged)} unchanged in {escape(str(out_dir))}")


class Lang(StrEnum):
    pydantic = "pydantic"
    typeddict = "typeddict"
    typescript = "typescript"
    all = "all"


@app.command("gen-types")
def gen_types_command(
    database_url: DatabaseUrl = None,
    lang: Annotated[
        Lang, typer.Option("--lang", "-l", help="Which types to write.", case_sensitive=False)
    ] = Lang.all,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write; with --lang all, the directory to write under. Default: "
            "zora_types/models.py, zora_types/rows.py and types/database.types.ts "
            "under the current directory.",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", "-s", help="Schema to type (repeatable). Default: public."),
    ] = None,
    postgrest_version: Annotated[
        str,
        typer.Option(
            "--postgrest-version",
            help="TypeScript: the PostgREST version the app talks to, written as "
            "__InternalSupabase so supabase-js allows that version's methods "
            "(13 and later: maxAffected); 'none' leaves it out.",
        ),
    ] = POSTGREST_VERSION,
    check: Check = False,
) -> None:
    """Write Pydantic models, TypedDicts and TypeScript types from the live schema.

    Per table a Row, Insert and Update shape, views, enums, composite types
    and function arguments; TypeScript in the shape of Supabase's generator
    (`createClient<Database>()`). Reads the database the URL resolution names,
    or without one a throwaway database migrated to head. Output is sorted and
    has no timestamps: the same schema gives the same bytes, which `--check`
    compares (CI runs it so committed types never go stale).
    """
    languages = list(LANGUAGES) if lang is Lang.all else [lang.value]
    targets = {name: _types_path(name, out_path, lang is Lang.all) for name in languages}
    schemas = tuple(schema) if schema else DEFAULT_SCHEMAS
    if not re.fullmatch(r"none|\d+(\.\d+){0,2}", postgrest_version):
        raise ConfigError(
            f"--postgrest-version {postgrest_version!r} is not a version",
            hint="give one like 12.2.3 or 13, or 'none'",
        )
    options = Options(schemas, None if postgrest_version == "none" else postgrest_version)
    with database_or_scratch(_target(database_url), config_path=STATE.config_path, say=_say) as url:
        catalog = introspect(url, schemas)
    missing = [s for s in schemas if s not in {r.schema for r in catalog.relations}]
    if missing:
        raise ConfigError(
            f"schema {', '.join(missing)} has no tables or views in this database",
            hint="name a schema that exists with --schema (default: public)",
        )
    generated = generate_all(catalog, targets, options)
    for note in generated.notes:
        _say(f"note: {note}")
    stale = []
    for name, path in targets.items():
        text = generated.files[name]
        if check:
            difference = diff(path, text)
            if difference:
                stale.append(str(path))
                out.print(escape(difference), end="")
            continue
        if path.exists() and path.read_text() == text:
            _say(f"unchanged {path}")
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            raise ConfigError(
                f"cannot write {path}: {exc.strerror}", hint="choose another --out"
            ) from exc
        _say(f"wrote {path}")
    if stale:
        err.print(
            f"[bold red]out of date[/]: {', '.join(stale)}; "
            "run `zora-db gen-types` and commit the result"
        )
        raise typer.Exit(CHECK_FAILED)
    if check:
        _say(f"up to date: {', '.join(str(p) for p in targets.values())}")


def _types_path(language: str, out_path: Path | None, many: bool) -> Path:
    default = LANGUAGES[language].default_path
    if out_path is None:
        return default
    if many:
        return out_path / default
    if out_path.is_dir():
        return out_path / default.name
    return out_path


@app.command("verify")
def verify_command(database_url: DatabaseUrl = None, json_output: Json = False) -> None:
    """Prove the schema on a real database: access matrix, attacks, triggers, realtime.

    Realtime plays the apps' subscriptions (the contract) through the seed plan's
    scenarios with Supabase Realtime's delivery rules: every event an app handles
    must arrive with the committed values, and nobody may receive a row they
    cannot read. Keys of deleted rows sent to others are listed as warnings.

    Creates a temporary database, migrates it to head, loads the demo data set,
    runs every check (each rolled back) and drops it. With a database URL the
    temporary database is made on that server (its role needs CREATEDB, and
    superuser for the realtime check); existing databases are never touched.
    Without one, on a throwaway server. Exit code 10 when any check fails.
    """
    server = _target(database_url)
    with scratch_database(server, seeded=True, config_path=STATE.config_path, say=_say) as url:
        report = verify(url, progress=_say)
    if json_output:
        out.print_json(data=_report_json(report))
    else:
        _render_report(report)
    if not report.passed:
        raise typer.Exit(CHECK_FAILED)


def _report_json(report: Report) -> dict[str, object]:
    return {
        "passed": report.passed,
        "groups": [
            {
                "name": g.name,
                "checks": g.checks,
                "passed": g.passed,
                "failed": g.failed,
                "seconds": round(g.seconds, 3),
            }
            for g in report.groups
        ],
        "failures": [asdict(o) for o in report.failures],
        "warnings": report.warnings,
        "realtime": {
            "decoder": report.decoder,
            "steps": len(report.latencies_ms),
            "latency_ms": report.latency(),
        },
    }


def _render_report(report: Report) -> None:
    table = Table(box=box.SIMPLE)
    for column in ("group", "checks", "passed", "failed", "seconds"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for g in report.groups:
        failed = f"[bold red]{g.failed}[/]" if g.failed else "0"
        table.add_row(g.name, str(g.checks), str(g.passed), failed, f"{g.seconds:.2f}")
    out.print(table)
    for o in report.failures:
        out.print(f"[bold red]FAILED[/] {escape(o.group)}: {escape(o.name)}: {escape(o.detail)}")
    for warning in report.warnings:
        out.print(f"[bold yellow]warning[/] realtime: {escape(warning)}")
    latency = report.latency()
    if latency:
        out.print(
            f"realtime ({report.decoder}): {len(report.latencies_ms)} scenario steps, commit to "
            f"decided delivery p50 {latency['p50']} ms, p99 {latency['p99']} ms, "
            f"max {latency['max']} ms"
        )
    total = sum(g.checks for g in report.groups)
    out.print(
        f"[bold green]verified[/]: all {total} checks passed"
        if report.passed
        else f"[bold red]{len(report.failures)} of {total} checks failed[/]"
    )


@app.command("listen")
def listen_command(
    who: Annotated[
        str,
        typer.Option(
            "--as",
            help="Whose subscription: a user id (auth.users.id), anon or service_role.",
            show_default=False,
        ),
    ],
    table: Annotated[
        str | None,
        typer.Option(help="Table to subscribe to (default: every table of supabase_realtime)."),
    ] = None,
    filter_: Annotated[
        str | None,
        typer.Option(
            "--filter",
            help="Realtime's filter, e.g. user_id=eq.<uuid> (needs --table).",
            show_default=False,
        ),
    ] = None,
    event: Annotated[str, typer.Option(help="INSERT, UPDATE, DELETE or * (every event).")] = "*",
    decoder: Annotated[
        str, typer.Option(help="Logical decoding plugin: auto (wal2json, else pgoutput).")
    ] = "auto",
    database_url: DatabaseUrl = None,
) -> None:
    """Stream what one user's realtime subscription would receive, live, until Ctrl-C.

    Supabase Realtime's rules decide each change: filters, a row level security
    re-check as that user, columns they may read, the key alone for a DELETE.
    Each delivery is shown as the payload supabase-js hands the app: readable on a
    terminal, one JSON object per line otherwise (for piping into jq). Needs
    wal_level = logical and a role that may create replication slots.

    Example: zora-db listen --as 650e7994-86cc-5a56-bbfc-26260d184024 --table orders
    --filter user_id=eq.650e7994-86cc-5a56-bbfc-26260d184024
    """
    from zora_db.realtime.listen import claims_for, listen

    claims = claims_for(who)
    if filter_ and not table:
        raise ConfigError(
            "--filter needs --table", hint="e.g. --table orders --filter user_id=eq.…"
        )
    if decoder not in ("auto", "wal2json", "pgoutput"):
        raise ConfigError(f"unknown decoder {decoder!r}", hint="use auto, wal2json or pgoutput")

    def ready(stream: Any, subscriptions: list[Any], unpublished: list[str]) -> None:
        for name in unpublished:
            err.print(
                f"[yellow]warning:[/] {name} is not in supabase_realtime: nothing will arrive"
            )
        what = ", ".join(str(s) for s in subscriptions) or "nothing (the publication is empty)"
        _say(f"listening ({stream.plugin}) to {what}; Ctrl-C to stop")

    try:
        listen(
            _url(database_url), claims, _render_delivery,
            table=table, filter_=filter_ or "", event=event, on_ready=ready, plugin=decoder,
        )  # fmt: skip
    except KeyboardInterrupt:
        _say("stopped; the temporary replication slot is gone")


def _render_delivery(delivery: Any) -> None:
    from zora_db.realtime.changes import json_number

    payload = delivery.payload
    if not out.is_terminal:
        print(json.dumps(payload, default=json_number), flush=True)
        return
    when = (payload["commit_timestamp"] or "")[11:23]
    head = f"{when} [bold]{payload['eventType']}[/] {payload['schema']}.{payload['table']}"
    if payload["errors"]:
        out.print(f"{head} [red]{escape(', '.join(payload['errors']))}[/]")
        return
    out.print(head)
    for side in ("new", "old"):
        if payload[side]:
            body = json.dumps(payload[side], default=json_number, ensure_ascii=False)
            out.print(f"  {side}: {escape(body)}")


# --------------------------------------------------------------------------- dev


@dev_app.command("start")
def dev_start() -> None:
    """Start the development database, creating it (with the Supabase layer) on first use."""
    cluster = DevCluster()
    first = not cluster.initialised
    if first:
        _say(f"creating the development database in {cluster.directory}")
    url = cluster.start()
    _say(f"development database running: {redact(url)}")
    api_url = DevApi(cluster.directory).start(url)
    _say(f"API (PostgREST) serving it at {api_url}/rest/v1; keys: `zora-db dev status`")
    _say('next: zora-db --database-url "$(zora-db dev url)" upgrade')


@dev_app.command("up")
def dev_up() -> None:
    """Everything `make demo` does, in one go: start (database and API), migrate to head, seed.

    Idempotent: run it again any time. Ends with `zora-db dev status` (URL and keys).
    """
    cluster = DevCluster()
    if not cluster.initialised:
        _say(f"creating the development database in {cluster.directory}")
    url = cluster.start()
    api_url = DevApi(cluster.directory).start(url)
    result = migrations.upgrade(url, config_path=STATE.config_path, progress=_say)
    _report_run(result)
    seeded = seed(url)
    _say("demo data loaded" if seeded.created else "demo data already there")
    _say(f"API serving at {api_url}/rest/v1")
    dev_status()


@dev_app.command("stop")
def dev_stop() -> None:
    """Stop the development database and its API (the data stays)."""
    cluster = DevCluster()
    DevApi(cluster.directory).stop()
    _say("stopped" if cluster.stop() else "the development database was not running")


@dev_app.command("url")
def dev_url() -> None:
    """Print the development database's URL (for DATABASE_URL=$(zora-db dev url))."""
    out.print(DevCluster().url())


@dev_app.command("status")
def dev_status() -> None:
    """Show whether it runs, and its revision, tables and realtime publication."""
    status = DevCluster().status()
    if not status.initialised:
        out.print(f"not created ({status.directory}); run `zora-db dev start`")
        raise typer.Exit(NOT_RUNNING)
    out.print(f"directory:   {status.directory}")
    out.print(f"url:         {redact(status.url or '')}")
    if not status.running:
        out.print("state:       stopped (run `zora-db dev start`)")
        raise typer.Exit(NOT_RUNNING)
    out.print("state:       running")
    summary = summarize(status.url or "")
    out.print(f"revision:    {_revs(summary.revision)}")
    out.print(f"tables:      {len(summary.tables)} in public: {', '.join(summary.tables) or '-'}")
    members = ", ".join(summary.publication) or "(empty)"
    out.print(f"publication: supabase_realtime: {members}")
    api = DevApi(status.directory).status()
    out.print(
        f"api:         {api.url}" + ("" if api.running else " (not running: zora-db dev start)")
    )
    out.print(f"anon key:    {api.keys.anon}")
    out.print(f"service key: {api.keys.service_role}")
    out.print(f"use:         createClient('{api.url}', '<anon key>')")


@dev_app.command("token")
def dev_token(
    who: Annotated[
        str,
        typer.Option(
            "--as", help="The user (auth.users.id) to sign a token for.", show_default=False
        ),
    ],
) -> None:
    """Print a signed-in user's access token for the development API (24 h).

    Try a call by hand: curl -H "apikey: $ANON" -H "Authorization: Bearer $(zora-db dev
    token --as <uuid>)" http://127.0.0.1:54321/rest/v1/orders
    """
    from zora_db.realtime.listen import claims_for

    claims = claims_for(who)
    if "sub" not in claims:
        raise ConfigError(f"--as {who!r} is not a user", hint="pass a user's uuid (auth.users.id)")
    out.print(DevApi(DevCluster().directory).keys.user(claims["sub"]))


@dev_app.command("reset")
def dev_reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the development database and create it afresh (all its data is lost)."""
    cluster = DevCluster()
    _confirm(f"delete everything in {cluster.directory}", "Its data cannot be recovered.", yes)
    url = cluster.reset()
    _say(f"development database recreated: {redact(url)}")


def _confirm(action: str, warning: str, yes: bool) -> None:
    """Ask before something destructive; refuse without a terminal unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfigError(f"refusing to {action} without confirmation", hint="pass --yes")
    if not typer.confirm(f"{action}? {warning}", default=False):
        raise ConfigError(f"did not {action}: not confirmed", hint="nothing was changed")


# --------------------------------------------------------------------------- entry point


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so context managers (throwaway clusters,
    # transactions) clean up as they do on Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and as a script exits with) the exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    args = _global_flags_first(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, standalone_mode=False)
        code = result if isinstance(result, int) else 0
        if code == 130:  # Typer returns Ctrl-C as this code, having said nothing
            _interrupted()
    except ZoraDbError as exc:
        code = _user_error(exc)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.BadParameter as exc:  # a bad value is configuration (3), like our own checks
        name = exc.param.opts[0] if exc.param and exc.param.opts else "a value"
        message = exc.message.removeprefix("Value error, ").rstrip(".")
        err.print(f"[bold red]error:[/] invalid {escape(name)}: {escape(message)}; see --help")
        code = ConfigError.exit_code
    except typer.TyperException as exc:  # usage errors: Typer prints them as Click did
        exc.show()  # type: ignore[attr-defined]
        code = getattr(exc, "exit_code", 2)
    except (KeyboardInterrupt, typer.Abort):
        code = _interrupted()
    except Exception as exc:
        user = from_database(exc)
        if user is not None:
            code = _user_error(user)
        else:
            if STATE.verbose:
                traceback.print_exc()
            message = " ".join(str(exc).split())
            err.print(
                f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(message)} "
                "(rerun with -v for the traceback)"
            )
            code = 1
    if argv is None:
        sys.exit(code)
    return code


def _interrupted() -> int:
    err.print("interrupted: stopped before finishing (a migration is applied whole or not at all)")
    return 130


def _user_error(exc: ZoraDbError) -> int:
    if STATE.verbose:
        traceback.print_exc()
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return exc.exit_code


def _global_flags_first(args: list[str]) -> list[str]:
    """``-v`` works anywhere on the line (``zora-db upgrade -v``), as users type it."""
    end = args.index("--") if "--" in args else len(args)
    verbose = [a for a in args[:end] if a in ("-v", "--verbose")]
    return verbose[:1] + [a for a in args[:end] if a not in verbose] + args[end:]
