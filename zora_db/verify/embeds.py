"""Embeds the types offer come back as rows: RLS hides no referenced row from a reader.

supabase-js types an embed along a NOT NULL foreign key (``orders →
profiles(full_name)``) as a row, never null; PostgREST answers null when row
level security hides the referenced row from the caller. So for each
many-to-one relationship the generated types keep, and each actor, every row
of the referencing table the actor reads must point at a row the actor reads
too. An embed that hides rows must be fixed in the policies, or named in the
contract's ``UNTYPED_EMBEDS`` so that the types leave it out.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from psycopg import errors, sql

from zora_db.catalog import Catalog
from zora_db.typegen.model import Relationship, build
from zora_db.verify.actors import ACTORS, Actor
from zora_db.verify.probes import Conn, Probe, ProbeFailed, expect, rows

SCHEMA = "public"


def typed_embeds(catalog: Catalog) -> Iterator[tuple[str, Relationship]]:
    """(table, relationship): the foreign keys between tables the types let apps embed."""
    schema = build(catalog, SCHEMA)
    tables = {t.name for t in schema.tables}
    for table in schema.tables:
        for relationship in table.relationships:
            if not relationship.hidden_by_rls and relationship.referenced_relation in tables:
                yield table.name, relationship


def embed_probes(catalog: Catalog) -> Iterator[Probe]:
    for table, relationship in typed_embeds(catalog):
        target = relationship.referenced_relation
        for actor in ACTORS:
            yield Probe(
                f"{actor.key} embeds {target} in {table} ({relationship.foreign_key})",
                f"every {table} row {actor.key} reads points at a {target} row they read",
                partial(_no_hidden_row, table, relationship, actor),
            )


def _no_hidden_row(
    table: str, relationship: Relationship, actor: Actor, conn: Conn, _: dict[str, Any]
) -> None:
    pairs = list(zip(relationship.columns, relationship.referenced_columns, strict=True))
    statement = sql.SQL(
        "select count(*) from {table} a where {present}"
        " and not exists (select from {target} b where {joined})"
    ).format(
        table=sql.Identifier(SCHEMA, table),
        target=sql.Identifier(SCHEMA, relationship.referenced_relation),
        present=sql.SQL(" and ").join(
            sql.SQL("a.{} is not null").format(sql.Identifier(c)) for c, _ in pairs
        ),
        joined=sql.SQL(" and ").join(
            sql.SQL("b.{} = a.{}").format(sql.Identifier(r), sql.Identifier(c)) for c, r in pairs
        ),
    )
    readable = sql.SQL("select 1 from {} limit 1").format(sql.Identifier(SCHEMA, table))
    try:
        with conn.transaction():
            if not rows(conn, actor, readable):
                return  # the actor reads no row of the table: nothing to embed in
    except errors.InsufficientPrivilege:
        return
    try:
        with conn.transaction():
            ((hidden,),) = rows(conn, actor, statement)
    except errors.InsufficientPrivilege as exc:
        raise ProbeFailed(
            f"{actor.key} reads {table} but may not read {relationship.referenced_relation} "
            f"at all ({exc.diag.message_primary}): the embed fails for them"
        ) from exc
    expect(
        hidden == 0,
        f"{actor.key} reads {hidden} {table} rows whose {relationship.referenced_relation} row "
        "RLS hides, which supabase-js types as never null: let the policies show it, "
        f"or add {relationship.foreign_key} to the contract's UNTYPED_EMBEDS",
    )
