"""``database.types.ts``: what ``supabase gen types typescript`` writes, member for member.

``export type Database = { public: { Tables, Views, Functions, Enums,
CompositeTypes } }``, the helpers ``Tables<>``, ``TablesInsert<>``,
``TablesUpdate<>``, ``Enums<>``, ``CompositeTypes<>`` and ``Constants``, in
Supabase's order (English collation, columns by name) and laid out as its
formatter lays them out, so an app can switch between this file and
Supabase's without a diff beyond the documented choices (see docs/types.md):

* the columns of a ``returns table`` function may be null, because they can;
* ``isOneToOne`` is always given, as ``supabase gen types`` gives it;
* ``alembic_version`` is not the app's and is left out;
* types Supabase leaves ``unknown`` that have a JSON form (``inet``, ``oid``,
  ``money``, ``name``, ``tsvector``, ...) are typed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Protocol, TypeVar

from zora_db.typegen.collation import english_key

if TYPE_CHECKING:
    from zora_db.typegen import Options
from zora_db.typegen import layout
from zora_db.typegen.layout import (
    HARDLINE,
    LINE,
    SOFTLINE,
    WIDTH,
    Doc,
    IfBroken,
    align,
    flat,
    group,
    indent,
    join,
)
from zora_db.typegen.model import Field, FunctionShape, Relationship, Schema, Table, Type

SCALARS = {
    "bool": "boolean",
    "int": "number",
    "float": "number",
    "decimal": "number",
    "str": "string",
    "uuid": "string",
    "datetime_tz": "string",
    "datetime": "string",
    "date": "string",
    "time": "string",
    "timedelta": "string",
    "bytes": "string",
    "json": "Json",
    "void": "undefined",
    "record": "Record<string, unknown>",
    "unknown": "unknown",
}

JSON_TYPE = """\
export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]
"""

# Supabase's helper types, as its generator writes them (default schema public).
HELPERS = files("zora_db").joinpath("typegen/helpers.ts").read_text(encoding="utf-8")

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class _Ts:
    """A TypeScript type and what kind of node it is (the formatter treats kinds apart)."""

    doc: Doc
    kind: str = "keyword"  # keyword, literal, reference, indexed, array, object, union


_NULL = _Ts("null")


def render(schemas: tuple[Schema, ...], header: str, options: Options) -> str:
    postgrest_version = options.postgrest_version
    members: list[Doc] = []
    if postgrest_version:
        members.append(
            [
                "// Allows to automatically instantiate createClient with right options",
                HARDLINE,
                "// instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)",
                HARDLINE,
                _prop(
                    "__InternalSupabase",
                    _object([_prop("PostgrestVersion", _string(postgrest_version))], True),
                ),
            ]
        )
    members += [_prop(s.name, _schema(s)) for s in schemas]
    database = ["export type Database = ", _object(members, True)]
    constants = [
        "export const Constants = ",
        _literal_object(
            [
                (
                    s.name,
                    _literal_object(
                        [
                            (
                                "Enums",
                                _literal_object(
                                    [
                                        (e.name, _array([_string(v) for v in e.values]))
                                        for e in _sorted(s.enums)
                                    ]
                                ),
                            )
                        ]
                    ),
                )
                for s in schemas
            ]
        ),
        " as const",
    ]
    return "\n".join(
        [
            f"// {header}",
            "",
            JSON_TYPE,
            layout.render(database),
            "",
            HELPERS.strip(),
            "",
            layout.render(constants),
            "",
        ]
    )


# --------------------------------------------------------------------------- layout pieces


def _key(name: str) -> str:
    return name if _IDENTIFIER.fullmatch(name) else _string(name)


def _string(value: str) -> str:
    """A string literal with the formatter's choice of quotes (fewer escapes wins)."""
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    if value.count('"') > value.count("'"):
        return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"
    return f'"{body}"'


def _object(members: list[Doc], expanded: bool = False) -> Doc:
    """An object type: on one line when it fits (and was not written expanded)."""
    if not members:
        return "{}"
    inner = join(
        [IfBroken("", ";"), LINE], [m if isinstance(m, str) else group(m) for m in members]
    )
    return group("{", indent(LINE, inner), LINE, "}", broken=expanded)


def _literal_object(members: list[tuple[str, Doc]]) -> Doc:
    """An object literal, written expanded."""
    if not members:
        return "{}"
    inner = join([",", LINE], [group(_key(k), ": ", v) for k, v in members])
    return group("{", indent(LINE, inner), IfBroken(","), LINE, "}", broken=True)


