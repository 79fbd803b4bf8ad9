"""The catalog seen as types: what every language's generator renders.

One pass over a ``Catalog`` decides, once for all languages, what each
column, attribute and argument is (a scalar, an enum, a composite type, a
table's row, an array of one of those), whether it may be null, whether an
insert may leave it out, and which constraints a validator can carry
(length, digits, simple ranges). The generators only spell it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from itertools import product

from zora_db.catalog import (
    Catalog,
    Column,
    Constraint,
    Domain,
    Function,
    Policy,
    Relation,
    TypeRef,
)
from zora_db.contract import UNTYPED_EMBEDS
from zora_db.typegen.collation import english_key

# Tables in the app's schema that are not the app's: Alembic's bookkeeping.
NOT_THE_APPS = frozenset({"alembic_version"})
# The roles the apps' requests run as (service_role bypasses row level security).
API_READERS = ("anon", "authenticated")
# Argument types PostgREST passes a whole request body to when unnamed.
_BODY_TYPES = frozenset({"json", "jsonb", "text"})

# PostgreSQL base type → a language-neutral scalar.
SCALARS = {
    "bool": "bool",
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "oid": "int",
    "float4": "float",
    "float8": "float",
    "numeric": "decimal",
    "money": "decimal",
    "text": "str",
    "varchar": "str",
    "bpchar": "str",
    "char": "str",
    "name": "str",
    "citext": "str",
    "inet": "str",
    "cidr": "str",
    "macaddr": "str",
    "tsvector": "str",
    "uuid": "uuid",
    "timestamptz": "datetime_tz",
    "timestamp": "datetime",
    "date": "date",
    "time": "time",
    "timetz": "time",
    "interval": "timedelta",
    "json": "json",
    "jsonb": "json",
    "bytea": "bytes",
    "void": "void",
    "record": "record",
}


@dataclass(frozen=True)
class Type:
    """What a value is. Exactly one of scalar, enum, composite, row is set."""

    scalar: str | None = None  # a value of SCALARS, or "unknown"
    enum: str | None = None  # the enum's name
    composite: str | None = None  # the composite type's name
    row: str | None = None  # a table's or view's name: its Row type
    row_of_view: bool = False
    array_of: Type | None = None


@dataclass(frozen=True)
class Bounds:
    """What a validator can check: from typmods, domains and simple CHECKs."""

    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    ge: str | None = None  # numbers as PostgreSQL prints them
    le: str | None = None
    gt: str | None = None
    lt: str | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    nullable: bool
    optional_on_insert: bool = False  # a default, identity or null will do
    generated: bool = False  # never written: absent from Insert and Update
    comment: str | None = None
    bounds: Bounds = Bounds()


@dataclass(frozen=True)
class Relationship:
    """A foreign key as PostgREST embeds along it, also through views' columns."""

    foreign_key: str
    columns: tuple[str, ...]
    one_to_one: bool
    referenced_relation: str
    referenced_columns: tuple[str, ...]
    # Why row level security can hide the referenced row from someone who reads
    # the referencing one ("" when it cannot): such an embed is not typed.
    hidden_by_rls: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    fields: tuple[Field, ...]  # in column order; ``generated``: a view's unwritable column
    comment: str | None
    is_view: bool
    relationships: tuple[Relationship, ...] = ()  # in Supabase's order
    insertable: bool = True  # views: PostgREST can insert through it
    updatable: bool = True


@dataclass(frozen=True)
class FunctionShape:
    name: str
    args: tuple[Field, ...]  # input arguments, "" for an unnamed one; optional: has a default
    returns: Type
    returns_set: bool
    returns_table: tuple[Field, ...]  # the columns of ``returns table (...)``
    comment: str | None
    signature: str = ""  # the identity arguments: orders overloads
    estimated_rows: float | None = None  # ROWS of a set-returning function
    row_argument: str | None = None  # the only argument is this relation's row

    @property
    def named(self) -> bool:
        """Whether every argument has a name (what a language's keyword call needs)."""
        return all(a.name for a in self.args)

    @property
    def one_row(self) -> bool:
        """Whether PostgREST answers with one row: not a set, or a set of ROWS 1."""
        return not (self.estimated_rows is not None and self.estimated_rows > 1)


