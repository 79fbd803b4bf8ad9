"""Push delivery: the outbox the database fills, and the worker, against Expo's contract."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests import test_api
from tests.cli import run_cli, spawn_cli
from tests.conftest import acting_as, query, scalar
from tests.fake_expo import FakeExpo, FakeExpoServer
from tests.waiting import until
from zora_db.errors import ConfigError
from zora_db.push import outbox
from zora_db.push.expo import ExpoClient
from zora_db.push.worker import WorkerSettings, run
from zora_db.throwaway import LocalCluster
from zora_db.throwaway.binaries import find_binaries
from zora_db.verify.actors import ALICE, BOB

PHONES = ("ExponentPushToken[alice-phone]", "ExponentPushToken[alice-tablet]")
OLD_PHONE = "ExponentPushToken[alice-old]"
NOW = WorkerSettings(receipt_delay=timedelta(0), poll_s=0.05)


@pytest.fixture
def devices(seeded_db_url: str) -> str:
    """Alice has two active devices and one deactivated; nothing queued yet."""
    query(seeded_db_url, "delete from private.push_outbox")  # the demo data's own
    query(seeded_db_url, "delete from public.device_tokens")
    for token in (*PHONES, OLD_PHONE):
        query(seeded_db_url, "insert into public.device_tokens (user_id, token, platform) "
              "values (%s, %s, 'ios')", [ALICE.uid, token])  # fmt: skip
    query(seeded_db_url, "update public.device_tokens set is_active = false where token = %s",
          [OLD_PHONE])  # fmt: skip
    return seeded_db_url


# PostgREST, as the API tests serve it, in front of the same database.
authenticator = test_api.authenticator
node_modules = test_api.node_modules


@pytest.fixture
def api(devices: str, authenticator: str, node_modules: object) -> Iterator[test_api.Api]:
    with test_api.serve_api(devices, authenticator) as served:
        yield served


@pytest.fixture
def expo() -> Iterator[FakeExpoServer]:
    with FakeExpoServer() as server:
        yield server


def notify(url: str, count: int = 1, user: object = ALICE.uid) -> list[str]:
    rows = query(url, "insert into public.notifications (user_id, type, title, description) "
                 "select %s, 'order_status', 'Order ' || g, 'on its way' "
                 "from generate_series(1, %s) g returning id::text", [user, count])  # fmt: skip
    return [str(r[0]) for r in rows]


def states(url: str) -> dict[str, int]:
    return dict(query(url, "select state, count(*) from private.push_outbox group by state"))


def work(url: str, server: FakeExpoServer, settings: WorkerSettings = NOW, **kw: Any) -> Any:
    client = ExpoClient(server.url, kw.pop("token", None), timeout_s=kw.pop("timeout_s", 5.0))
    return run(url, client, once=True, settings=settings)


# ------------------------------------------------------------------ the outbox


def test_a_notification_queues_one_row_per_active_device(devices: str) -> None:
    (nid,) = notify(devices)
    rows = query(devices, "select token, state from private.push_outbox where "
                 "notification_id = %s order by token", [nid])  # fmt: skip
    assert rows == [(PHONES[0], "pending"), (PHONES[1], "pending")]


def test_a_rolled_back_notification_queues_nothing(devices: str) -> None:
    with psycopg.connect(devices) as conn:
        conn.execute("insert into public.notifications (user_id, type, title) "
                     "values (%s, 'system', 'x')", [ALICE.uid])  # fmt: skip
        conn.rollback()
    assert states(devices) == {}


def test_the_worker_is_woken_by_a_notify(devices: str) -> None:
    with psycopg.connect(devices, autocommit=True) as listener:
        listener.execute("listen zora_push")
        notify(devices)
        woke = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in woke] == ["zora_push"]


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_the_outbox_is_out_of_reach_of_the_api(devices: str, role: str) -> None:
    notify(devices)
    with (
        acting_as(devices, ALICE.uid, role=role) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select * from private.push_outbox")


def test_registering_a_token_again_reactivates_it(devices: str) -> None:
    with acting_as(devices, ALICE.uid) as conn:  # what the app's upsert does
        conn.execute("insert into public.device_tokens (user_id, token, platform) values "
                     "(%s, %s, 'ios') on conflict (token) do update set last_seen_at = now()",
                     [ALICE.uid, OLD_PHONE])  # fmt: skip
    assert scalar(devices, "select is_active from public.device_tokens where token = %s",
                  [OLD_PHONE]) is True  # fmt: skip


def test_the_api_cannot_reactivate_or_deactivate_by_itself(devices: str) -> None:
    with acting_as(devices, ALICE.uid) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("update public.device_tokens set is_active = false")


# ------------------------------------------------------------------ sending


def test_each_active_device_gets_the_message_once(devices: str, expo: FakeExpoServer) -> None:
    (nid,) = notify(devices)
    stats = work(devices, expo)
    assert expo.fake.deliveries() == {(nid, PHONES[0]): 1, (nid, PHONES[1]): 1}
    message = expo.fake.messages[0]
    assert message["collapseId"] == nid and message["data"]["notificationId"] == nid
    assert message["title"] == "Order 1" and message["body"] == "on its way"
    assert states(devices) == {"delivered": 2}  # tickets, then receipts (no delay here)
    assert stats.counts["sent"] == 2 and stats.counts["receipt delivered"] == 2


def test_requests_are_gzipped_batches_of_100_with_the_token(devices: str) -> None:
    with FakeExpoServer(FakeExpo(access_token="expo-secret")) as server:
        notify(devices, 125)  # 250 messages
        work(devices, server, token="expo-secret")
        assert server.fake.send_requests == [100, 100, 50]
        assert all(h["content-encoding"] == "gzip" for h in server.fake.headers)
        assert all(h["authorization"] == "Bearer expo-secret" for h in server.fake.headers)
    assert states(devices) == {"delivered": 250}


def test_refused_credentials_stop_the_worker_and_lose_nothing(devices: str) -> None:
    with FakeExpoServer(FakeExpo(access_token="expo-secret")) as server:
        notify(devices)
        with pytest.raises(ConfigError, match="EXPO_ACCESS_TOKEN"):
            work(devices, server, token="wrong")
        assert server.fake.messages == []
    assert query(devices, "select state, attempts from private.push_outbox") == [
        ("pending", 0),
        ("pending", 0),
    ]


@pytest.mark.parametrize("reply", [429, 500, 503, "short", "slow"])
def test_a_transient_failure_is_retried_later(
    devices: str, expo: FakeExpoServer, reply: object
) -> None:
    notify(devices)
    expo.fake.replies.append(reply)
    expo.fake.slow_s = 2.0
    work(devices, expo, timeout_s=0.5)
    row = query(devices, "select distinct state, attempts, not_before > now(), last_error "
                "from private.push_outbox")  # fmt: skip
    assert len(row) == 1
    state, attempts, later, error = row[0]
    assert (state, attempts, later) == ("pending", 1, True), row
    assert error  # it says why


def test_an_unreachable_expo_is_transient(devices: str) -> None:
    notify(devices)
    client = ExpoClient("http://127.0.0.1:9/--/api/v2", timeout_s=1)  # nothing listens there
    run(devices, client, once=True, settings=NOW)
    assert states(devices) == {"pending": 2}
    assert "could not reach Expo" in str(scalar(devices, "select max(last_error) from "
                                                "private.push_outbox"))  # fmt: skip


def test_after_the_last_attempt_a_row_is_dead(devices: str, expo: FakeExpoServer) -> None:
    notify(devices)
    query(devices, "update private.push_outbox set attempts = %s", [outbox.MAX_ATTEMPTS - 1])
    expo.fake.replies.append(500)
    work(devices, expo)
    assert states(devices) == {"dead": 2}
    assert "after 8 attempts" in str(scalar(devices, "select max(last_error) from "
                                            "private.push_outbox"))  # fmt: skip
    assert run_cli_status(devices)["states"]["dead"] == 2
    query(devices, "select private.push_requeue_dead()")
    work(devices, expo)
    assert states(devices) == {"delivered": 2}


def run_cli_status(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        return outbox.status(conn)


def test_a_gone_device_is_deactivated_and_a_big_message_dead(
    devices: str, expo: FakeExpoServer
) -> None:
    expo.fake.token_errors = {PHONES[0]: "DeviceNotRegistered", PHONES[1]: "MessageTooBig"}
    notify(devices)
    work(devices, expo)
    assert states(devices) == {"dead": 2}
    active = dict(query(devices, "select token, is_active from public.device_tokens"))
    assert active == {PHONES[0]: False, PHONES[1]: True, OLD_PHONE: False}
    notify(devices)  # the next notification skips the gone device
    assert query(devices, "select token from private.push_outbox where state = 'pending'") == [
        (PHONES[1],)
    ]


# ------------------------------------------------------------------ receipts


def test_a_receipt_saying_the_device_is_gone_deactivates_it(
    devices: str, expo: FakeExpoServer
) -> None:
    expo.fake.receipt_errors = {PHONES[1]: "DeviceNotRegistered"}
    notify(devices)
    work(devices, expo)
    assert dict(query(devices, "select token, state from private.push_outbox")) == {
        PHONES[0]: "delivered",
        PHONES[1]: "dead",
    }
    assert scalar(devices, "select is_active from public.device_tokens where token = %s",
                  [PHONES[1]]) is False  # fmt: skip


def test_a_missing_receipt_is_asked_again_then_unconfirmed(
    devices: str, expo: FakeExpoServer
) -> None:
    expo.fake.withhold_receipts = True
    notify(devices)
    work(devices, expo)
    assert states(devices) == {"sent": 2}  # asked, not there yet: asked again later
    query(devices, "update private.push_outbox set sent_at = now() - interval '25 hours',"
          " lease_until = null")  # fmt: skip
    work(devices, expo)
    assert states(devices) == {"unconfirmed": 2}
    assert len(expo.fake.receipt_requests) == 2


def test_receipts_wait_for_expos_delay(devices: str, expo: FakeExpoServer) -> None:
    notify(devices)
    work(devices, expo, settings=WorkerSettings(poll_s=0.05))  # the default: 15 minutes
    assert states(devices) == {"sent": 2} and expo.fake.receipt_requests == []


# ------------------------------------------------------------------ concurrency and crashes


def test_four_workers_send_each_of_1000_rows_once(devices: str, expo: FakeExpoServer) -> None:
    notify(devices, 500)  # 1 000 rows
    workers = [threading.Thread(target=work, args=(devices, expo)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    deliveries = expo.fake.deliveries()
    assert len(deliveries) == 1000 and set(deliveries.values()) == {1}
    assert states(devices) == {"delivered": 1000}


def test_a_worker_killed_mid_send_loses_nothing(devices: str, expo: FakeExpoServer) -> None:
    notify(devices, 3)
    expo.fake.replies.append("slow")
    expo.fake.slow_s = 3.0
    env = {"ZORA_EXPO_PUSH_URL": expo.url}
    victim = spawn_cli("-d", devices, "push", "run", "--lease", "2", env=env)
    until(lambda: states(devices).get("sending") == 6, "6 claimed, waiting on Expo")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(2.1)  # its lease runs out
    work(devices, expo)
    assert states(devices) == {"delivered": 6}
    assert len(expo.fake.deliveries()) == 6  # every message arrived (some, perhaps, twice)


def test_sigterm_finishes_the_batch_in_flight(devices: str, expo: FakeExpoServer) -> None:
    notify(devices, 2)
    expo.fake.replies.append("slow")
    expo.fake.slow_s = 1.5
    worker = spawn_cli("-d", devices, "push", "run", env={"ZORA_EXPO_PUSH_URL": expo.url})
    until(lambda: states(devices).get("sending") == 4, "4 claimed, waiting on Expo")
    # While Expo takes its time, the worker holds no transaction (nor its locks) open.
    assert scalar(devices, "select count(*) from pg_stat_activity where datname = "
                  "current_database() and state like 'idle in transaction%%'") == 0  # fmt: skip
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "stopping after the batch in flight" in err
    assert states(devices) == {"sent": 4}  # recorded before it left


def test_a_crash_of_postgresql_loses_no_pending_row() -> None:
    with LocalCluster(find_binaries()) as cluster:
        from zora_db import migrations
        from zora_db.compat import bootstrap
        from zora_db.seed import seed

        url = cluster.create_database("pushy")
        bootstrap(cluster.superuser_url("pushy"))
        migrations.upgrade(url)
        seed(url)
        query(url, "delete from private.push_outbox")
        query(url, "insert into public.device_tokens (user_id, token, platform) "
              "values (%s, %s, 'android')", [BOB.uid, PHONES[0]])  # fmt: skip
        with psycopg.connect(url) as conn:
            conn.execute("set synchronous_commit = on")  # as production commits
            conn.execute("insert into public.notifications (user_id, type, title) "
                         "values (%s, 'system', 'x')", [BOB.uid])  # fmt: skip
            conn.commit()
        queued = states(url)
        assert queued.get("pending", 0) >= 2  # bob's own phone and this one
        cluster.restart()  # immediate: no checkpoint, recovery from the WAL
        assert states(url) == queued


# ------------------------------------------------------------------ end to end, and the CLI


def test_a_status_change_through_the_api_reaches_every_device_once(
    devices: str, api: test_api.Api, expo: FakeExpoServer
) -> None:
    pending = query(
        devices,
        "select o.id, v.user_id from public.orders o join public.vendors v on v.id = o.vendor_id"
        " where o.user_id = %s and o.status = 'pending' limit 1",
        [ALICE.uid],
    )
    assert pending, "the demo data has a pending order of alice's"
    order, shop_owner = pending[0]
    request = urllib.request.Request(  # noqa: S310 - the local API
        f"{api.url}/rest/v1/orders?id=eq.{order}",
        data=json.dumps({"status": "confirmed"}).encode(),
        headers={
            "apikey": api.keys.anon,
            "authorization": f"Bearer {api.keys.user(shop_owner)}",
            "content-type": "application/json",
        },
        method="PATCH",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 204
    stop = threading.Event()
    worker = threading.Thread(target=run, args=(devices, ExpoClient(expo.url)),
                              kwargs={"settings": NOW, "stop": stop})  # fmt: skip
    worker.start()
    until(lambda: len(expo.fake.messages) >= 2, "both messages at Expo")
    stop.set()
    worker.join()
    nid = scalar(
        devices,
        "select id::text from public.notifications where user_id = %s "
        "and type = 'order_status' order by created_at desc limit 1",
        [ALICE.uid],
    )
    assert expo.fake.deliveries() == {(nid, PHONES[0]): 1, (nid, PHONES[1]): 1}


def test_cli_status_and_requeue(
    devices: str, expo: FakeExpoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    notify(devices)
    status = json.loads(run_cli(capsys, "-d", devices, "push", "status", "--json").out)
    assert status["states"]["pending"] == 2 and status["oldest_pending_s"] is not None
    query(devices, "update private.push_outbox set state = 'dead'")
    result = run_cli(capsys, "-d", devices, "push", "requeue")
    assert result.code == 0 and "2 dead row(s) pending again" in result.err
    env = {"ZORA_EXPO_PUSH_URL": expo.url}
    proc = spawn_cli("-d", devices, "push", "run", "--once", env=env)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert states(devices) == {"sent": 2}


def test_a_ticket_saying_invalid_credentials_stops_the_worker(
    devices: str, expo: FakeExpoServer
) -> None:
    expo.fake.token_errors = {PHONES[0]: "InvalidCredentials"}
    notify(devices)
    with pytest.raises(ConfigError, match="InvalidCredentials"):
        work(devices, expo)
    assert query(devices, "select distinct state, attempts from private.push_outbox") == [
        ("pending", 0)
    ]


def test_finished_rows_are_pruned_after_the_retention(devices: str, expo: FakeExpoServer) -> None:
    notify(devices, 2)
    work(devices, expo)
    notify(devices)  # pending: never pruned, however old
    query(devices, "update private.push_outbox set updated_at = now() - interval '8 days'")
    query(devices, "update private.push_outbox set updated_at = now() where id = "
          "(select min(id) from private.push_outbox where state = 'delivered')")  # fmt: skip
    assert scalar(devices, "select private.push_prune()") == 3  # 4 delivered, 1 of them recent
    assert states(devices) == {"delivered": 1, "pending": 2}


@pytest.mark.parametrize("option", [("--rate", "0"), ("--rate", "601"), ("--lease", "0")])
def test_cli_refuses_an_option_out_of_range(
    devices: str, capsys: pytest.CaptureFixture[str], option: tuple[str, str]
) -> None:
    result = run_cli(capsys, "-d", devices, "push", "run", "--once", *option)
    assert result.code == 3 and option[0] in result.err
    assert states(devices) == {}