def _array(items: list[Doc]) -> Doc:
    """An array literal or tuple type: one line when it fits, else one item a line."""
    if not items:
        return "[]"
    return group("[", indent(SOFTLINE, join([",", LINE], items)), IfBroken(","), SOFTLINE, "]")


# No member is indented deeper than this, so a line this much shorter than the
# width fits wherever it is printed, and can be text rather than a document:
# most of a large schema's lines, which keeps printing fast and small.
_DEEPEST = 16


def _prop(name: str, value: Doc, optional: bool = False) -> Doc:
    member: list[Doc] = [_key(name), "?" if optional else "", ": ", value]
    text = flat(member)
    if text is not None and len(text) <= WIDTH - _DEEPEST:
        return text
    return member


def _union(members: list[_Ts]) -> _Ts:
    if len(members) == 1:
        return members[0]
    others = [m for m in members if m is not _NULL]
    if len(others) == 1 and others[0].kind in ("object", "reference"):  # hugged: `{...} | null`
        return _Ts(join(" | ", [m.doc for m in members]), "union")
    code: list[Doc] = [
        IfBroken([LINE, "| "]),
        join([LINE, "| "], [align(2, m.doc) for m in members]),
    ]
    return _Ts(group(indent(code)), "union")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _sorted(items: tuple[_N, ...] | list[_N]) -> list[_N]:
    """By name, as Supabase's generator orders everything."""
    return sorted(items, key=lambda item: english_key(item.name))


# --------------------------------------------------------------------------- types


def _type(schema: str, t: Type) -> _Ts:
    if t.array_of is not None:
        # One level, whatever the declared dimensions: PostgreSQL does not enforce them.
        inner = _type(schema, _element(t.array_of))
        if inner.kind == "union":
            return _Ts(["(", inner.doc, ")[]"], "array")
        return _Ts([inner.doc, "[]"], "array")
    base = f"Database[{_string(schema)}]"
    if t.enum:
        return _Ts(f'{base}["Enums"][{_string(t.enum)}]', "indexed")
    if t.composite:
        return _Ts(f'{base}["CompositeTypes"][{_string(t.composite)}]', "indexed")
    if t.row:
        kind = "Views" if t.row_of_view else "Tables"
        return _Ts(f'{base}["{kind}"][{_string(t.row)}]["Row"]', "indexed")
    scalar = SCALARS[t.scalar or "unknown"]
    return _Ts(scalar, "reference" if scalar[0].isupper() else "keyword")


def _element(t: Type) -> Type:
    return _element(t.array_of) if t.array_of is not None else t


def _nullable(t: _Ts, nullable: bool) -> _Ts:
    if t.doc == "Json" and not nullable:  # Json includes null; the column does not
        return _Ts("NonNullable<Json>", "reference")
    if not nullable or t.doc == "unknown":  # unknown already includes null
        return t
    return _union([t, _NULL])


def _column(schema: str, f: Field, *, optional: bool = False, nullable: bool | None = None) -> Doc:
    t = _nullable(_type(schema, f.type), f.nullable if nullable is None else nullable)
    return _prop(f.name, t.doc, optional)


# --------------------------------------------------------------------------- sections


def _schema(schema: Schema) -> Doc:
    functions: dict[str, list[FunctionShape]] = {}
    # Functions of one row alone, by its table: PostgREST selects them like columns.
    computed: dict[str, list[FunctionShape]] = {}
    for function in sorted(schema.functions, key=lambda f: english_key(f.name)):
        functions.setdefault(function.name, []).append(function)
        if len(function.args) == 1 and function.args[0].type.row:
            computed.setdefault(function.args[0].type.row, []).append(function)
    sections = [
        ("Tables", [_prop(t.name, _table(schema, t, computed)) for t in _sorted(schema.tables)]),
        ("Views", [_prop(v.name, _table(schema, v, computed)) for v in _sorted(schema.views)]),
        ("Functions", [_prop(n, _overloads(schema, fs)) for n, fs in functions.items()]),
        (
            "Enums",
            [
                _prop(e.name, _union([_Ts(_string(v), "literal") for v in e.values]).doc)
                for e in _sorted(schema.enums)
            ],
        ),
        (
            "CompositeTypes",
            [
                _prop(
                    c.name,
                    _object([_column(schema.name, f, nullable=True) for f in c.fields], True),
                )
                for c in _sorted(schema.composites)
            ],
        ),
    ]
    return _object(
        [_prop(name, _object(m or ["[_ in never]: never"], True)) for name, m in sections], True
    )


