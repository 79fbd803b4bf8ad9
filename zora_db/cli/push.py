"""Push delivery: run the worker, see the outbox, send dead rows again."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated

import typer

from zora_db.cli.base import DatabaseUrl, Json, out, push_app, say, url_of


@push_app.command("run")
def push_run(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, read due receipts, then exit.")
    ] = False,
    lease: Annotated[
        int,
        typer.Option(
            min=1, max=3600, help="Seconds a claimed row is this worker's; a dead one's come back."
        ),
    ] = 60,
    rate: Annotated[
        float,
        typer.Option(
            min=1,
            max=600,
            help="Messages a second this worker sends at most (Expo allows 600 a project: "
            "with N workers, give each 600/N).",
        ),
    ] = 600,
    database_url: DatabaseUrl = None,
) -> None:
    """Send the push outbox to Expo until stopped (Ctrl-C or SIGTERM finish the batch first).

    Wakes on the outbox's NOTIFY, and polls every second behind it. At most
    100 messages a request, 600 a second, gzip; EXPO_ACCESS_TOKEN when set
    (Enhanced Push Security), ZORA_EXPO_PUSH_URL to send elsewhere (a test
    server). Network errors, 429 and 5xx are retried with backoff (8 attempts,
    then dead); DeviceNotRegistered deactivates the token; refused credentials
    stop the worker with exit 3, nothing lost. Run several: rows are leased.
    """
    from datetime import timedelta

    from zora_db.push.worker import WorkerSettings, run

    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        if not stop.is_set():
            say("stopping after the batch in flight")
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        settings = WorkerSettings(lease=timedelta(seconds=lease), max_rate=rate)
        stats = run(url_of(database_url), once=once, settings=settings, stop=stop, say=say)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    say(f"stopped: {stats.requests} request(s) to Expo; {json.dumps(stats.counts)}")


@push_app.command("status")
def push_status(database_url: DatabaseUrl = None, json_output: Json = False) -> None:
    """Print the outbox: rows by state, the oldest pending row's age, attempts."""
    from zora_db.db import connect
    from zora_db.push import outbox

    with connect(url_of(database_url)) as conn:
        report = outbox.status(conn)
    if json_output:
        out.print_json(data=report)
        return
    for state, count in report["states"].items():
        out.print(f"{state:<12} {count}")
    oldest = report["oldest_pending_s"]
    out.print(f"oldest pending: {'none' if oldest is None else f'{oldest} s'}")
    out.print(f"retrying: {report['retrying']} (most attempts {report['most_attempts']})")


@push_app.command("requeue")
def push_requeue(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Outbox row ids (default: every dead row).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Send dead rows again, from a fresh attempt count (after fixing what killed them)."""
    from zora_db.db import connect
    from zora_db.push import outbox

    with connect(url_of(database_url)) as conn:
        requeued = outbox.requeue_dead(conn, ids or None)
    say(f"{requeued} dead row(s) pending again")
