"""Where the project keeps things: its checkout, its Alembic config, its local state."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "alembic.ini"
# Downloaded tools, the development database, throwaway clusters: never committed.
STATE_DIR = PROJECT_ROOT / ".zora"
