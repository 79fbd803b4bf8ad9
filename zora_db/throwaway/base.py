"""The interface every throwaway-PostgreSQL backend implements."""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from types import TracebackType
from typing import ClassVar, Self

from psycopg import sql

from zora_db.db import connect
from zora_db.urls import param, with_database


class Throwaway(ABC):
    """A PostgreSQL server to create databases on, gone with them after :meth:`close`.

    Use as a context manager; cleanup runs on normal exit, on exceptions and
    on ``KeyboardInterrupt``. ``admin_url`` is a superuser connection to the
    maintenance database; :meth:`url` connects as the role that owns what the
    migrations create, which on our own clusters is, as on Supabase, a
    ``postgres`` that is not a superuser (on a server we do not own, the
    given URL's role).
    """

    backend: ClassVar[str]

    def __init__(self) -> None:
        self._created: list[str] = []
        self._admin_url: str | None = None
        self._owner_url: str | None = None

    @property
    def admin_url(self) -> str:
        if self._admin_url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._admin_url

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def owner_url(self) -> str:
        """The owner role's URL for the maintenance database (the superuser's if none)."""
        return self._owner_url or self.admin_url

    def start(self) -> None:
        """Bring the server up; on failure, leave nothing behind."""
        try:
            self._admin_url = self._start()
            self._owner_url = self._owner()
        except BaseException:
            self._stop()
            raise

    def close(self) -> None:
        """Drop what was created and stop the server. Safe to call twice."""
        try:
            if self._admin_url is not None and self._drops_databases_on_close():
                for name in reversed(self._created):
                    self.drop_database(name)
        finally:
            self._created.clear()
            self._admin_url = self._owner_url = None
            self._stop()

    def url(self, database: str) -> str:
        """The owner role's URL for ``database`` on this server."""
        return with_database(self.owner_url, database)

    def superuser_url(self, database: str) -> str:
        """A superuser URL for ``database`` (installing the layer, tests that need one)."""
        return with_database(self.admin_url, database)

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create a database owned by the owner role (cloned from ``template``); return its URL."""
        name = name or f"zora_tmp_{secrets.token_hex(6)}"
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        owner = param(self.owner_url, "user")
        if owner != param(self.admin_url, "user") and owner is not None:
            statement += sql.SQL(" owner {}").format(sql.Identifier(owner))
        if template:
            # FILE_COPY: a clone of a small database in tens of ms, not a WAL-logged copy.
            statement += sql.SQL(" template {} strategy file_copy").format(sql.Identifier(template))
        with connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)
        self._created.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still in it."""
        with connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        if name in self._created:
            self._created.remove(name)

    @abstractmethod
    def _start(self) -> str:
        """Start the server; return its admin URL."""

    def _owner(self) -> str | None:
        """The owner role's URL once started; None: the admin URL's role owns."""
        return None

    @abstractmethod
    def _stop(self) -> None:
        """Stop the server and remove its files; idempotent, never raises."""

    def _drops_databases_on_close(self) -> bool:
        """Whether close() must drop databases (not when the whole server goes)."""
        return False
