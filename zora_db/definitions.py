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

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from zora_db import migrations
from zora_db.catalog import (
    API_ROLES,
    Catalog,
    Function,
    Policy,
    introspect,
    introspect_connection,
)
from zora_db.db import connect
from zora_db.drift import compare
from zora_db.errors import ConfigError, RevisionError, ZoraDbError
from zora_db.files import Synced, sync
from zora_db.scratch import quiet, scratch_database

# Creation order; drops go the other way.
KINDS = ("functions", "views", "grants", "policies", "triggers", "publications")


class DefinitionError(ZoraDbError):
    """A file under sql/ does not apply, or changes what sql/ does not define."""

    exit_code = 7


@dataclass(frozen=True)
class _Names:
    """Identifiers as PostgreSQL's quote_ident writes them: quoted only where they must be."""

    keywords: frozenset[str]  # the server's words that are not unreserved

    def quote(self, name: str) -> str:
        if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in self.keywords:
            return name
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Definition:
    path: str  # relative to sql/, e.g. "policies/public.orders.orders_select.sql"
    text: str  # the file: creates (or replaces) the object
    drop: str  # removes it again
    # The drift facts it defines: (kind, name, fields), fields None for all of them.
    keys: tuple[tuple[str, str, tuple[str, ...] | None], ...]

    @property
    def kind(self) -> str:
        return self.path.split("/", 1)[0]


# --------------------------------------------------------------------------- dump


def definitions(catalog: Catalog) -> dict[str, Definition]:
    """Every replaceable object of ``catalog`` as its file, by path."""
    names = _Names(catalog.keywords)
    found: list[Definition] = []
    by_name: dict[tuple[str, str], list[Function]] = {}
    for f in catalog.functions:
        if f.kind in ("function", "procedure"):
            by_name.setdefault((f.schema, f.name), []).append(f)
    for (schema, name), overloads in by_name.items():
        for index, f in enumerate(overloads):
            suffix = f"__{index + 1}" if len(overloads) > 1 else ""
            found.append(_function(f, f"functions/{schema}.{name}{suffix}.sql", names))
    for view in catalog.views:
        options = " with (security_invoker = true)" if view.security_invoker else ""
        target = names.qualified(view.schema, view.name)
        body = (view.definition or "").rstrip().rstrip(";")
        text = f"create or replace view {target}{options} as\n{body};\n"
        found.append(
            Definition(
                f"views/{view.qualified}.sql",
                text,
                f"drop view {target};\n",
                (("view", view.qualified, None),),
            )
        )
    for table in catalog.tables:
        grants = _grants(catalog, table.schema, table.name, names)
        if grants:
            found.append(grants)
    for policy in catalog.policies:
        found.append(_policy(policy, names))
    for trigger in catalog.triggers:
        target = names.qualified(trigger.schema, trigger.table)
        # Not CREATE OR REPLACE: constraint triggers (deferred ones) do not have it.
        drop = f"drop trigger if exists {names.quote(trigger.name)} on {target};\n"
        text = drop + trigger.definition + ";\n"
        found.append(
            Definition(
                f"triggers/{trigger.schema}.{trigger.table}.{trigger.name}.sql",
                text,
                drop,
                (("trigger", f"{trigger.schema}.{trigger.table}.{trigger.name}", None),),
            )
        )
    for publication in catalog.publications:
        if publication.all_tables or not publication.tables:
            continue
        tables = ",\n  ".join(names.qualified(*t.split(".", 1)) for t in publication.tables)
        name = names.quote(publication.name)
        found.append(
            Definition(
                f"publications/{publication.name}.sql",
                f"alter publication {name} set table\n  {tables};\n",
                f"alter publication {name} drop table\n  {tables};\n",  # the membership
                (("publication", publication.name, None),),
            )
        )
    return {d.path: d for d in sorted(found, key=lambda d: d.path)}


def _function(f: Function, path: str, names: _Names) -> Definition:
    signature = f"{names.qualified(f.schema, f.name)}({f.identity_arguments})"
    kind = "procedure" if f.kind == "procedure" else "function"
    lines = [f.definition.rstrip() + ";", ""]
    if f.comment:
        lines.append(f"comment on {kind} {signature} is {_literal(f.comment)};")
    roles = ", ".join(("public", *API_ROLES))
    lines.append(f"revoke all on {kind} {signature} from {roles};")
    for role in sorted(f.executable_by):
        lines.append(f"grant execute on {kind} {signature} to {role};")
    return Definition(
        path,
        "\n".join(lines) + "\n",
        f"drop {kind} {signature};\n",
        (("function", f.signature, None),),
    )


