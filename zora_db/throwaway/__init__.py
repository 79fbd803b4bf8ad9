"""Throwaway PostgreSQL: one interface, three backends.

``throwaway()`` picks the backend from its argument, else ``ZORA_DB_BACKEND``
(``auto``, ``url``, ``local`` or ``docker``). ``auto`` means: an existing
server if ``ZORA_TEST_DATABASE_URL`` is set, else local binaries if found,
else Docker.
"""

from __future__ import annotations

import os

from zora_db.errors import BackendUnavailable, ConfigError
from zora_db.throwaway.base import Throwaway
from zora_db.throwaway.binaries import find_binaries
from zora_db.throwaway.docker import DockerServer
from zora_db.throwaway.existing import URL_ENV_VAR, ExistingServer
from zora_db.throwaway.local import LocalCluster

BACKENDS: dict[str, type[Throwaway]] = {
    "url": ExistingServer,
    "local": LocalCluster,
    "docker": DockerServer,
}

__all__ = ["BACKENDS", "DockerServer", "ExistingServer", "LocalCluster", "Throwaway", "throwaway"]


def throwaway(backend: str | None = None, *, major: int | None = None) -> Throwaway:
    """A not yet started throwaway server; use it as a context manager.

    ``major`` asks the local backend for that PostgreSQL major (fetched if need
    be); the others serve what they serve, and callers that care check it.
    """
    choice = (backend or os.environ.get("ZORA_DB_BACKEND") or "auto").strip().lower()
    if choice == "auto":
        return _auto(major)
    if choice == "local":
        return LocalCluster(find_binaries(major))
    try:
        return BACKENDS[choice]()
    except KeyError:
        raise ConfigError(
            f"unknown throwaway backend {choice!r}",
            hint=f"set ZORA_DB_BACKEND to auto, {', '.join(BACKENDS)}",
        ) from None


def _auto(major: int | None) -> Throwaway:
    if os.environ.get(URL_ENV_VAR):
        return ExistingServer()
    try:
        return LocalCluster(find_binaries(major))
    except BackendUnavailable:
        return DockerServer()
