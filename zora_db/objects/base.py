"""What every kind of schema object is made of: how it is read, compared and written.

A :class:`Kind` ties together, for one kind of object, the catalog query
that reads it, the identity drift compares it under, the facts drift
compares, and the file ``sql/`` holds for it. ``catalog``, ``drift`` and
``definitions`` only loop over the kinds (``zora_db.objects.KINDS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg.rows import dict_row

if TYPE_CHECKING:
    from zora_db.catalog import Catalog

T = TypeVar("T")

# The roles PostgREST switches to: every grant sql/ writes is to one of them.
API_ROLES = ("anon", "authenticated", "service_role")

# A drift identity: the kind it is compared as, and its qualified name
# ("policy", "public.orders.orders_select"). Drift and sql/ both take it from
# the kind's own ``key`` function, so they cannot disagree.
Key = tuple[str, str]
# What drift compares of one object: its key and its fields.
Compared = tuple[Key, dict[str, Any]]

# Appended to a query's WHERE: leaves out what an extension created (pg_depend
# deptype 'e'); such objects are the extension's, not the schema's.
NOT_FROM_EXTENSION = """
not exists (select from pg_catalog.pg_depend d
            where d.classid = '{catalog}'::regclass and d.objid = {oid} and d.deptype = 'e')
"""


class CatalogReader:
    """Runs the catalog's queries, each at most once, and counts those it ran.

    A query two kinds need (a composite type's attributes are read with
    every relation's columns) runs once: its result is kept by ``once``.
    """

    def __init__(self, conn: psycopg.Connection[Any], params: dict[str, Any]) -> None:
        self.conn = conn
        self.params = params  # %(schemas)s and the like, for every query
        self.queries = 0
        self._kept: dict[Callable[..., Any], Any] = {}

    def rows(self, query: str) -> list[dict[str, Any]]:
        self.queries += 1
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, self.params)
            return cur.fetchall()

    def once(self, read: Callable[[CatalogReader], T]) -> T:
        """``read(self)``, the first time it is asked for; the same result after."""
        if read not in self._kept:
            self._kept[read] = read(self)
        kept: T = self._kept[read]
        return kept


@dataclass(frozen=True)
class Owned:
    """What a file under sql/ defines: a drift identity, all of it or only some fields."""

    key: Key
    fields: tuple[str, ...] | None = None  # None: every field

    def covers(self, key: Key, changed: set[str] | None) -> bool:
        """Whether a difference of ``key`` (in ``changed`` fields; None: it appeared
        or went) is this file's to make."""
        if key != self.key:
            return False
        return self.fields is None or bool(changed and changed <= set(self.fields))


@dataclass(frozen=True)
class Definition:
    """One file under sql/: how it creates (or replaces) its object, and drops it."""

    path: str  # relative to sql/, e.g. "policies/public.orders.orders_select.sql"
    text: str
    drop: str
    owns: tuple[Owned, ...]

    @property
    def folder(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass(frozen=True)
class Names:
    """Identifiers as PostgreSQL's quote_ident writes them: quoted only where they must be."""

    keywords: frozenset[str]  # the server's words that are not unreserved

    def quote(self, name: str) -> str:
        if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in self.keywords:
            return name
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _reads_nothing(_reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {}


def _compares_nothing(_catalog: Catalog) -> Iterable[Compared]:
    return ()


def _no_files(_catalog: Catalog, _names: Names) -> Iterable[Definition]:
    return ()


@dataclass(frozen=True)
class Kind:
    """One kind of schema object.

    ``read`` runs the kind's catalog-wide queries (never one per object) and
    returns the catalog's tuples it fills, by name; ``compared`` says, object
    by object, what drift compares; ``files`` writes the kind's folder of sql/
    (``folder``), when it has one.
    """

    name: str  # how drift names it, when it names it one way: "policy"
    read: Callable[[CatalogReader], dict[str, tuple[Any, ...]]] = _reads_nothing
    compared: Callable[[Catalog], Iterable[Compared]] = _compares_nothing
    folder: str | None = None  # sql/<folder>/
    files: Callable[[Catalog, Names], Iterable[Definition]] = _no_files
    # Extra objects of this kind in a database are not ours to judge: Supabase
    # installs extensions and publications of its own.
    one_sided: bool = False