@dataclass(frozen=True)
class EnumShape:
    name: str
    values: tuple[str, ...]
    comment: str | None


@dataclass(frozen=True)
class CompositeShape:
    name: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Schema:
    """One schema's types, each list sorted by name."""

    name: str
    tables: tuple[Table, ...] = ()
    views: tuple[Table, ...] = ()
    functions: tuple[FunctionShape, ...] = ()  # overloads adjacent
    enums: tuple[EnumShape, ...] = ()
    composites: tuple[CompositeShape, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what could not be typed, and why


def build(catalog: Catalog, schema: str = "public") -> Schema:
    """The types of ``schema`` as the generators need them."""
    return _Builder(catalog, schema).schema()


# CHECK (col >= 1), CHECK ((col >= 1) AND (col <= 5)), CHECK (length(col) <= 2000),
# and VALUE in domains; numbers may carry a cast: (0)::numeric.
_COMPARISON = re.compile(
    r"\(*(?P<subject>length\((?P<lcol>\w+)\)|(?P<col>\w+))\s*(?P<op>>=|<=|>|<)\s*"
    r"\(*(?P<number>-?\d+(?:\.\d+)?)\)*(?:::[\w ]+)?\)*"
)


def simple_bounds(definition: str, column: str) -> dict[str, str] | None:
    """Bounds of a CHECK that is only comparisons of ``column`` with numbers, ANDed."""
    body = definition.removeprefix("CHECK ").strip()
    parts = [p.strip() for p in re.split(r"\s+AND\s+", body)]
    found: dict[str, str] = {}
    names = {">=": "ge", "<=": "le", ">": "gt", "<": "lt"}
    for part in parts:
        match = _COMPARISON.fullmatch(part)
        if not match:
            return None
        if match["lcol"]:
            if match["lcol"] != column or match["op"] not in ("<=", "<"):
                return None
            limit = int(float(match["number"])) - (match["op"] == "<")
            found["max_length"] = str(limit)
        elif match["col"] in (column, "VALUE"):
            found[names[match["op"]]] = match["number"]
        else:
            return None
    return found


class _Builder:
    def __init__(self, catalog: Catalog, schema: str) -> None:
        self.catalog = catalog
        self.name = schema
        self.enums = {e.name for e in catalog.enums if e.schema == schema}
        self.composites = {c.name for c in catalog.composite_types if c.schema == schema}
        self.domains = {(d.schema, d.name): d for d in catalog.domains}
        self.relations = {r.name: r.kind for r in catalog.relations if r.schema == schema}
        # Constraints by table, once: never a scan of all constraints per table.
        self.constraints: dict[str, list[Constraint]] = {}
        for k in catalog.constraints:
            if k.schema == schema:
                self.constraints.setdefault(k.table, []).append(k)
        # The API roles that read every row of each relation, once: the relationships ask per key.
        policies: dict[str, list[Policy]] = {}
        for p in catalog.policies:
            if p.schema == schema:
                policies.setdefault(p.table, []).append(p)
        self.read_in_full = {
            r.name: frozenset(role for role in API_READERS if _reads_in_full(r, policies, role))
            for r in catalog.relations
            if r.schema == schema
        }
        self.notes: list[str] = []
        self.relationships: dict[str, tuple[Relationship, ...]] = {}

    def schema(self) -> Schema:
        relations = [
            r
            for r in self.catalog.relations
            if r.schema == self.name and r.name not in NOT_THE_APPS
        ]
        self.relationships = self._all_relationships(relations)
        tables = tuple(
            self.table(r)
            for r in relations
            if r.kind in ("table", "partitioned table", "foreign table")
        )
        views = tuple(self.table(r) for r in relations if r.kind in ("view", "materialized view"))
        functions = tuple(
            self.function(f)
            for f in self.catalog.functions
            if f.schema == self.name
            and f.kind == "function"
            and not any(a.type_ref.name == "trigger" for a in f.arguments)
            and f.return_type_ref.name not in ("trigger", "event_trigger")
            and self._callable(f)
        )
        enums = tuple(
            EnumShape(e.name, e.values, e.comment)
            for e in self.catalog.enums
            if e.schema == self.name
        )
        composites = tuple(
            CompositeShape(c.name, tuple(self.field(a, ()) for a in c.attributes))
            for c in self.catalog.composite_types
            if c.schema == self.name
        )
        return Schema(self.name, tables, views, functions, enums, composites, tuple(self.notes))

    def _callable(self, function: Function) -> bool:
        """Whether PostgREST exposes it: the rules of its schema cache, as Supabase reads them."""
        inputs = function.inputs
        unnamed = [a for a in inputs if not a.name]
        if not unnamed:
            return True
        if all(a.has_default and a.type_ref.name in _BODY_TYPES for a in unnamed):
            return True
        return len(inputs) == 1 and (
            inputs[0].type_ref.name in _BODY_TYPES or inputs[0].type_ref.relation
        )

    def function(self, f: Function) -> FunctionShape:
        single = f.arguments[0].type_ref if len(f.arguments) == 1 else None
        return FunctionShape(
            f.name,
            tuple(
                Field(
                    a.name or "",
                    self.type(a.type_ref),
                    nullable=False,
                    optional_on_insert=a.has_default,
                )
                for a in f.inputs
            ),
            self.type(f.return_type_ref),
            f.returns_set,
            tuple(
                Field(a.name or f"column{i}", self.type(a.type_ref), nullable=True)
                for i, a in enumerate(f.outputs, 1)
            )
            if f.return_type_ref.name == "record"
            else (),
            f.comment,
            f.identity_arguments,
            f.estimated_rows,
            single.name if single is not None and self._is_row(single) else None,
        )

    def _is_row(self, ref: TypeRef) -> bool:
        """A table's, view's or composite type's row (what SetofOptions can name)."""
        return ref.schema == self.name and (
            ref.name in self.relations or ref.name in self.composites
        )

    def table(self, relation: Relation) -> Table:
        checks = tuple(k for k in self.constraints.get(relation.name, ()) if k.kind == "check")
        fields = tuple(self.field(c, checks) for c in relation.columns)
        is_view = relation.kind in ("view", "materialized view")
        if is_view:  # what a view's insert or update may not set is "generated" for it
            fields = tuple(
                replace(f, generated=not c.writable)
                for f, c in zip(fields, relation.columns, strict=True)
            )
        return Table(
            relation.name,
            fields,
            relation.comment,
            is_view,
            self.relationships.get(relation.name, ()),
            relation.insertable,
            relation.updatable,
        )

    def field(self, column: Column, checks: tuple[Constraint, ...]) -> Field:
        domain = self.domains.get((column.type_ref.schema, column.type_ref.name))
        bounds = self.bounds(column, domain, checks)
        kind = self.type(column.type_ref)
        for _ in range(column.array_dimensions - 1):  # declared int[][]: nested lists
            kind = Type(array_of=kind)
        return Field(
            column.name,
            kind,
            nullable=column.nullable and (domain is None or domain.nullable),
            optional_on_insert=(
                column.nullable or column.default is not None or column.identity is not None
            ),
            generated=column.generated or column.identity == "always",
            comment=column.comment,
            bounds=bounds,
        )

    def bounds(
        self, column: Column, domain: Domain | None, checks: tuple[Constraint, ...]
    ) -> Bounds:
        found: dict[str, str] = {}
        for definition in (*(domain.checks if domain else ()), *self._own(column, checks)):
            found.update(simple_bounds(definition, column.name) or {})
        source = domain or column
        length = source.max_length or (int(found["max_length"]) if "max_length" in found else None)
        places = source.numeric_scale if source.numeric_precision else None
        return Bounds(
            max_length=length,
            max_digits=source.numeric_precision if places is not None else None,
            decimal_places=places,
            ge=found.get("ge"),
            le=found.get("le"),
            gt=found.get("gt"),
            lt=found.get("lt"),
        )

    @staticmethod
    def _own(column: Column, checks: tuple[Constraint, ...]) -> list[str]:
        return [k.definition for k in checks if k.columns == (column.name,)]

    def type(self, ref: TypeRef) -> Type:
        if ref.element is not None:
            return Type(array_of=self.type(ref.element))
        if (ref.schema, ref.name) in self.domains:
            domain = self.domains[ref.schema, ref.name]
            return Type(scalar=SCALARS.get(domain.base_type_name, "unknown"))
        if ref.schema == self.name and ref.name in self.enums:
            return Type(enum=ref.name)
        if ref.schema == self.name and ref.name in self.composites:
            return Type(composite=ref.name)
        if ref.relation and ref.schema == self.name and ref.name in self.relations:
            return Type(row=ref.name, row_of_view="view" in self.relations[ref.name])
        if ref.schema == "pg_catalog" and ref.name in SCALARS:
            return Type(scalar=SCALARS[ref.name])
        self.notes.append(f"{ref.qualified} has no mapping: typed as unknown")
        return Type(scalar="unknown")

    def _all_relationships(self, relations: list[Relation]) -> dict[str, tuple[Relationship, ...]]:
        """Each relation's relationships: its foreign keys, and those its views' columns carry.

        A view that shows every column of a foreign key (or of the key it
        references) lets PostgREST embed along that key through the view,
        once for each choice of view columns; views of views count too.
        """
        views = {r.name: r for r in relations if r.sources}
        shown = {name: self._shown_columns(view, views) for name, view in views.items()}

        def ways(table: str, columns: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
            """The relation itself, and every view showing all of ``columns`` of ``table``."""
            found = [(table, columns)]
            for name, origin in shown.items():
                choices = [origin.get((table, c), []) for c in columns]
                found += [(name, combo) for combo in product(*choices)]
            return found

        by_relation: dict[str, list[Relationship]] = {}
        for table, keys in self.constraints.items():
            unique = {k.columns for k in keys if k.kind in ("primary key", "unique")}
            for k in keys:
                if k.kind != "foreign key" or k.ref_schema != self.name or not k.ref_table:
                    continue
                hidden = UNTYPED_EMBEDS.get(k.name) or self._hidden_by_rls(table, k.ref_table)
                for source, columns in ways(table, k.columns):
                    for target, referenced in ways(k.ref_table, k.ref_columns):
                        by_relation.setdefault(source, []).append(
                            Relationship(
                                k.name, columns, k.columns in unique, target, referenced, hidden
                            )
                        )
        return {
            name: tuple(
                sorted(
                    found,
                    key=lambda r: (
                        english_key(r.foreign_key),
                        english_key(r.referenced_relation),
                        english_key(json.dumps(list(r.referenced_columns), separators=(",", ":"))),
                    ),
                )
            )
            for name, found in by_relation.items()
        }

    def _hidden_by_rls(self, table: str, referenced: str) -> str:
        """Why a reader of ``table`` can be shown a row whose ``referenced`` row RLS hides.

        Decided from the catalog where it is certain: a role that reads every
        row of ``table`` sees references to every row of ``referenced``, so
        unless it also reads every one of those, some embed comes back null
        while supabase-js types it as a row. Where a role reads only some rows
        (its own orders), the policies are meant to show it what those rows
        point at; ``zora-db verify`` checks that on the demo data, and the
        contract's ``UNTYPED_EMBEDS`` names those that do not.
        """
        full = self.read_in_full
        for role in API_READERS:
            if role in full.get(table, ()) and role not in full.get(referenced, ()):
                return f"{role} reads every row of {table}, not every row of {referenced}"
        return ""

    def _shown_columns(
        self, view: Relation, views: dict[str, Relation]
    ) -> dict[tuple[str, str], list[str]]:
        """(table, column) → the view's columns that show it, through views of views."""
        shown: dict[tuple[str, str], list[str]] = {}
        for source in view.sources:
            if source.schema != self.name:
                continue
            relation, column, seen = source.relation, source.relation_column, {view.name}
            while relation in views and relation not in seen:  # follow views to the table
                seen.add(relation)
                inner = next((s for s in views[relation].sources if s.column == column), None)
                if inner is None:
                    break
                relation, column = inner.relation, inner.relation_column
            shown.setdefault((relation, column), []).append(source.column)
        return shown


def _reads_in_full(relation: Relation, policies: dict[str, list[Policy]], role: str) -> bool:
    """``role`` may select ``relation`` and no row level security narrows it."""
    granted = set(relation.privileges)
    if not granted & {(role, "select"), ("public", "select")}:
        return False
    if not relation.rls_enabled:
        return True
    return any(
        p.permissive
        and p.command in ("select", "all")
        and bool({role, "public"} & set(p.roles))
        and (p.using or "").strip() == "true"
        for p in policies.get(relation.name, ())
    )