def _table(schema: Schema, table: Table, computed: dict[str, list[FunctionShape]]) -> Doc:
    columns = _sorted(table.fields)
    row = [_column(schema.name, f) for f in columns]
    row += [
        _prop(f.name, _nullable(_returns(schema, f), True).doc)
        for f in computed.get(table.name, ())
    ]
    members = [_prop("Row", _object(row, True))]
    if not table.is_view:
        members += [
            _prop(
                "Insert",
                _object([_written(schema, f, f.optional_on_insert) for f in columns], True),
            ),
            _prop("Update", _object([_written(schema, f, True) for f in columns], True)),
        ]
    else:  # a view's writable columns may always be left out, and be null
        writes = [_written(schema, f, True, nullable=True) for f in columns]
        members += [_prop("Insert", _object(writes, True))] if table.insertable else []
        members += [_prop("Update", _object(writes, True))] if table.updatable else []
    typed = [r for r in table.relationships if not r.hidden_by_rls]
    members += [_left_out(r) for r in table.relationships if r.hidden_by_rls]
    members.append(_prop("Relationships", _array([_relationship(r) for r in typed])))
    return _object(members, True)


LEFT_OUT = "not typed, RLS can hide that row"


def _left_out(r: Relationship) -> Doc:
    """A relationship whose embed RLS can empty: said where a reader of the types looks.

    supabase-js types a many-to-one embed as a row, never null, and reads both
    directions of an embed from one entry: the entry goes, and this says why.
    """
    return f"// {r.foreign_key} → {r.referenced_relation}: {LEFT_OUT} ({r.hidden_by_rls})"


def _written(schema: Schema, f: Field, optional: bool, nullable: bool | None = None) -> Doc:
    if f.generated:
        return _prop(f.name, "never", optional=True)
    return _column(schema.name, f, optional=optional, nullable=nullable)


def _relationship(r: Relationship) -> Doc:
    return _object(
        [
            _prop("foreignKeyName", _string(r.foreign_key)),
            _prop("columns", _array([_string(c) for c in r.columns])),
            _prop("isOneToOne", "true" if r.one_to_one else "false"),
            _prop("referencedRelation", _string(r.referenced_relation)),
            _prop("referencedColumns", _array([_string(c) for c in r.referenced_columns])),
        ],
        True,
    )


def _overloads(schema: Schema, functions: list[FunctionShape]) -> Doc:
    ordered = sorted(functions, key=lambda f: english_key(f.signature))
    return _union([_Ts(_signature(schema, f), "object") for f in ordered]).doc


def _signature(schema: Schema, f: FunctionShape) -> Doc:
    if f.args:
        args = _object(
            [
                _prop(a.name, _type(schema.name, a.type).doc, a.optional_on_insert)
                for a in sorted(f.args, key=lambda a: english_key(a.name))
            ]
        )
    else:
        args = "Record<PropertyKey, never>"
    returns = _returns(schema, f)
    target = _row_name(f.returns)
    members = [_prop("Args", args)]
    if f.row_argument and not f.args[0].name and not target:
        # Only PostgREST's select can pass it a row: rpc() of it fails, so its type says so.
        refusal = (
            f"{schema.name}.{f.name} takes a row of {schema.name}.{f.row_argument}: "
            f"select it as a column of {f.row_argument}, rpc() cannot call it"
        )
        error = _object([_prop("error", "true")])
        members.append(_prop("Returns", group(error, " & ", _string(refusal))))
    elif f.returns_set and not (f.one_row and target):
        members.append(_prop("Returns", [returns.doc, "[]"]))
    else:
        members.append(_prop("Returns", returns.doc))
    if target:  # what .rpc(...).select() may embed from
        members.append(
            _prop(
                "SetofOptions",
                _object(
                    [
                        _prop("from", _string(f.row_argument or "*")),
                        _prop("to", _string(target)),
                        _prop("isOneToOne", "true" if f.one_row else "false"),
                        _prop("isSetofReturn", "true" if f.returns_set else "false"),
                    ],
                    True,
                ),
            )
        )
    return _object(members)


def _row_name(t: Type) -> str | None:
    return t.row or t.composite


def _returns(schema: Schema, f: FunctionShape) -> _Ts:
    if f.returns_table:  # deliberately nullable: nothing stops a null in these columns
        columns = sorted(f.returns_table, key=lambda c: english_key(c.name))
        return _Ts(_object([_column(schema.name, c) for c in columns], True), "object")
    relation = next((t for t in (*schema.tables, *schema.views) if t.name == f.returns.row), None)
    if relation is not None:
        return _Ts(
            _object([_column(schema.name, c) for c in _sorted(relation.fields)], True), "object"
        )
    return _type(schema.name, f.returns)
