"""Recovery after a cut: supabase-js reconnects and rejoins on its own, the app catches up.

The server side goes away (the project URL's server stops, as a dev stack
restart stops it), writes land meanwhile, the server comes back: the
customer's app (``tests/api/recovery.mjs``) must end with exactly what the API
lists, through Realtime's rejoin and ``sync_changes`` from its last cursor.
Realtime itself keeps nothing for a socket that is gone, so what was written
in the gap reaches the app only through catch-up. The time it takes is
measured by ``make bench``, not judged here.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT, query
from tests.test_api import Api, authenticator, node_modules, serve_api  # noqa: F401
from zora_db.seed import seed_id

SCRIPT = PROJECT_ROOT / "tests" / "api" / "recovery.mjs"
ALICE = seed_id("user:alice")


@pytest.fixture
def api(seeded_db_url: str, authenticator: str, node_modules: Path) -> Iterator[Api]:  # noqa: F811
    with serve_api(seeded_db_url, authenticator) as served:
        yield served


def line(app: subprocess.Popen[str]) -> dict[str, Any]:
    assert app.stdout is not None
    text = app.stdout.readline()
    assert text, f"the app ended: {app.wait()} {app.stderr.read() if app.stderr else ''}"
    found: dict[str, Any] = json.loads(text)
    return found


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
def test_the_app_converges_after_the_server_comes_back(api: Api, vsn: str, tmp_path: Path) -> None:
    environment = {**os.environ, "ZORA_API": json.dumps(api.environment(tmp_path, vsn))}
    with subprocess.Popen(
        ["node", str(SCRIPT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment, cwd=SCRIPT.parent,
    ) as app:  # fmt: skip
        try:
            ready = line(app)
            assert ready.get("ready", 0) >= 1, ready
            api.server.stop()
            query(
                api.db_url,
                "update public.orders set notes = 'written while the app was away' "
                "where user_id = %s",
                [ALICE],
            )
            api.server.start()
            done = line(app)
        finally:
            app.kill()
    assert "converged" in done, done
    rows = query(api.db_url, "select id::text, version, notes from public.orders "
                             "where user_id = %s", [ALICE])  # fmt: skip
    assert done["held"] == {id_: [version, notes] for id_, version, notes in rows}
    assert {notes for _, _, notes in rows} == {"written while the app was away"}
