"""Throwaway PostgreSQL from local server binaries: initdb once, copy, start.

The first cluster of a machine runs ``initdb`` into a cache directory; every
cluster after that copies the initialised data directory (about 0.1 s
instead of 0.4 s) and starts ``postgres`` directly as our child, polling
``postmaster.pid`` for "ready" every few milliseconds instead of ``pg_ctl -w``'s
100 ms. The child dies with us (PR_SET_PDEATHSIG); directories left by a run
that was SIGKILLed are swept by the next one. Everything lives in RAM
(/dev/shm) where there is room: nothing here needs to survive a reboot.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from psycopg import sql

from zora_db.compat import bootstrap_roles
from zora_db.db import connect
from zora_db.errors import BackendUnavailable
from zora_db.ports import free_port
from zora_db.processes import alive
from zora_db.throwaway.base import Throwaway
from zora_db.throwaway.binaries import (
    PgBinaries,
    ServerUser,
    die_with_parent,
    find_binaries,
    server_user,
)
from zora_db.urls import with_params

# As on Supabase: the bootstrap superuser is supabase_admin, and `postgres`,
# which owns what the migrations create, is not a superuser (compat_roles.sql).
SUPERUSER = "supabase_admin"
OWNER = "postgres"
INITDB_ARGS = (
    "--no-sync",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
    f"--username={SUPERUSER}",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
)
# Durability off (the cluster is thrown away), logical decoding on (realtime
# tests read the publication through replication slots).
THROWAWAY_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    # synchronous_commit=off delays decodability until the WAL writer runs.
    "wal_writer_delay": "10ms",
    # An autovacuum worker connected to a template database makes
    # CREATE DATABASE ... TEMPLATE fail with "being accessed by other users".
    "autovacuum": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
}
READY_TIMEOUT_S = 30.0
POLL_S = 0.005
PREFIX = "zora-db-"


MIN_RAM_DISK_FREE = 2 << 30


@functools.cache
def runtime_root() -> Path:
    """Where clusters live: ``ZORA_PG_TMPDIR``, else RAM (/dev/shm), else the temp dir.

    On disk, copying a 39 MB data directory and cloning databases wait on
    writeback (0.1 to 0.8 s, erratic); in tmpfs they are memory copies.
    """
    if env := os.environ.get("ZORA_PG_TMPDIR"):
        return Path(env)
    shm = Path("/dev/shm")  # noqa: S108 - private subdirectories, ownership checked
    if (
        shm.is_dir()
        and os.access(shm, os.W_OK | os.X_OK)
        and shutil.disk_usage(shm).free > MIN_RAM_DISK_FREE
    ):
        return shm
    return Path(tempfile.gettempdir())


class LocalCluster(Throwaway):
    """A private PostgreSQL cluster in a temporary directory, on a free port."""

    backend = "local"

    def __init__(self, binaries: PgBinaries | None = None, user: ServerUser | None = None) -> None:
        super().__init__()
        self.binaries = binaries or find_binaries()
        self.user = user or server_user()
        self.directory: Path | None = None
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _start(self) -> str:
        sweep_orphans()
        template = data_directory_template(self.binaries, self.user)
        self.directory = Path(
            tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=runtime_root())
        )
        data = self.directory / "pgdata"
        subprocess.run(["cp", "-a", str(template / "pgdata"), str(data)], check=True)
        self.user.own(self.directory)
        password = (template / "password").read_text().strip()
        for attempt in range(5):
            self.port = free_port()
            if self._launch(data):
                admin_url = f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/postgres"
                make_owner_role(admin_url, password)
                return admin_url
            if attempt == 4:
                break
        raise BackendUnavailable(
            "could not find a free port for the throwaway PostgreSQL after 5 tries",
            hint=f"see {self.directory / 'postgres.log'}",
        )

    def restart(self) -> None:
        """Stop the server as a crash would (immediate: no checkpoint), start it again.

        Same data directory, same port: what was committed and flushed must be there.
        """
        assert self._process is not None and self.directory is not None
        self._process.send_signal(signal.SIGQUIT)
        self._process.wait(timeout=30)
        self._process = None
        if not self._launch(self.directory / "pgdata"):
            raise BackendUnavailable(
                f"the throwaway PostgreSQL could not take port {self.port} again after a restart",
                hint=f"see {self.directory / 'postgres.log'}",
            )

    def _owner(self) -> str:
        return with_params(self.admin_url, user=OWNER)

    def _launch(self, data: Path) -> bool:
        """Start postgres; False if the port was taken meanwhile (try another)."""
        assert self.directory is not None and self.port is not None
        log_path = self.directory / "postgres.log"
        args = [
            self.binaries / "postgres",
            "-D",
            str(data),
            "-p",
            str(self.port),
            "-k",
            str(self.directory),
        ]
        for name, value in THROWAWAY_SETTINGS.items():
            args += ["-c", f"{name}={value}"]
        with open(log_path, "ab") as log:
            self.user.own(log_path)
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop it
                preexec_fn=die_with_parent(),
                **self.user.popen_kwargs(),
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        pid_file = data / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log_text = log_path.read_text(errors="replace")
                self._process = None
                if "could not bind" in log_text or "already in use" in log_text:
                    return False
                raise BackendUnavailable(
                    f"the throwaway PostgreSQL exited at start: {_last_error(log_text)}",
                    hint=f"see {log_path}",
                )
            if _is_ready(pid_file):
                return True
            time.sleep(POLL_S)
        raise BackendUnavailable(
            f"the throwaway PostgreSQL was not ready within {READY_TIMEOUT_S:.0f} s",
            hint=f"see {log_path}",
        )

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # Immediate shutdown: nothing in this cluster is worth a checkpoint.
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def make_owner_role(admin_url: str, password: str) -> None:
    """The layer's roles, and a password for the owner (it logs in over TCP)."""
    bootstrap_roles(admin_url)
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {} password {}").format(
                sql.Identifier(OWNER), sql.Literal(password)
            )
        )


