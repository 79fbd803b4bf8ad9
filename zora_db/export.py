"""``zora-db export supabase``: the history as Supabase CLI migrations.

One ``<timestamp>_<revision>_<name>.sql`` per revision, oldest first, for
``supabase db push`` (which runs each file in its own transaction). Each is
Alembic's offline SQL for that one step, its BEGIN/COMMIT left to the
runner, and it keeps ``alembic_version`` current, so ``zora-db current``,
``upgrade`` and ``check`` go on working on a database migrated by the
Supabase CLI. Timestamps are derived from the revision's place in the
history, not the clock: the same history exports to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from zora_db import migrations
from zora_db.files import Synced, sync
from zora_db.history import RevisionInfo

EPOCH = datetime(2025, 1, 1)  # the first revision's timestamp; one minute apart after it
_RUNNER_STATEMENTS = {"BEGIN;", "COMMIT;"}


@dataclass(frozen=True)
class ExportedFile:
    name: str
    text: str


def supabase_migrations(*, config_path: Path | None = None) -> list[ExportedFile]:
    """Every revision as a Supabase CLI migration file, oldest first."""
    history = list(reversed(migrations.history(config_path=config_path)))
    steps = migrations.steps_sql(config_path=config_path)
    files = []
    for index, info in enumerate(history):
        stamp = (EPOCH + timedelta(minutes=index)).strftime("%Y%m%d%H%M%S")
        text = _file_text(info, steps[info.revision])
        files.append(ExportedFile(f"{stamp}_{info.path.stem}.sql", text))
    return files


def _file_text(info: RevisionInfo, offline_sql: str) -> str:
    body: list[str] = []
    for raw in offline_sql.splitlines():
        line = raw.rstrip()
        if line.strip() in _RUNNER_STATEMENTS or (not line and (not body or not body[-1])):
            continue
        # The timeouts hold for this file's transaction only.
        body.append("SET LOCAL " + line[4:] if line.startswith("SET ") else line)
    header = [
        f"-- zora-db revision {info.revision}: {info.message}",
        "-- Exported by `zora-db export supabase` from alembic/versions; edit the revision,",
        "-- not this file. `supabase db push` runs it in one transaction.",
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def write(files: list[ExportedFile], out: Path, *, check: bool = False) -> Synced:
    """Write ``files`` into ``out`` (other files there are left alone); or check them."""
    texts = {f.name: f.text for f in files}
    return sync(out, texts, check=check, hint="choose another --out")
