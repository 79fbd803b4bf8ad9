"""Commands that write committed files from the schema: sql/, Supabase migrations, types.

All three write through :func:`zora_db.files.sync` and take ``--check`` (CI:
nothing written, exit 10 with the difference when a file is stale).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from zora_db.cli.base import STATE, CheckOnly, DatabaseUrl, app, database_for, export_app, out, say
from zora_db.cli.migrate import SqlDir
from zora_db.contract import POSTGREST_VERSION
from zora_db.errors import CHECK_FAILED

if TYPE_CHECKING:
    from zora_db.files import Synced


def report_synced(synced: Synced, *, check: bool, remedy: str) -> None:
    """What was written, or (checking) the difference and exit 10 when anything is stale."""
    verbs = ("would update", "would remove") if check else ("wrote", "removed")
    for name in synced.updated:
        say(f"{verbs[0]} {synced.root / name}")
    for name in synced.removed:
        say(f"{verbs[1]} {synced.root / name}")
    if check:
        if synced:
            out.print(escape(synced.diff), end="")
            say(f"out of date: {len(synced.updated) + len(synced.removed)} file(s); {remedy}")
            raise typer.Exit(CHECK_FAILED)
        say(f"up to date: {len(synced.unchanged)} file(s) in {synced.root}")
        return
    removed = f", {len(synced.removed)} removed" if synced.removed else ""
    out.print(
        f"{len(synced.updated)} written, {len(synced.unchanged)} unchanged{removed} "
        f"in {escape(str(synced.root))}"
    )


@app.command("dump-sql")
def dump_sql_command(
    database_url: DatabaseUrl = None, sql_dir: SqlDir = Path("sql"), check: CheckOnly = False
) -> None:
    """Write sql/ from a database at head: one file per function, view, grant, policy, trigger.

    Without a database URL, from a throwaway database migrated to head: after
    a hand-written migration, this brings sql/ up to date (make test fails
    while it is stale). A database at another revision is refused (exit 5).
    Files of objects that no longer exist are removed.
    """
    from zora_db import definitions

    with database_for(database_url) as url:
        files = definitions.dump(url, config_path=STATE.config_path)
    synced = definitions.write(files, sql_dir, check=check)
    report_synced(synced, check=check, remedy="run `zora-db dump-sql` and commit the result")


@export_app.command("supabase")
def export_supabase_command(
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory of the Supabase CLI's migrations."),
    ] = Path("supabase/migrations"),
    check: CheckOnly = False,
) -> None:
    """Write every revision as a Supabase CLI migration (`supabase db push`).

    One <timestamp>_<revision>_<name>.sql per revision, oldest first, each the
    offline SQL of that step. Timestamps follow the history, not the clock, so
    exporting again writes the same bytes. The files keep alembic_version
    current: zora-db still knows the revision of a database they migrated.
    Needs no database.
    """
    from zora_db import export

    files = export.supabase_migrations(config_path=STATE.config_path)
    synced = export.write(files, out_dir, check=check)
    report_synced(synced, check=check, remedy="run `zora-db export supabase` and commit the result")


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
    check: CheckOnly = False,
) -> None:
    """Write Pydantic models, TypedDicts and TypeScript types from the live schema.

    Per table a Row, Insert and Update shape, views, enums, composite types
    and function arguments; TypeScript in the shape of Supabase's generator
    (`createClient<Database>()`). Reads the database the URL resolution names,
    or without one a throwaway database migrated to head. Output is sorted and
    has no timestamps: the same schema gives the same bytes, which `--check`
    compares (CI runs it so committed types never go stale).
    """
    from zora_db.typegen import DEFAULT_SCHEMAS, LANGUAGES, Options, target_paths, write_types

    options = Options(
        tuple(schema) if schema else DEFAULT_SCHEMAS,
        None if postgrest_version == "none" else postgrest_version,
    )
    targets = target_paths(LANGUAGES if lang is Lang.all else [lang.value], out_path)
    with database_for(database_url) as url:
        written = write_types(url, targets, options, check=check)
    for note in written.notes:
        say(f"note: {note}")
    remedy = "run `zora-db gen-types` and commit the result"
    report_synced(written.synced, check=check, remedy=remedy)