def _is_ready(pid_file: Path) -> bool:
    """The postmaster writes "ready" as the 8th line of postmaster.pid once it accepts."""
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def _last_error(log_text: str) -> str:
    errors = [ln for ln in log_text.splitlines() if re.search(r"FATAL|ERROR|PANIC", ln)]
    return errors[-1].strip() if errors else _last_line(log_text)


def data_directory_template(binaries: PgBinaries, user: ServerUser) -> Path:
    """An initialised data directory to copy, made once per version, options and user.

    Built under a temporary name and renamed into place, so concurrent first
    runs never see half a template (the loser of the race discards its own).
    """
    key = hashlib.sha256(
        "|".join([binaries.version, str(binaries.bindir), user.name, *INITDB_ARGS]).encode()
    ).hexdigest()[:12]
    cache = template_cache_root()
    target = cache / f"pg{binaries.version}-{key}"
    if target.is_dir():
        return target
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    try:
        user.own(build)
        password = secrets.token_urlsafe(18)
        pwfile = build / "password"
        pwfile.write_text(password + "\n")
        user.own(pwfile)
        result = subprocess.run(
            [binaries / "initdb", "-D", str(build / "pgdata"), f"--pwfile={pwfile}", *INITDB_ARGS],
            capture_output=True,
            text=True,
            **user.popen_kwargs(),
        )
        if result.returncode != 0:
            raise BackendUnavailable(
                f"initdb failed: {_last_line(result.stderr)}",
                hint=f"the OS user {user.name!r} must be able to write to {cache}",
            )
        pwfile.chmod(0o600)
        try:
            build.rename(target)
        except OSError:  # another process won the race; use theirs
            shutil.rmtree(build, ignore_errors=True)
        return target
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)


def template_cache_root() -> Path:
    """Where initialised data directories are cached (``ZORA_PG_TEMPLATE_DIR`` to move it)."""
    root = Path(
        os.environ.get("ZORA_PG_TEMPLATE_DIR")
        or runtime_root() / f"zora-db-initdb-cache-{os.geteuid()}"
    )
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = root.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise BackendUnavailable(
            f"the template cache {root} is not owned by us or is writable by others",
            hint="remove it, or set ZORA_PG_TEMPLATE_DIR to a private directory",
        )
    return root


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def sweep_orphans() -> list[Path]:
    """Remove cluster directories whose creating process is gone (e.g. SIGKILLed)."""
    removed = []
    for path in runtime_root().glob(f"{PREFIX}*-*"):
        match = re.fullmatch(rf"{PREFIX}(\d+)-\w+", path.name)
        if not match or not path.is_dir() or alive(int(match.group(1))):
            continue
        _kill_postmaster(path / "pgdata")
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _kill_postmaster(data: Path) -> None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if str(data).encode() in cmdline:
            os.kill(pid, signal.SIGQUIT)
