"""``database.types.ts``: the shape Supabase's own generator writes.

``export type Database = { public: { Tables, Views, Functions, Enums,
CompositeTypes } }`` and the helpers ``Tables<>``, ``TablesInsert<>``,
``TablesUpdate<>``, ``Enums<>``, ``CompositeTypes<>`` and ``Constants``, so
``createClient<Database>()`` types every query and the apps can switch
between this file and ``supabase gen types`` without changing a line.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files

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

# Supabase's helper types, as its generator writes them (any schema, default public).
HELPERS = files("zora_db").joinpath("typegen/helpers.ts").read_text(encoding="utf-8")

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def render(schemas: tuple[Schema, ...], header: str) -> str:
    out = [f"// {header}", "", JSON_TYPE, "export type Database = {"]
    for schema in schemas:
        out += _schema(schema)
    out += ["}", "", HELPERS, _constants(schemas)]
    return "\n".join(out)


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def _doc(comment: str | None, indent: str) -> list[str]:
    if not comment:
        return []
    lines = comment.replace("*/", "* /").splitlines()
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}".rstrip() for line in lines), f"{indent} */"]


def _empty(indent: str) -> list[str]:
    return [f"{indent}  [_ in never]: never"]


def _schema(schema: Schema) -> list[str]:
    ind = "    "
    out = [f"  {_key(schema.name)}: {{", f"{ind}Tables: {{"]
    for table in schema.tables:
        out += _table(schema.name, table, ind + "  ")
    out += _empty(ind) if not schema.tables else []
    out += [f"{ind}}}", f"{ind}Views: {{"]
    for view in schema.views:
        out += _table(schema.name, view, ind + "  ")
    out += _empty(ind) if not schema.views else []
    out += [f"{ind}}}", f"{ind}Functions: {{"]
    by_name: dict[str, list[FunctionShape]] = {}
    for function in schema.functions:
        by_name.setdefault(function.name, []).append(function)
    for name, overloads in by_name.items():
        out += _function(schema.name, name, overloads, ind + "  ")
    out += _empty(ind) if not by_name else []
    out += [f"{ind}}}", f"{ind}Enums: {{"]
    for enum in schema.enums:
        out += _doc(enum.comment, ind + "  ")
        values = " | ".join(json.dumps(v) for v in enum.values) or "never"
        out.append(f"{ind}  {_key(enum.name)}: {values}")
    out += _empty(ind) if not schema.enums else []
    out += [f"{ind}}}", f"{ind}CompositeTypes: {{"]
    for composite in schema.composites:
        out.append(f"{ind}  {_key(composite.name)}: {{")
        out += _fields(schema.name, composite.fields, ind + "    ", mode="row")
        out.append(f"{ind}  }}")
    out += _empty(ind) if not schema.composites else []
    out += [f"{ind}}}", "  }"]
    return out


def _table(schema: str, table: Table, ind: str) -> list[str]:
    out = [*_doc(table.comment, ind), f"{ind}{_key(table.name)}: {{"]
    modes = ("row",) if table.is_view else ("row", "insert", "update")
    for mode in modes:
        out.append(f"{ind}  {mode.capitalize()}: {{")
        out += _fields(schema, table.fields, ind + "    ", mode)
        out.append(f"{ind}  }}")
    out += _relationships(table.relationships, ind + "  ")
    out.append(f"{ind}}}")
    return out


def _fields(schema: str, fields: tuple[Field, ...], ind: str, mode: str) -> list[str]:
    out: list[str] = []
    for f in fields:
        out += _doc(f.comment, ind)
        ts = _type(schema, f.type) + (" | null" if f.nullable else "")
        if mode == "row":
            out.append(f"{ind}{_key(f.name)}: {ts}")
        elif f.generated:
            out.append(f"{ind}{_key(f.name)}?: never")
        elif mode == "update" or f.optional_on_insert:
            out.append(f"{ind}{_key(f.name)}?: {ts}")
        else:
            out.append(f"{ind}{_key(f.name)}: {ts}")
    return out


def _relationships(relationships: tuple[Relationship, ...], ind: str) -> list[str]:
    if not relationships:
        return [f"{ind}Relationships: []"]
    out = [f"{ind}Relationships: ["]
    for r in relationships:
        out += [
            f"{ind}  {{",
            f"{ind}    foreignKeyName: {json.dumps(r.foreign_key)}",
            f"{ind}    columns: {json.dumps(list(r.columns))}",
            f"{ind}    isOneToOne: {'true' if r.one_to_one else 'false'}",
            f"{ind}    referencedRelation: {json.dumps(r.referenced_relation)}",
            f"{ind}    referencedColumns: {json.dumps(list(r.referenced_columns))}",
            f"{ind}  }},",
        ]
    return [*out, f"{ind}]"]


def _function(schema: str, name: str, overloads: list[FunctionShape], ind: str) -> list[str]:
    out = [*_doc(overloads[0].comment, ind), f"{ind}{_key(name)}:"]
    for function in overloads:
        if function.args:
            args = "; ".join(
                f"{_key(a.name)}{'?' if a.optional_on_insert else ''}: {_type(schema, a.type)}"
                for a in function.args
            )
            args = f"{{ {args} }}"
        else:
            args = "Record<PropertyKey, never>"
        if function.returns_table:
            columns = "; ".join(
                f"{_key(c.name)}: {_type(schema, c.type)}{' | null' if c.nullable else ''}"
                for c in function.returns_table
            )
            returns = f"{{ {columns} }}"
        else:
            returns = _type(schema, function.returns)
        if function.returns_set:
            returns = f"{returns}[]" if re.fullmatch(r"[\w\[\]\"]+", returns) else f"({returns})[]"
        out.append(f"{ind}  | {{ Args: {args}; Returns: {returns} }}")
    return out


def _type(schema: str, t: Type) -> str:
    if t.array_of is not None:
        inner = _type(schema, t.array_of)
        return f"{inner}[]" if re.fullmatch(r"[\w\[\]\"]+", inner) else f"({inner})[]"
    base = f"Database[{json.dumps(schema)}]"
    if t.enum:
        return f'{base}["Enums"][{json.dumps(t.enum)}]'
    if t.composite:
        return f'{base}["CompositeTypes"][{json.dumps(t.composite)}]'
    if t.row:
        kind = "Views" if t.row_of_view else "Tables"
        return f'{base}["{kind}"][{json.dumps(t.row)}]["Row"]'
    return SCALARS[t.scalar or "unknown"]


def _constants(schemas: tuple[Schema, ...]) -> str:
    out = ["export const Constants = {"]
    for schema in schemas:
        out.append(f"  {_key(schema.name)}: {{")
        out.append("    Enums: {")
        for enum in schema.enums:
            values = ", ".join(json.dumps(v) for v in enum.values)
            out.append(f"      {_key(enum.name)}: [{values}],")
        out += ["    },", "  },"]
    out.append("} as const")
    return "\n".join(out) + "\n"
