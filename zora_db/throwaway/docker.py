"""Throwaway PostgreSQL in a container, through testcontainers.

``ZORA_DB_DOCKER_IMAGE`` picks the image; ``supabase/postgres`` gives the
real Supabase flavour (the compatibility layer then detects Supabase and
stays out of the way). Without a running engine it fails in seconds.
"""

from __future__ import annotations

import os
from typing import Any

from zora_db.errors import BackendUnavailable
from zora_db.throwaway.base import Throwaway

DEFAULT_IMAGE = "postgres:15"
PING_TIMEOUT_S = 3
OTHER_BACKENDS = (
    "use ZORA_DB_BACKEND=local (PostgreSQL server binaries on this machine) or "
    "ZORA_DB_BACKEND=url with ZORA_TEST_DATABASE_URL"
)


class DockerServer(Throwaway):
    """A PostgreSQL container, removed on close."""

    backend = "docker"

    def __init__(self, image: str | None = None) -> None:
        super().__init__()
        self.image = image or os.environ.get("ZORA_DB_DOCKER_IMAGE", DEFAULT_IMAGE)
        self._container: Any = None

    def _start(self) -> str:
        require_engine()
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers before the community split
            from testcontainers.postgres import PostgresContainer

        container = PostgresContainer(
            self.image,
            username="postgres",
            password="postgres",  # noqa: S106 - a container nobody else reaches
            dbname="postgres",
            driver=None,
        ).with_command(
            "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c wal_level=logical -c max_replication_slots=10 -c autovacuum=off"
        )
        self._container = container
        container.start()
        return str(container.get_connection_url())

    def _stop(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            container.stop()


def require_engine() -> None:
    """Raise :class:`BackendUnavailable` quickly unless a Docker engine answers."""
    try:
        import docker

        docker.from_env(timeout=PING_TIMEOUT_S).ping()
    except Exception as exc:  # docker raises several unrelated types here
        reason = " ".join(str(exc).split())[:160]
        raise BackendUnavailable(
            f"no Docker engine is reachable ({reason})", hint=OTHER_BACKENDS
        ) from exc
