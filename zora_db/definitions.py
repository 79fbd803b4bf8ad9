"""``sql/``: the current definition of every replaceable object, one per file.

Functions, views, grants, policies, triggers and publication membership,
folders by kind (``sql/functions/public.create_order.sql``, …), each file
self-contained and idempotent: applying it again changes nothing. ``dump``
writes them from a database; ``plan`` compares them with a database at head
the way PostgreSQL sees them: every file is applied in one transaction that
is rolled back, the catalog read before and after is compared (functions by
``pg_get_functiondef``, policies by ``pg_policies``, triggers by
``pg_get_triggerdef``, …), so formatting is never a change. What differs
becomes a revision whose upgrade carries the files and whose downgrade
carries the database's own definitions, in dependency order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from zora_db import migrations
from zora_db.catalog import Catalog, introspect, introspect_connection
from zora_db.db import connect
from zora_db.drift import compare
from zora_db.errors import ConfigError, DefinitionError, RevisionError
from zora_db.files import Synced, sync
from zora_db.objects import FOLDERS, KINDS
from zora_db.objects.base import Definition, Names
from zora_db.progress import Say, quiet
from zora_db.throwaway.databases import throwaway_database


def definitions(catalog: Catalog) -> dict[str, Definition]:
    """Every replaceable object of ``catalog`` as its file, by path."""
    names = Names(catalog.keywords)
    found = [d for kind in KINDS for d in kind.files(catalog, names)]
    return {d.path: d for d in sorted(found, key=lambda d: d.path)}


def read(sql_dir: Path) -> dict[str, str]:
    """The files under ``sql_dir`` by relative path (its kinds' folders only)."""
    return {
        str(path.relative_to(sql_dir)): path.read_text()
        for folder in FOLDERS
        for path in sorted((sql_dir / folder).glob("*.sql"))
    }


def write(files: dict[str, Definition], sql_dir: Path, *, check: bool = False) -> Synced:
    """Make ``sql_dir`` hold exactly ``files``; with ``check``, only say what that would do."""
    texts = {path: d.text for path, d in files.items()}
    return sync(sql_dir, texts, check=check, owned=read(sql_dir), hint="choose another --sql-dir")


def dump(url: str, *, config_path: Path | None = None) -> dict[str, Definition]:
    """The definitions of the database at ``url``, which must be at head.

    sql/ is what head builds: from a database at another revision it would
    delete what that revision lacks and call the rest current.
    """
    from zora_db.check import revision_status  # check compares definitions too

    status = revision_status(url, config_path=config_path)
    if status.state != "at head":
        at = ", ".join(status.current) or "base"
        raise RevisionError(
            f"the database is at {at}, not at head ({', '.join(status.heads)}): "
            "sql/ describes head",
            hint="run `zora-db upgrade` on it, or leave out the URL to dump a throwaway at head",
        )
    return definitions(introspect(url))


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class FileChange:
    """What a revision does to one file's object: create, replace or drop it."""

    path: str
    action: str  # "create", "replace" or "drop"
    upgrade: str
    downgrade: str
    detail: str = ""

    @property
    def folder(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass
class Plan:
    changes: list[FileChange] = field(default_factory=list)

    # Creates and replaces go first, in dependency order, so that nothing still
    # uses an object when its file's removal drops it; drops go last, the
    # other way round. The downgrade undoes the same steps in reverse.
    def upgrade_steps(self) -> list[str]:
        drops = [c for c in self.changes if c.action == "drop"]
        rest = [c for c in self.changes if c.action != "drop"]
        return [c.upgrade for c in _ordered(rest)] + [
            c.upgrade for c in _ordered(drops, reverse=True)
        ]

    def downgrade_steps(self) -> list[str]:
        drops = [c for c in self.changes if c.action == "drop"]
        rest = [c for c in self.changes if c.action != "drop"]
        return [c.downgrade for c in _ordered(drops)] + [
            c.downgrade for c in _ordered(rest, reverse=True)
        ]


def _ordered(changes: Iterable[FileChange], reverse: bool = False) -> list[FileChange]:
    return sorted(changes, key=lambda c: (FOLDERS.index(c.folder), c.path), reverse=reverse)


def plan(url: str, files: dict[str, str]) -> Plan:
    """What turns the database at ``url`` into what ``files`` define (``url`` is untouched)."""
    with connect(url) as conn:
        before = introspect_connection(conn)
        current = definitions(before)
        with conn.transaction(force_rollback=True):
            for path, text in sorted(files.items(), key=lambda item: _rank(item[0])):
                _apply(conn, path, text)
            after = introspect_connection(conn)
    wanted = definitions(after)
    owners = [(owned, d.path) for d in (*current.values(), *wanted.values()) for owned in d.owns]
    touched: dict[str, list[str]] = {}
    for difference in compare(before, after, ignore_unexpected=()):
        key = (difference.kind, difference.object)
        # A grants file owns only the grants of its table and columns.
        fields = set(difference.fields) if difference.change == "changed" else None
        owner = next((path for owned, path in owners if owned.covers(key, fields)), None)
        if owner is None or owner not in files:
            raise DefinitionError(
                f"sql/ changes {difference.kind} {difference.object}, which no file defines",
                hint="tables, columns and types change in a migration written by hand",
            )
        touched.setdefault(owner, []).append(str(difference))
    changes = []
    for path in sorted(touched):
        action = "replace" if path in current else "create"
        downgrade = current[path].text if path in current else wanted[path].drop
        changes.append(FileChange(path, action, files[path], downgrade, "; ".join(touched[path])))
    for path in sorted(set(current) - set(files)):
        changes.append(FileChange(path, "drop", current[path].drop, current[path].text))
    return Plan(changes)


def _rank(path: str) -> tuple[int, str]:
    folder = path.split("/", 1)[0]
    return (FOLDERS.index(folder) if folder in FOLDERS else len(FOLDERS), path)


def _apply(conn: psycopg.Connection[Any], path: str, text: str) -> None:
    try:
        with conn.transaction():
            conn.execute(text.encode())  # several statements: the simple query protocol
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DefinitionError(
            f"sql/{path} does not apply: {message}",
            hint="fix the file; it must run on a database at head",
        ) from exc


# --------------------------------------------------------------------------- revision


def render(steps: list[str]) -> str:
    """Alembic operations for ``steps``, each an ``op.execute`` of its SQL."""
    if not steps:
        return "pass"
    return "\n\n    ".join(f"op.execute({_python_string(step)})" for step in steps)


def _python_string(text: str) -> str:
    # Verbatim, not indented: a function's body keeps every space it is given,
    # and an indented copy would be a different function.
    body = text.rstrip("\n")
    if '"""' in body or body.endswith("\\") or body.endswith('"'):
        return repr(body)
    return f'r"""\n{body}\n"""'


@dataclass(frozen=True)
class Autogenerated:
    """What ``revision --autogenerate`` found, and the revision it wrote (None: no changes)."""

    plan: Plan
    path: Path | None


def autogenerate(
    message: str,
    sql_dir: Path,
    *,
    config_path: Path | None = None,
    version_path: Path | None = None,
    say: Say = quiet,
) -> Autogenerated:
    """A revision that makes a database at head hold what ``sql_dir`` defines.

    A throwaway database is migrated to head and the files are planned
    against it (:func:`plan`); nothing changed: no revision is written.
    """
    if not message.strip():
        raise ConfigError("the revision message is empty", hint="pass -m 'what it changes'")
    files = read(sql_dir)
    if not files:
        raise ConfigError(
            f"{sql_dir} holds no definitions", hint="run `zora-db dump-sql` to write them first"
        )
    with throwaway_database(config_path=config_path, say=say) as url:
        found = plan(url, files)
    if not found.changes:
        return Autogenerated(found, None)
    path = migrations.new_revision(
        message,
        config_path=config_path,
        version_path=version_path,
        upgrade=render(found.upgrade_steps()),
        downgrade=render(found.downgrade_steps()),
        summary="From sql/ (zora-db revision --autogenerate):\n"
        + "\n".join(f"* {c.action} sql/{c.path}" for c in found.changes),
    )
    return Autogenerated(found, path)
