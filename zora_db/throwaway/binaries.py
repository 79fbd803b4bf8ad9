"""Finding the PostgreSQL server binaries, and the OS user to run them as."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zora_db.errors import BackendUnavailable

REQUIRED = ("initdb", "pg_ctl", "postgres")
DEBIAN_GLOB = "/usr/lib/postgresql/*/bin"


@dataclass(frozen=True)
class PgBinaries:
    """A directory holding ``initdb``, ``pg_ctl`` and ``postgres`` of one version."""

    bindir: Path
    version: str  # e.g. "15.18"

    def __truediv__(self, name: str) -> str:
        return str(self.bindir / name)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


@functools.cache
def find_binaries() -> PgBinaries:
    """The server binaries: ``ZORA_PG_BINDIR``, PATH, ``pg_config --bindir``, Debian's."""
    for bindir in _candidates():
        if all(os.access(bindir / name, os.X_OK) for name in REQUIRED):
            out = subprocess.run(
                [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
            ).stdout
            match = re.search(r"(\d+(?:\.\d+)?)", out)
            return PgBinaries(bindir, match.group(1) if match else "0")
    raise BackendUnavailable(
        "no PostgreSQL server binaries found (looked at ZORA_PG_BINDIR, PATH, "
        f"pg_config --bindir and {DEBIAN_GLOB})",
        hint="install the server (Debian: apt-get install postgresql-15), set ZORA_PG_BINDIR, "
        "or use ZORA_DB_BACKEND=url or docker",
    )


def _candidates() -> list[Path]:
    found: list[Path] = []
    if env := os.environ.get("ZORA_PG_BINDIR"):
        found.append(Path(env))
    if initdb := shutil.which("initdb"):
        found.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            found.append(Path(result.stdout.strip()))

    def major(path: Path) -> int:
        return int(path.parent.name) if path.parent.name.isdigit() else 0

    found += sorted(Path("/").glob(DEBIAN_GLOB.lstrip("/")), key=major, reverse=True)
    return found


@dataclass(frozen=True)
class ServerUser:
    """Who runs the server processes: ourselves, or (as root) an unprivileged user."""

    name: str
    uid: int
    gid: int

    @property
    def is_self(self) -> bool:
        return self.uid == os.geteuid()

    def popen_kwargs(self) -> dict[str, Any]:
        """Arguments for :mod:`subprocess` that run a child as this user."""
        if self.is_self:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        """Give ``path`` to this user (a no-op when it is us)."""
        if not self.is_self:
            os.chown(path, self.uid, self.gid)

    def closed_ancestor(self, path: Path) -> Path | None:
        """The first existing folder above ``path`` this user may not enter, if any.

        As root the server runs as another user (without supplementary groups):
        a data directory under /root, say, is created fine and then cannot be read.
        """
        if self.is_self:
            return None
        for folder in reversed(path.resolve().parents):
            try:
                st = folder.stat()
            except FileNotFoundError:
                return None
            if st.st_uid == self.uid:
                bit = stat.S_IXUSR
            elif st.st_gid == self.gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not st.st_mode & bit:
                return folder
        return None


@functools.cache
def server_user() -> ServerUser:
    """``initdb`` refuses to run as root, so as root use ``ZORA_PG_OS_USER`` or ``postgres``."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return ServerUser(me.pw_name, me.pw_uid, me.pw_gid)
    name = os.environ.get("ZORA_PG_OS_USER", "postgres")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise BackendUnavailable(
            f"running as root, and the OS user {name!r} to run PostgreSQL as does not exist",
            hint="create an unprivileged user (useradd postgres) or set ZORA_PG_OS_USER",
        ) from None
    if entry.pw_uid == 0:
        raise BackendUnavailable(
            f"ZORA_PG_OS_USER={name!r} is root, and initdb refuses to run as root",
            hint="name an unprivileged user",
        )
    return ServerUser(name, entry.pw_uid, entry.pw_gid)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGQUIT when we die (Linux only).

    The backstop for a SIGKILLed test run: without it the postmaster would
    outlive us. It is set after the uid change (which would clear it).
    """
    libc_name = ctypes.util.find_library("c")
    if not libc_name or os.uname().sysname != "Linux":
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGQUIT)

    return preexec
