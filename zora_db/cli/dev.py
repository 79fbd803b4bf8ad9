"""``zora-db dev``: the local development database and its API."""

from __future__ import annotations

from typing import Annotated

import typer

from zora_db.cli.base import STATE, Yes, confirm, dev_app, out, revisions, say
from zora_db.errors import NOT_RUNNING, ConfigError


@dev_app.command("start")
def dev_start() -> None:
    """Start the development database, creating it (with the Supabase layer) on first use."""
    from zora_db.api.dev import DevApi
    from zora_db.devdb import DevCluster
    from zora_db.urls import redact

    cluster = DevCluster()
    first = not cluster.initialised
    if first:
        say(f"creating the development database in {cluster.directory}")
    url = cluster.start()
    say(f"development database running: {redact(url)}")
    api_url = DevApi(cluster.directory).start(url, cluster.superuser_url())
    say(f"API serving it at {api_url}: /rest/v1 and /realtime/v1; keys: `zora-db dev status`")
    say('next: zora-db --database-url "$(zora-db dev url)" upgrade')


@dev_app.command("up")
def dev_up() -> None:
    """Everything `make demo` does, in one go: start (database and API), migrate to head, seed.

    Idempotent: run it again any time. Ends with `zora-db dev status` (URL and keys).
    """
    from zora_db import migrations
    from zora_db.api.dev import DevApi
    from zora_db.cli.migrate import report_run
    from zora_db.devdb import DevCluster
    from zora_db.seed import seed

    cluster = DevCluster()
    if not cluster.initialised:
        say(f"creating the development database in {cluster.directory}")
    url = cluster.start()
    api_url = DevApi(cluster.directory).start(url, cluster.superuser_url())
    result = migrations.upgrade(url, config_path=STATE.config_path, say=say)
    report_run(result)
    seeded = seed(url)
    say("demo data loaded" if seeded.created else "demo data already there")
    say(f"API serving at {api_url}/rest/v1")
    dev_status()


@dev_app.command("stop")
def dev_stop() -> None:
    """Stop the development database and its API (the data stays)."""
    from zora_db.api.dev import DevApi
    from zora_db.devdb import DevCluster

    cluster = DevCluster()
    DevApi(cluster.directory).stop()
    say("stopped" if cluster.stop() else "the development database was not running")


@dev_app.command("url")
def dev_url() -> None:
    """Print the development database's URL (for DATABASE_URL=$(zora-db dev url))."""
    from zora_db.devdb import DevCluster

    out.print(DevCluster().url())


@dev_app.command("status")
def dev_status() -> None:
    """Show whether it runs, and its revision, tables and realtime publication."""
    from zora_db.api.dev import DevApi
    from zora_db.devdb import DevCluster
    from zora_db.summary import summarize
    from zora_db.urls import redact

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
    out.print(f"revision:    {revisions(summary.revision)}")
    out.print(f"tables:      {len(summary.tables)} in public: {', '.join(summary.tables) or '-'}")
    members = ", ".join(summary.publication) or "(empty)"
    out.print(f"publication: supabase_realtime: {members}")
    api = DevApi(status.directory).status()
    out.print(
        f"api:         {api.url}" + ("" if api.running else " (not running: zora-db dev start)")
    )
    out.print(f"rest:        {api.url}/rest/v1")
    out.print(f"realtime:    {api.realtime_url}/websocket")
    out.print(f"anon key:    {api.keys.anon}")
    out.print(f"service key: {api.keys.service_role}")
    out.print(f"use:         createClient('{api.url}', anonKey): REST and Realtime")


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
    from zora_db.api.dev import DevApi
    from zora_db.devdb import DevCluster
    from zora_db.realtime.listen import claims_named

    claims = claims_named(who)
    if "sub" not in claims:
        raise ConfigError(f"--as {who!r} is not a user", hint="pass a user's uuid (auth.users.id)")
    out.print(DevApi(DevCluster().directory).keys.user(claims["sub"]))


@dev_app.command("reset")
def dev_reset(
    yes: Yes = False,
) -> None:
    """Delete the development database and create it afresh (all its data is lost)."""
    from zora_db.api.dev import DevApi
    from zora_db.devdb import DevCluster
    from zora_db.urls import redact

    cluster = DevCluster()
    confirm(f"delete everything in {cluster.directory}", "Its data cannot be recovered.", yes)
    # The API's process ids live in the folder about to go: stop it first, or
    # PostgREST and the API server run on, orphaned, holding their port.
    DevApi(cluster.directory).stop()
    url = cluster.reset()
    say(f"development database recreated: {redact(url)}")
