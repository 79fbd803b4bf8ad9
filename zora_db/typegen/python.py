"""Python types: Pydantic v2 models, or TypedDicts for rows as psycopg returns them.

Per table a ``…Row`` (every column), ``…Insert`` (what an insert may leave
out is optional; generated columns absent) and ``…Update`` (all optional);
per view a ``…Row``; enums; composite types; per function its ``…Args`` and,
for ``returns table``, its ``…Result``. Both flavours share the naming and
the walk over the model; only the spelling differs.

What is written refuses what the database refuses: an Insert, Update or
Args model forbids unknown fields (a misspelt column, a generated one), and
a column that may be left out is ``MISSING`` until set, not ``None``: a NOT
NULL column with a default may be absent but never null, and a dump sends
only what was set, so no ``exclude_unset`` is needed. Rows ignore columns
they do not know, so a row from a newer schema still reads.
"""

from __future__ import annotations

import json
import keyword
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from zora_db.typegen.model import Bounds, Field, Schema, Type

# Attributes a field must not shadow (BaseModel's own, and the imported names).
_RESERVED = {
    "model_config",
    "model_fields",
    "model_computed_fields",
    "schema",
    "json",
    "dict",
    "copy",
    "validate",
    "construct",
    "parse_obj",
    "parse_raw",
    "parse_file",
    "from_orm",
    "update_forward_refs",
    "schema_json",
    "fields",
    "Annotated",
    "Any",
    "Decimal",
    "UUID",
    "dt",
    "Json",
    "MISSING",
    "JsonNotNull",
    # builtins an annotation in the class may name
    "bool",
    "bytes",
    "float",
    "int",
    "list",
    "str",
}


