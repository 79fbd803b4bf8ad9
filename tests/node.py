"""The test suite's own npm packages: the clients the apps use, pinned, in ``.zora/test-node``.

supabase-js (with ws, its websocket under Node 20) drives the API and Realtime
tests and the end-to-end benchmark; TypeScript compiles the generated types
against it. They are the tests' rig, not the product's: ``zora-db`` itself
fetches only PostgREST (``zora_db.api.postgrest``).
"""

from __future__ import annotations

from pathlib import Path

from zora_db import npm
from zora_db.paths import STATE_DIR

PACKAGES = {
    "@supabase/supabase-js": "2.109.0",
    "ws": "8.23.0",
    "typescript": "7.0.2",
}
DIRECTORY = STATE_DIR / "test-node"
MODULES = DIRECTORY / "node_modules"
TSC = MODULES / ".bin" / "tsc"


def install() -> Path:
    """The pinned packages in ``.zora/test-node`` (once); returns the node project's folder."""
    return npm.install(DIRECTORY, PACKAGES, instead="then run the suite again")


def linked_into(scripts: Path) -> Path:
    """:func:`install`, and ``scripts/node_modules`` pointing at it, where Node looks."""
    install()
    link = scripts / "node_modules"
    if link.is_symlink() and link.resolve() != MODULES.resolve():
        link.unlink()  # an older layout's folder
    if not link.exists():
        link.symlink_to(MODULES, target_is_directory=True)
    return MODULES
