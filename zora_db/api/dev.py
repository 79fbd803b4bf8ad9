"""The development API: PostgREST and the project URL's server in front of the dev database.

``zora-db dev start`` runs both in the background on 127.0.0.1, like
``supabase start`` serves ``http://127.0.0.1:54321``: the apps'
``createClient(url, anonKey)`` gets REST (``/rest/v1``) and Realtime
(``/realtime/v1``) from it as from Supabase. The JWT secret and
authenticator's password are generated once and kept in
``.zora/dev/api.json`` with the ports and process ids.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from zora_db.api.postgrest import PostgrestServer, answers
from zora_db.api.process import ApiProcess
from zora_db.db import connect
from zora_db.errors import BackendUnavailable
from zora_db.ports import free_port, port_free
from zora_db.processes import end
from zora_db.tokens import ApiKeys, new_secret
from zora_db.urls import with_params

DEFAULT_API_PORT = 54321  # the port `supabase start` serves its API on


@dataclass(frozen=True)
class DevApiStatus:
    running: bool
    url: str
    keys: ApiKeys

    @property
    def realtime_url(self) -> str:
        """What supabase-js connects to: the project URL's ``/realtime/v1``, as a websocket."""
        return self.url.replace("http://", "ws://", 1) + "/realtime/v1"


class DevApi:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._state_path = directory / "api.json"

    def _state(self) -> dict[str, object]:
        if self._state_path.is_file():
            state: dict[str, object] = json.loads(self._state_path.read_text())
            return state
        port = int(os.environ.get("ZORA_DEV_API_PORT", DEFAULT_API_PORT))
        state = {
            "jwt_secret": new_secret(),
            "authenticator_password": secrets.token_urlsafe(18),
            "port": port if port_free(port) else free_port(),
        }
        self._save(state)
        return state

    def _save(self, state: dict[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._state_path.write_text(json.dumps(state, indent=2))
        self._state_path.chmod(0o600)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._state()['port']}"

    @property
    def keys(self) -> ApiKeys:
        return ApiKeys(str(self._state()["jwt_secret"]))

    def status(self) -> DevApiStatus:
        return DevApiStatus(self._answers(), self.url, self.keys)

    def start(self, db_url: str, superuser_url: str) -> str:
        """Serve ``db_url``'s database (idempotent); returns the project URL.

        ``superuser_url`` sets authenticator's password (a role the database's
        owner may not alter, as on Supabase). Realtime connects as ``db_url``'s
        role, the owner: it has REPLICATION and may act as the API roles.
        """
        if self._answers():
            return self.url
        self.stop()
        state = self._state()
        password = str(state["authenticator_password"])
        with connect(superuser_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter role authenticator password {}").format(sql.Literal(password))
            )
        as_authenticator = with_params(db_url, user="authenticator", password=password)
        log = self.directory / "api.log"
        postgrest = PostgrestServer(as_authenticator, str(state["jwt_secret"]))
        postgrest.start(detached=True, log=log)
        assert postgrest.process is not None
        state |= {"postgrest_pid": postgrest.process.pid}
        self._save(state)
        server = ApiProcess(
            int(str(state["port"])), postgrest.url, db_url, str(state["jwt_secret"]), log=log
        )
        try:
            server.start()
        except BackendUnavailable as exc:
            self.stop()
            raise BackendUnavailable(
                str(exc), hint=f"see {log}; ZORA_DEV_API_PORT picks another port"
            ) from None
        assert server.process is not None
        state |= {"server_pid": server.process.pid}
        self._save(state)
        return self.url

    def stop(self) -> bool:
        """Stop the project URL's server and PostgREST, and wait until they have exited.

        Found by the process ids ``start`` recorded, never by name; False if
        neither was running.
        """
        if not self._state_path.is_file():
            return False
        state = json.loads(self._state_path.read_text())
        stopped = False
        for key in ("server_pid", "gateway_pid", "postgrest_pid"):  # gateway_pid: older stacks
            pid = state.pop(key, None)
            if pid and end(int(pid)):
                stopped = True
        self._save(state)
        return stopped

    def _answers(self) -> bool:
        return self._state_path.is_file() and answers(self.url + "/rest/v1/")
