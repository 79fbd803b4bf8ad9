"""``zora-db check``: is a database where its revision says, and nothing else?

Two answers. The revision status: at head, behind (migrations to apply), or
at a revision this checkout does not know (ahead of it, or from another
branch). And drift: a database migrated to the same revision on the same
PostgreSQL major is the reference (``throwaway.databases.reference_database``); both
are read into catalog models and compared, so a policy edited in a
dashboard, a dropped index or a grant added by hand shows up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from zora_db import migrations
from zora_db.catalog import introspect
from zora_db.drift import Difference, compare
from zora_db.errors import RevisionError
from zora_db.progress import Say, quiet
from zora_db.throwaway.databases import reference_database


@dataclass(frozen=True)
class Status:
    current: tuple[str, ...]  # empty: never migrated
    heads: tuple[str, ...]
    pending: tuple[str, ...]  # revisions to apply to reach head, oldest first

    @property
    def state(self) -> str:
        if set(self.current) == set(self.heads):
            return "at head"
        return "behind" if self.pending else "diverged"


@dataclass(frozen=True)
class CheckResult:
    status: Status
    differences: list[Difference] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.differences)

    def to_json(self) -> dict[str, object]:
        return {
            "revision": {
                "current": list(self.status.current),
                "heads": list(self.status.heads),
                "state": self.status.state,
                "pending": list(self.status.pending),
            },
            "drift": [asdict(d) for d in self.differences],
        }


def revision_status(url: str, *, config_path: Path | None = None) -> Status:
    """Where ``url`` is in the history; RevisionError for a revision we do not know."""
    current = migrations.current(url)
    scripts = migrations.script_directory(config_path)
    newest_first = [s.revision for s in scripts.walk_revisions()]
    unknown = [r for r in current if r not in newest_first]
    if unknown:
        raise RevisionError(
            f"the database is at revision {', '.join(unknown)}, which this checkout does not have",
            hint="it is ahead of this checkout or from another branch: update your checkout",
        )
    reached = {s.revision for s in scripts.iterate_revisions(current, "base")} if current else set()
    pending = tuple(r for r in reversed(newest_first) if r not in reached)
    return Status(tuple(current), tuple(scripts.get_heads()), pending)


def check(url: str, *, config_path: Path | None = None, say: Say = quiet) -> CheckResult:
    """The revision status of ``url`` and its drift from the migrations at that revision."""
    status = revision_status(url, config_path=config_path)
    if len(status.current) > 1:
        raise RevisionError(
            f"the database is at several revisions ({', '.join(status.current)})",
            hint="merge the branches of the history first (alembic merge)",
        )
    revision = status.current[0] if status.current else "base"
    with reference_database(url, revision=revision, config_path=config_path, say=say) as reference:
        expected = introspect(reference)
    # Every schema that is ours on either side: objects in a schema only one
    # side has are reported as missing or unexpected.
    actual = introspect(url)
    return CheckResult(status, compare(expected, actual))