def _grants(catalog: Catalog, schema: str, name: str, names: _Names) -> Definition | None:
    table = catalog.relation(f"{schema}.{name}")
    assert table is not None
    target = names.qualified(schema, name)
    whole: dict[str, list[str]] = {}
    for grantee, privilege in table.privileges:
        if grantee in API_ROLES:
            whole.setdefault(grantee, []).append(privilege)
    columns: dict[tuple[str, str], list[str]] = {}
    # A grants file owns the grants of its table and columns, nothing else of them.
    keys: list[tuple[str, str, tuple[str, ...] | None]] = [("table", table.qualified, ("grants",))]
    for column in table.columns:
        keys.append(("column", f"{table.qualified}.{column.name}", ("grants",)))
        for grantee, privilege in column.privileges:
            if grantee in API_ROLES and privilege not in whole.get(grantee, []):
                columns.setdefault((grantee, privilege), []).append(names.quote(column.name))
    revoke = f"revoke all on table {target} from {', '.join(API_ROLES)};\n"
    lines = [revoke.rstrip()]
    for grantee in sorted(whole):
        # Every privilege is `all`: the same file then grants 15's seven and 17's eight.
        held = sorted(whole[grantee])
        privileges = "all" if set(held) == set(catalog.table_privileges) else ", ".join(held)
        lines.append(f"grant {privileges} on table {target} to {grantee};")
    for (grantee, privilege), quoted in sorted(columns.items()):
        lines.append(f"grant {privilege} ({', '.join(quoted)}) on table {target} to {grantee};")
    if len(lines) == 1:
        return None
    return Definition(f"grants/{table.qualified}.sql", "\n".join(lines) + "\n", revoke, tuple(keys))


def _policy(p: Policy, names: _Names) -> Definition:
    target = names.qualified(p.schema, p.table)
    name = names.quote(p.name)
    lines = [
        f"drop policy if exists {name} on {target};",
        f"create policy {name} on {target}",
        f"  as {'permissive' if p.permissive else 'restrictive'}",
        f"  for {p.command}",
        f"  to {', '.join(p.roles)}",
    ]
    if p.using is not None:
        lines.append(f"  using ({p.using})")
    if p.check is not None:
        lines.append(f"  with check ({p.check})")
    lines[-1] += ";"
    return Definition(
        f"policies/{p.schema}.{p.table}.{p.name}.sql",
        "\n".join(lines) + "\n",
        f"drop policy {name} on {target};\n",
        (("policy", f"{p.schema}.{p.table}.{p.name}", None),),
    )


def read(sql_dir: Path) -> dict[str, str]:
    """The files under ``sql_dir`` by relative path (the folders of KINDS only)."""
    return {
        str(path.relative_to(sql_dir)): path.read_text()
        for kind in KINDS
        for path in sorted((sql_dir / kind).glob("*.sql"))
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
class Change:
    path: str
    action: str  # "create", "replace" or "drop"
    upgrade: str
    downgrade: str
    detail: str = ""

    @property
    def kind(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

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


def _ordered(changes: Iterable[Change], reverse: bool = False) -> list[Change]:
    return sorted(changes, key=lambda c: (KINDS.index(c.kind), c.path), reverse=reverse)


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
    owners = [(key, d.path) for d in (*current.values(), *wanted.values()) for key in d.keys]
    touched: dict[str, list[str]] = {}
    for difference in compare(before, after, ignore_unexpected=()):
        kind, name = difference.kind, difference.object
        # A grants file owns only the grants of its table and columns.
        fields = set(difference.fields) if difference.change == "changed" else None
        owner = next(
            (
                p
                for (k, n, owned), p in owners
                if (k, n) == (kind, name) and (owned is None or (fields and fields <= set(owned)))
            ),
            None,
        )
        if owner is None or owner not in files:
            raise DefinitionError(
                f"sql/ changes {kind} {name}, which no file defines",
                hint="tables, columns and types change in a migration written by hand",
            )
        touched.setdefault(owner, []).append(str(difference))
    changes = []
    for path in sorted(touched):
        action = "replace" if path in current else "create"
        downgrade = current[path].text if path in current else wanted[path].drop
        changes.append(Change(path, action, files[path], downgrade, "; ".join(touched[path])))
    for path in sorted(set(current) - set(files)):
        changes.append(Change(path, "drop", current[path].drop, current[path].text))
    return Plan(changes)


def _rank(path: str) -> tuple[int, str]:
    kind = path.split("/", 1)[0]
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), path)


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
    say: Callable[[str], None] = quiet,
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
    with scratch_database(config_path=config_path, say=say) as url:
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
