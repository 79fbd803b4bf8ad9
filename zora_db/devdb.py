"""The local development database: a persistent cluster under ``.zora/dev``.

Unlike a throwaway cluster it keeps its data and durability, survives the
command that started it (``pg_ctl`` daemonises it) and always listens on the
same port, so the URL stays the same between runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from zora_db.compat import bootstrap
from zora_db.db import connect
from zora_db.errors import BackendUnavailable, ConfigError
from zora_db.paths import STATE_DIR
from zora_db.ports import free_port, port_free
from zora_db.throwaway.binaries import find_binaries, server_user
from zora_db.throwaway.local import (
    OWNER,
    SUPERUSER,
    data_directory_template,
    make_owner_role,
)

DEFAULT_PORT = 54329
DATABASE = "zora"
MAX_SOCKET_DIR = 90
# Durability stays on: this cluster keeps a developer's data between runs.
DEV_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
}


@dataclass(frozen=True)
class DevStatus:
    running: bool
    initialised: bool
    directory: Path
    url: str | None


class DevCluster:
    """The persistent development cluster (``ZORA_DEV_DIR`` moves it)."""

    def __init__(self, directory: Path | None = None) -> None:
        env = os.environ.get("ZORA_DEV_DIR")
        self.directory = Path(directory or env or STATE_DIR / "dev").resolve()
        self.data = self.directory / "pgdata"
        self._meta_path = self.directory / "cluster.json"

    # ----------------------------------------------------------------- commands

    def start(self) -> str:
        """Create the cluster on first use, start it, bootstrap the database; return its URL."""
        self._require_reachable()
        if not self.initialised:
            self._create()
        if not self.running:
            self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.directory / "postgres.log"))
        url = self.url()
        make_owner_role(self._admin_url(), self._meta()["password"])
        with connect(self._admin_url(), autocommit=True) as conn:
            exists = conn.execute(
                "select exists (select from pg_database where datname = %s)", [DATABASE]
            ).fetchone()
            if not (exists and exists[0]):
                conn.execute(
                    sql.SQL("create database {} owner {}").format(
                        sql.Identifier(DATABASE), sql.Identifier(OWNER)
                    )
                )
        bootstrap(self.superuser_url())
        return url

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown); False if it was not running."""
        if not self.running:
            return False
        self._pg_ctl("stop", "-w", "-m", "fast")
        return True

    def reset(self) -> str:
        """Stop, delete every byte of the cluster, and start a fresh one."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        return self.start()

    def status(self) -> DevStatus:
        return DevStatus(
            running=self.running,
            initialised=self.initialised,
            directory=self.directory,
            url=self.url() if self.initialised else None,
        )

    def url(self) -> str:
        """The URL of the development database, as its owner (`postgres`, as on Supabase)."""
        return self._url(OWNER, DATABASE)

    def superuser_url(self) -> str:
        """The superuser's URL of the development database (the layer, the API's role)."""
        return self._url(self._superuser(), DATABASE)

    # ----------------------------------------------------------------- state

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").is_file() and self._meta_path.is_file()

    @property
    def running(self) -> bool:
        if not self.initialised:
            return False
        # pg_ctl status: 0 running, 3 not running, 4 no data directory.
        return self._pg_ctl("status", check=False).returncode == 0

    def _meta(self) -> dict[str, str]:
        if not self._meta_path.is_file():
            raise ConfigError(
                f"no development database at {self.directory}", hint="run `zora-db dev start`"
            )
        meta: dict[str, str] = json.loads(self._meta_path.read_text())
        return meta

    def _admin_url(self) -> str:
        return self._url(self._superuser(), "postgres")

    def _superuser(self) -> str:
        # Clusters made before the owner role was split off have `postgres` as superuser.
        return self._meta().get("superuser", "postgres")

    def _url(self, user: str, database: str) -> str:
        # Every part is ours (role names, a URL-safe generated password), so
        # nothing needs quoting: this is the URL `dev url` hands to users.
        meta = self._meta()
        return f"postgresql://{user}:{meta['password']}@127.0.0.1:{meta['port']}/{database}"

    def _require_reachable(self) -> None:
        user = server_user()
        closed = user.closed_ancestor(self.directory / "pgdata")
        if closed is not None:
            raise ConfigError(
                f"PostgreSQL runs as the OS user {user.name}, which cannot enter {closed} "
                f"to reach {self.directory}",
                hint="set ZORA_DEV_DIR to a folder it can reach (e.g. /var/tmp/zora-dev), "
                f"or let it in: chmod o+x {closed}",
            )

    def _create(self) -> None:
        binaries, user = find_binaries(), server_user()
        template = data_directory_template(binaries, user)
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.data, ignore_errors=True)
        subprocess.run(["cp", "-a", str(template / "pgdata"), str(self.data)], check=True)
        port = int(os.environ.get("ZORA_DEV_PORT", DEFAULT_PORT))
        if not port_free(port):
            port = free_port()
        socket_dir = self.directory / "run"
        socket_dir.mkdir(exist_ok=True)
        user.own(self.directory)
        user.own(socket_dir)
        # A Unix socket path is limited to ~107 bytes; deep checkouts get TCP only.
        sockets = str(socket_dir) if len(str(socket_dir)) < MAX_SOCKET_DIR else ""
        settings = {**DEV_SETTINGS, "port": str(port), "unix_socket_directories": f"'{sockets}'"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# zora-db dev\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        password = (template / "password").read_text().strip()
        meta = {"port": port, "password": password, "superuser": SUPERUSER}
        self._meta_path.write_text(json.dumps(meta, indent=2))
        self._meta_path.chmod(0o600)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [find_binaries() / "pg_ctl", args[0], "-D", str(self.data), *args[1:]],
            capture_output=True,
            text=True,
            **server_user().popen_kwargs(),
        )
        if check and result.returncode != 0:
            detail = " ".join((result.stderr or result.stdout).split())[:300]
            raise BackendUnavailable(
                f"pg_ctl {args[0]} failed for the development database: {detail}",
                hint=f"see {self.directory / 'postgres.log'}, or start afresh with "
                "`zora-db dev reset`",
            )
        return result
