"""Supabase's own type generator (postgres-meta), run as `supabase gen types` runs it.

The reference our TypeScript is held against (tests) and timed against
(benchmarks): installed with npm into ``.zora/postgres-meta``, pinned, and
run as a process on a database URL, the way Supabase's CLI runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

from zora_db import npm
from zora_db.contract import POSTGREST_VERSION
from zora_db.errors import BackendUnavailable
from zora_db.paths import STATE_DIR
from zora_db.urls import params

PACKAGES = {"@supabase/postgres-meta": "0.99.0"}
DIRECTORY = STATE_DIR / "postgres-meta"


def server_script() -> Path:
    """postgres-meta's entry point, installed when absent."""
    npm.install(DIRECTORY, PACKAGES, instead="then run the suite again")
    return (
        DIRECTORY / "node_modules" / "@supabase" / "postgres-meta" / "dist" / "server" / "server.js"
    )


def command(url: str, schemas: tuple[str, ...] = ("public",)) -> tuple[list[str], dict[str, str]]:
    """The process and environment that print Supabase's TypeScript for ``url``.

    As the CLI asks for it: one-to-one relationships detected and the
    PostgREST version given (our defaults for both).
    """
    node = shutil.which("node")
    if node is None:
        raise BackendUnavailable("node is not installed: postgres-meta runs on it")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PG_META_DB_URL": node_url(url),
        "PG_META_GENERATE_TYPES": "typescript",
        "PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS": ",".join(schemas),
        "PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS": "true",
        "PG_META_POSTGREST_VERSION": POSTGREST_VERSION,
    }
    return [node, str(server_script())], environment


def node_url(conninfo: str) -> str:
    """``conninfo`` as a URL: node-postgres reads URLs only, not libpq's ``key=value``.

    Enough for the servers the tests and benchmarks run (one TCP host and port).
    """
    found = params(conninfo)
    login = quote(found.get("user", ""), safe="")
    if "password" in found:
        login += ":" + quote(found["password"], safe="")
    where = f"{found.get('host', '127.0.0.1')}:{found.get('port', '5432')}"
    return f"postgresql://{login}@{where}/{quote(found.get('dbname', ''), safe='')}"


def generate(url: str, schemas: tuple[str, ...] = ("public",)) -> str:
    """Supabase's ``database.types.ts`` for ``url``."""
    argv, environment = command(url, schemas)
    done = subprocess.run(argv, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0 or "export type Database" not in done.stdout:
        raise BackendUnavailable(f"postgres-meta failed: {done.stderr.strip()[-300:]}")
    return done.stdout.rstrip("\n") + "\n"
