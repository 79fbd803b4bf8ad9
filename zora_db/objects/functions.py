"""Functions and procedures (aggregates and window functions are read, not written)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zora_db.objects.base import (
    API_ROLES,
    NOT_FROM_EXTENSION,
    CatalogReader,
    Compared,
    Definition,
    Key,
    Kind,
    Names,
    Owned,
    literal,
)
from zora_db.objects.typeref import TypeRef

if TYPE_CHECKING:
    from zora_db.catalog import Catalog


@dataclass(frozen=True)
class Argument:
    name: str | None
    type: str
    type_ref: TypeRef
    mode: str  # "in", "out", "inout", "variadic", "table"
    has_default: bool


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    identity_arguments: str  # pg_get_function_identity_arguments
    arguments: tuple[Argument, ...]
    return_type: str
    return_type_ref: TypeRef
    returns_set: bool
    kind: str  # "function", "procedure", "aggregate", "window"
    language: str
    volatility: str  # "immutable", "stable", "volatile"
    security_definer: bool
    config: tuple[str, ...]  # proconfig, e.g. ("search_path=\"\"",)
    executable_by: tuple[str, ...]  # API roles (and "public") that may execute it
    comment: str | None
    definition: str  # pg_get_functiondef: what PostgreSQL keeps, normalised
    estimated_rows: float | None = None  # set-returning functions: ROWS

    @property
    def signature(self) -> str:
        return f"{self.schema}.{self.name}({self.identity_arguments})"

    @property
    def inputs(self) -> tuple[Argument, ...]:
        return tuple(a for a in self.arguments if a.mode in ("in", "inout", "variadic"))

    @property
    def outputs(self) -> tuple[Argument, ...]:
        """The columns of a ``returns table (...)`` or of OUT arguments."""
        return tuple(a for a in self.arguments if a.mode in ("out", "inout", "table"))

    @property
    def search_path(self) -> str | None:
        for setting in self.config:
            key, _, value = setting.partition("=")
            if key == "search_path":
                return value
        return None


def key(f: Function) -> Key:
    return ("function", f.signature)


_TYPE_REF = """
(select json_build_object(
          'schema', tn.nspname, 'name', t.typname,
          'relation', t.typtype = 'c' and tr.relkind <> 'c',
          'element', (select json_build_object('schema', en.nspname, 'name', e.typname)
                        from pg_catalog.pg_type e
                        join pg_catalog.pg_namespace en on en.oid = e.typnamespace
                       where e.oid = t.typelem and t.typcategory = 'A'))
   from pg_catalog.pg_type t
   join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
   left join pg_catalog.pg_class tr on tr.oid = t.typrelid
  where t.oid = {oid})
"""


_FUNCTIONS_SQL = f"""
select n.nspname as schema, p.proname as name,
       pg_get_function_identity_arguments(p.oid) as identity_arguments,
       coalesce((
         select array_agg(json_build_object(
                  'name', nullif(x.name, ''),
                  'type', format_type(x.type, null),
                  'type_ref', {_TYPE_REF.format(oid="x.type")},
                  'mode', case x.mode when 'i' then 'in' when 'o' then 'out'
                                      when 'b' then 'inout' when 'v' then 'variadic'
                                      else 'table' end,
                  'has_default',
                    x.mode in ('i', 'b', 'v')
                    and x.in_position > p.pronargs - p.pronargdefaults) order by x.ord)
           from (select a.ord, a.type, a.mode, a.name,
                        count(*) filter (where a.mode in ('i', 'b', 'v'))
                          over (order by a.ord) as in_position
                   from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                               coalesce(p.proargmodes,
                                        array_fill('i'::"char", array[p.pronargs])),
                               coalesce(p.proargnames,
                                        array_fill(''::text, array[p.pronargs])))
                        with ordinality a(type, mode, name, ord)) x
       ), '{{}}') as arguments,
       format_type(p.prorettype, null) as return_type,
       {_TYPE_REF.format(oid="p.prorettype")} as return_type_ref,
       p.proretset as returns_set,
       case p.prokind when 'f' then 'function' when 'p' then 'procedure'
                      when 'a' then 'aggregate' else 'window' end as kind,
       l.lanname as language,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable'
                          else 'volatile' end as volatility,
       p.prosecdef as security_definer,
       coalesce(p.proconfig, '{{}}') as config,
       array(select r from unnest(array['public', 'anon', 'authenticated', 'service_role']) r
              where (r = 'public' and exists (select from aclexplode(coalesce(
                       p.proacl, acldefault('f', p.proowner))) x
                     where x.grantee = 0 and x.privilege_type = 'EXECUTE'))
                 or (r <> 'public' and exists (select from pg_catalog.pg_roles ro
                     where ro.rolname = r)
                     and has_function_privilege(r, p.oid, 'execute'))) as executable_by,
       obj_description(p.oid, 'pg_proc') as comment,
       case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) else '' end
         as definition,
       case when p.proretset then nullif(p.prorows, 0) end as estimated_rows
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_language l on l.oid = p.prolang
 where n.nspname = any (%(schemas)s)
   and {NOT_FROM_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
 order by n.nspname collate "C", p.proname collate "C",
          pg_get_function_identity_arguments(p.oid) collate "C"
"""


def read(reader: CatalogReader) -> dict[str, tuple[Any, ...]]:
    return {
        "functions": tuple(
            Function(
                **{
                    **row,
                    "arguments": tuple(
                        Argument(**{**a, "type_ref": TypeRef.from_json(a["type_ref"])})
                        for a in row["arguments"]
                    ),
                    "return_type_ref": TypeRef.from_json(row["return_type_ref"]),
                    "config": tuple(row["config"]),
                    "executable_by": tuple(row["executable_by"]),
                }
            )
            for row in reader.rows(_FUNCTIONS_SQL)
        )
    }


def compared(catalog: Catalog) -> Iterable[Compared]:
    for f in catalog.functions:
        yield key(f), {"definition": f.definition, "executable_by": sorted(f.executable_by)}


def files(catalog: Catalog, names: Names) -> Iterable[Definition]:
    # Overloads share a name: their files are numbered in signature order.
    by_name: dict[tuple[str, str], list[Function]] = {}
    for f in catalog.functions:
        if f.kind in ("function", "procedure"):
            by_name.setdefault((f.schema, f.name), []).append(f)
    for (schema, name), overloads in by_name.items():
        for index, f in enumerate(overloads):
            suffix = f"__{index + 1}" if len(overloads) > 1 else ""
            yield _file(f, f"functions/{schema}.{name}{suffix}.sql", names)


def _file(f: Function, path: str, names: Names) -> Definition:
    signature = f"{names.qualified(f.schema, f.name)}({f.identity_arguments})"
    kind = "procedure" if f.kind == "procedure" else "function"
    lines = [f.definition.rstrip() + ";", ""]
    if f.comment:
        lines.append(f"comment on {kind} {signature} is {literal(f.comment)};")
    roles = ", ".join(("public", *API_ROLES))
    lines.append(f"revoke all on {kind} {signature} from {roles};")
    for role in sorted(f.executable_by):
        lines.append(f"grant execute on {kind} {signature} to {role};")
    return Definition(
        path, "\n".join(lines) + "\n", f"drop {kind} {signature};\n", (Owned(key(f)),)
    )


KIND = Kind("function", read=read, compared=compared, folder="functions", files=files)
