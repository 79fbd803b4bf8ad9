"""Commands that judge a schema or a database: lint, check, safety, verify, listen."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from zora_db.cli.base import (
    STATE,
    DatabaseUrl,
    Json,
    Schemas,
    app,
    database_for,
    err,
    out,
    say,
    target_of,
    url_of,
)
from zora_db.errors import BEHIND, CHECK_FAILED, ConfigError
from zora_db.lint import Level

if TYPE_CHECKING:
    from zora_db.drift import Difference
    from zora_db.lint import Finding
    from zora_db.verify import Report

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
    list_lints: Annotated[
        bool,
        typer.Option("--list", help="Print every lint (name, level, category, what it finds)."),
    ] = False,
) -> None:
    """Check the schema for Supabase's security and performance mistakes, and ours.

    Supabase's advisor checks (row level security, search_path, views, auth.users,
    indexes and more) and the ones the apps' contract needs (realtime tables,
    replica identity): `--list` prints every one from the registry. Without a
    database URL it lints a throwaway database migrated to head. Exit code 10
    when a finding at --fail-on (default warn) or above is not in the
    allow-list; on a terminal a table, otherwise one finding per line.
    """
    from zora_db.catalog import introspect
    from zora_db.lint import LINTS, judge, load_allow_list
    from zora_db.migrations import beside_migrations

    if list_lints:
        for declared in LINTS:
            out.print(
                f"{declared.name} ({declared.level}, {declared.category}): "
                f"{escape(declared.description)}",
                soft_wrap=True,
                highlight=False,
            )
        return

    path = allow_list or beside_migrations("lint.toml", STATE.config_path)
    allowed = load_allow_list(path, required=allow_list is not None)
    with database_for(database_url) as url:
        verdict = judge(introspect(url, tuple(schema) if schema else None), allowed, fail_on)
    for lint, obj in verdict.stale:
        say(f"note: {path} allows {lint} on {obj}, which has no such finding: remove the entry")
    if json_output:
        out.print_json(data=verdict.to_json())
    else:
        _render_findings(verdict.findings)
    if verdict.failed:
        say(
            f"{len(verdict.failed)} finding(s) at {fail_on} or above are not in the "
            f"allow-list ({path})"
        )
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
    database migrated to the same revision on the same PostgreSQL major (made
    beside the target when its role may create databases, else on a
    throwaway of that major; another major is refused, exit 8). Exit codes: 0 at head
    without drift, 10 drift, 11 behind head (run `zora-db upgrade`), 5 at a
    revision this checkout does not know. Read-only: it changes nothing.
    """
    from zora_db.check import check

    result = check(url_of(database_url), config_path=STATE.config_path, say=say)
    status = result.status
    if json_output:
        out.print_json(data=result.to_json())
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
        say(f"the database is {status.state}: run `zora-db upgrade`")
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
    from zora_db import safety

    findings = safety.lint(revisions, config_path=STATE.config_path)
    for revision, rule in safety.stale_reviews(findings, revisions, config_path=STATE.config_path):
        say(
            f"note: alembic/safety.toml allows {rule} in {revision}, which has no such "
            "finding: remove the entry"
        )
    new = [f for f in findings if f.allowed is None]
    if json_output:
        out.print_json(data={"findings": [f.to_json() for f in findings]})
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


@app.command("verify")
def verify_command(database_url: DatabaseUrl = None, json_output: Json = False) -> None:
    """Prove the schema on a real database: access matrix, embeds, attacks, triggers, realtime.

    Realtime plays the apps' subscriptions (the contract) through the seed plan's
    scenarios with Supabase Realtime's delivery rules: every event an app handles
    must arrive with the committed values, and nobody may receive a row they
    cannot read. Keys of deleted rows sent to others are listed as warnings.

    Creates a temporary database, migrates it to head, loads the demo data set,
    runs every check (each rolled back) and drops it. With a database URL the
    temporary database is made on that server (its role needs CREATEDB, and
    REPLICATION for the realtime check: Supabase's `postgres` has both), gets
    the compatibility layer, and is dropped; existing databases are never
    touched. Without one, on a throwaway server. Exit code 10 when any check fails.
    """
    from zora_db.throwaway.databases import throwaway_database
    from zora_db.verify import verify

    server = target_of(database_url)
    with throwaway_database(server, seeded=True, config_path=STATE.config_path, say=say) as url:
        report = verify(url, say=say)
    if json_output:
        out.print_json(data=report.to_json())
    else:
        _render_report(report)
    if not report.passed:
        raise typer.Exit(CHECK_FAILED)


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
    from zora_db.realtime.listen import claims_named, listen

    claims = claims_named(who)
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
        say(f"listening ({stream.plugin}) to {what}; Ctrl-C to stop")

    try:
        listen(
            url_of(database_url), claims, _render_delivery,
            table=table, filter_=filter_ or "", event=event, on_ready=ready, plugin=decoder,
        )  # fmt: skip
    except KeyboardInterrupt:
        say("stopped; the temporary replication slot is gone")


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


@app.command("sync")
def sync_command(
    who: Annotated[
        str,
        typer.Option(
            "--as",
            help="Whose catch-up: a user id (auth.users.id), anon or service_role.",
            show_default=False,
        ),
    ],
    table: Annotated[
        str, typer.Option(help="A table of supabase_realtime, e.g. orders.", show_default=False)
    ],
    filter_: Annotated[
        str | None,
        typer.Option(
            "--filter", help="Realtime's filter, e.g. user_id=eq.<uuid>.", show_default=False
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        typer.Option(help="Resume from this cursor (default: start).", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Changes per page.")] = 1000,
    every_page: Annotated[
        bool, typer.Option("--all", help="Follow `more` to the end, printing every page.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Print what one user's catch-up (public.sync_changes) returns for a subscription.

    The same call an app makes through /rest/v1/rpc/sync_changes after a gap:
    as that user, under row level security. A readable summary on a terminal
    (each change, the cursor to resume from, whether there is more, what
    holds it back), one JSON object per page otherwise. Exit 3 for a table
    outside the publication, a filter or a cursor the function refuses.

    Example: zora-db sync --as 650e7994-86cc-5a56-bbfc-26260d184024 --table orders
    --filter user_id=eq.650e7994-86cc-5a56-bbfc-26260d184024
    """
    from zora_db.catchup import sync_as
    from zora_db.realtime.listen import claims_named

    claims = claims_named(who)
    pages = sync_as(
        url_of(database_url), claims, table, filter_ or "", cursor,
        limit=limit, every_page=every_page,
    )  # fmt: skip
    for page in pages:
        if not out.is_terminal:
            print(json.dumps(page), flush=True)
            continue
        for change in page["changes"]:
            out.print(f"{change['op']:<6} {change['id']}  version {change['version']}")
        if page["reset"]:
            out.print("[yellow]reset[/]: drop what this subscription holds and start again")
            continue
        held = page.get("held_back")
        out.print(
            f"{len(page['changes'])} change(s); cursor {page['cursor']}"
            + ("; more: call again" if page["more"] else "; up to date")
            + (
                f"; held back by {held['transactions']} open write transaction(s), "
                f"the oldest open {held['oldest_open_s']} s"
                if held
                else ""
            )
        )