def pascal(name: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", name)
    result = "".join(w[:1].upper() + w[1:] for w in words if w)
    return result if result and not result[0].isdigit() else f"T{result}"


def member(value: str) -> str:
    """An enum member's name: ``out_for_delivery`` → ``OUT_FOR_DELIVERY``."""
    name = re.sub(r"\W+", "_", value).strip("_").upper() or "EMPTY"
    return f"V_{name}" if name[0].isdigit() or keyword.iskeyword(name.lower()) else name


@cache
def attribute(name: str) -> str:
    """A field's Python name; differs from the column's only where it must."""
    safe = re.sub(r"\W", "_", name)
    if not safe or safe[0].isdigit():
        safe = f"f_{safe}"
    if keyword.iskeyword(safe) or safe in _RESERVED or safe.startswith("model_"):
        safe = f"{safe}_"
    return safe


_SCALARS = {  # what Pydantic and TypedDict spell alike
    "bool": "bool",
    "int": "int",
    "float": "float",
    "decimal": "Decimal",
    "str": "str",
    "uuid": "UUID",
    "datetime": "dt.datetime",
    "date": "dt.date",
    "time": "dt.time",
    "timedelta": "dt.timedelta",
    "bytes": "bytes",
    "void": "None",
    "record": "dict[str, Any]",
    "unknown": "Any",
}


@dataclass(frozen=True)
class _Flavour:
    pydantic: bool

    def scalar(self, scalar: str) -> str:
        if scalar == "datetime_tz":
            return "AwareDatetime" if self.pydantic else "dt.datetime"
        if scalar == "json":
            return "JsonValue" if self.pydantic else "Json"
        return _SCALARS[scalar]

    def type(self, t: Type) -> str:
        if t.array_of is not None:
            return f"list[{self.type(t.array_of)}]"
        if t.enum:
            return pascal(t.enum)
        if t.composite:
            return pascal(t.composite)
        if t.row:
            return f"{pascal(t.row)}Row"
        return self.scalar(t.scalar or "unknown")

    def of(self, f: Field) -> str:
        """A field's type; JSON's own null is refused where the column is NOT NULL."""
        if f.type.scalar == "json" and not f.nullable:
            return "JsonNotNull"
        return self.type(f.type)

    def constrained(self, f: Field) -> str:
        base = self.of(f)
        if not self.pydantic or f.type.array_of is not None:
            return base
        constraints = _constraints(f.bounds, base)
        return f"Annotated[{base}, Field({constraints})]" if constraints else base


def _constraints(bounds: Bounds, base: str) -> str:
    parts = []
    if bounds.max_length is not None and base == "str":
        parts.append(f"max_length={bounds.max_length}")
    if base == "Decimal" and bounds.max_digits is not None:
        parts.append(f"max_digits={bounds.max_digits}")
        parts.append(f"decimal_places={bounds.decimal_places}")
    if base in ("int", "float", "Decimal"):
        for name in ("ge", "le", "gt", "lt"):
            value = getattr(bounds, name)
            if value is not None:
                number = value if base != "int" or "." not in value else str(int(float(value)))
                parts.append(f"{name}={_number(number, base)}")
    return ", ".join(parts)


def _number(text: str, base: str) -> str:
    if base == "Decimal":
        return f'Decimal("{text}")'
    if base == "float" and "." not in text:
        return f"{text}.0"
    return text


def _docstring(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    lines = body.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{body}"""']
    rest = [f"{indent}{line}".rstrip() for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *rest, f'{indent}"""']


def render_pydantic(schemas: tuple[Schema, ...], header: str, options: object = None) -> str:
    return _render(schemas, header, _Flavour(pydantic=True))


def render_typeddict(schemas: tuple[Schema, ...], header: str, options: object = None) -> str:
    return _render(schemas, header, _Flavour(pydantic=False))


def _render(schemas: tuple[Schema, ...], header: str, flavour: _Flavour) -> str:
    body: list[str] = []
    for schema in schemas:
        body += _schema(schema, flavour)
    text = "\n".join(body)
    imports = _imports(text, flavour)
    out = [f"# {header}", '"""Types of the Zora database. Generated: do not edit."""', ""]
    out += ["from __future__ import annotations", "", *imports, ""]
    if not flavour.pydantic:
        out += [
            "",
            "Json = dict[str, 'Json'] | list['Json'] | str | int | float | bool | None",
            '"""A json or jsonb value as psycopg returns it."""',
        ]
    if "JsonNotNull" in text:
        value = "JsonValue" if flavour.pydantic else "Json"
        out += [
            "",
            f"JsonNotNull = dict[str, {value}] | list[{value}] | str | int | float | bool",
            '"""A value of a NOT NULL json or jsonb column: anything but null."""',
        ]
    if not flavour.pydantic or "JsonNotNull" in text:
        out.append("")
    return "\n".join(out) + text.rstrip("\n") + "\n"


def _imports(text: str, flavour: _Flavour) -> list[str]:
    words = set(re.findall(r"\w+", text))

    def used(name: str) -> bool:
        return name in words

    lines = ["import datetime as dt"] if used("dt") else []
    lines += [
        f"from {m} import {n}" for m, n in (("decimal", "Decimal"), ("enum", "StrEnum")) if used(n)
    ]
    typing = [n for n in ("Annotated", "Any", "Literal", "NotRequired", "TypedDict") if used(n)]
    if typing:
        lines.append(f"from typing import {', '.join(typing)}")
    if used("UUID"):
        lines.append("from uuid import UUID")
    if flavour.pydantic:
        names = ("MISSING", "AwareDatetime", "BaseModel", "ConfigDict", "Field", "JsonValue")
        lines += ["", f"from pydantic import {', '.join(n for n in names if used(n))}"]
    return lines


def _schema(schema: Schema, flavour: _Flavour) -> Iterator[str]:
    for enum in schema.enums:
        yield ""
        yield ""
        if flavour.pydantic:
            yield f"class {pascal(enum.name)}(StrEnum):"
            yield from _docstring(enum.comment or f"{schema.name}.{enum.name}", "    ")
            for value in enum.values:
                yield f"    {member(value)} = {json.dumps(value)}"
        else:
            values = ", ".join(json.dumps(v) for v in enum.values)
            yield f"{pascal(enum.name)} = Literal[{values}]"
            yield from _docstring(enum.comment or f"{schema.name}.{enum.name}", "")
    for composite in schema.composites:
        yield from _class(pascal(composite.name), composite.fields, "row", flavour, None)
    for table in (*schema.tables, *schema.views):
        modes = ("row",) if table.is_view else ("row", "insert", "update")
        for mode in modes:
            doc = table.comment or f"A row of {schema.name}.{table.name}."
            if mode == "insert":
                doc = f"What an insert into {schema.name}.{table.name} takes."
            elif mode == "update":
                doc = f"What an update of {schema.name}.{table.name} takes (all optional)."
            yield from _class(
                f"{pascal(table.name)}{mode.capitalize()}", table.fields, mode, flavour, doc
            )
    callable_ = [f for f in schema.functions if f.named]  # unnamed: only PostgREST passes them
    overloads = Counter(f.name for f in callable_)
    seen: Counter[str] = Counter()
    for function in callable_:
        seen[function.name] += 1
        name = pascal(function.name)
        if overloads[function.name] > 1:  # numbered in signature order
            name = f"{name}{seen[function.name]}"
        doc = function.comment or f"{schema.name}.{function.name}({function.signature})"
        yield from _class(f"{name}Args", function.args, "args", flavour, f"Arguments of: {doc}")
        if function.returns_table:
            yield from _class(
                f"{name}Result", function.returns_table, "row", flavour, f"A row of: {doc}"
            )


def _class(
    name: str, fields: tuple[Field, ...], mode: str, flavour: _Flavour, doc: str | None
) -> Iterator[str]:
    yield ""
    yield ""
    kept = [f for f in fields if mode in ("row", "args") or not f.generated]
    if not flavour.pydantic and any(attribute(f.name) != f.name for f in kept):
        yield from _functional_typeddict(name, kept, mode, flavour)
        return
    if flavour.pydantic:
        yield f"class {name}(BaseModel):"
    else:
        yield f"class {name}(TypedDict{', total=False' if mode == 'update' else ''}):"
    yield from _docstring(doc, "    ")
    if flavour.pydantic:
        options = ["use_attribute_docstrings=True"]
        if any(attribute(f.name) != f.name for f in kept):
            options += ["validate_by_name=True", "serialize_by_alias=True"]
        options.append("frozen=True" if mode == "row" else 'extra="forbid"')
        yield f"    model_config = ConfigDict({', '.join(options)})"
    elif not kept:
        yield "    pass"
    for f in kept:
        yield from _field(f, mode, flavour)


def _functional_typeddict(
    name: str, fields: list[Field], mode: str, flavour: _Flavour
) -> Iterator[str]:
    """Keys that are not identifiers need TypedDict's call syntax."""
    yield f"{name} = TypedDict("
    yield f"    {json.dumps(name)},"
    yield "    {"
    for f in fields:
        yield f"        {json.dumps(f.name)}: {_typeddict_annotation(f, mode, flavour)},"
    yield "    },"
    yield f"    total={mode != 'update'},"
    yield ")"


def _typeddict_annotation(f: Field, mode: str, flavour: _Flavour) -> str:
    annotation = flavour.of(f) + (" | None" if f.nullable else "")
    if mode in ("insert", "args") and f.optional_on_insert:
        return f"NotRequired[{annotation}]"
    return annotation


def _field(f: Field, mode: str, flavour: _Flavour) -> Iterator[str]:
    annotation = flavour.constrained(f)
    if f.nullable:
        annotation = f"{annotation} | None"
    optional = mode == "update" or (mode in ("insert", "args") and f.optional_on_insert)
    py = attribute(f.name)
    if flavour.pydantic:
        extras = [f"alias={json.dumps(f.name)}"] if py != f.name else []
        if optional:  # absent until set: never sent, and not the same as null
            default = f"Field(MISSING, {', '.join(extras)})" if extras else "MISSING"
            yield f"    {py}: {annotation} | MISSING = {default}"
        elif extras:
            yield f"    {py}: {annotation} = Field({', '.join(extras)})"
        else:
            yield f"    {py}: {annotation}"
    else:
        yield f"    {py}: {_typeddict_annotation(f, mode, flavour)}"
    yield from _docstring(f.comment, "    ")
