"""Throwaway databases on an existing server (``ZORA_TEST_DATABASE_URL``)."""

from __future__ import annotations

import os

from zora_db.db import connect
from zora_db.errors import ConfigError
from zora_db.throwaway.base import Throwaway
from zora_db.urls import params

URL_ENV_VAR = "ZORA_TEST_DATABASE_URL"


class ExistingServer(Throwaway):
    """Creates uniquely named databases on a server we do not own, drops them on close.

    The URL's role needs CREATEDB (and CREATEROLE for the compatibility
    layer's roles, unless they exist already, as on Supabase).
    """

    backend = "url"

    def __init__(self, url: str | None = None) -> None:
        super().__init__()
        self._url = url or os.environ.get(URL_ENV_VAR)

    def _start(self) -> str:
        if not self._url:
            raise ConfigError(
                f"ZORA_DB_BACKEND=url needs {URL_ENV_VAR}",
                hint="set it to the URL of a role that may create databases on that server",
            )
        params(self._url, source=URL_ENV_VAR)
        with connect(self._url) as conn:  # fail now, clearly, if it is unreachable
            conn.execute("select 1")
        return self._url

    def _stop(self) -> None:
        """The server is not ours: nothing to stop."""

    def _drops_databases_on_close(self) -> bool:
        return True
