"""Security and performance lints over the catalog model (Supabase's advisor, and ours).

Each lint is data: a name, a level, a category, what it means and how to
fix it, and a check that reads a ``Catalog`` and yields the offending objects.
Adding a lint is adding an entry to ``LINTS``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from zora_db.catalog import Catalog, Column, Policy, Relation
from zora_db.contract import (
    APP_SUBSCRIPTIONS,
    EXPOSED_SCHEMAS,
    REALTIME_PUBLICATION,
    REALTIME_TABLES,
)


class Level(StrEnum):
    ERROR = "error"
    WARN = "warn"
    INFO = "info"


class Category(StrEnum):
    SECURITY = "security"
    PERFORMANCE = "performance"
    CONTRACT = "contract"  # what the apps rely on (realtime)


@dataclass(frozen=True)
class Finding:
    lint: str
    level: Level
    category: Category
    object: str
    detail: str
    remediation: str


# A check yields (object, detail) pairs.
Check = Callable[[Catalog], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Lint:
    name: str
    level: Level
    category: Category
    description: str
    remediation: str
    check: Check


CLIENT_ROLES = ("anon", "authenticated")
ACTIONS = ("select", "insert", "update", "delete")


def _exposed(schema: str) -> bool:
    return schema in EXPOSED_SCHEMAS


def _client_can_reach(privileges: Iterable[tuple[str, str]]) -> bool:
    return any(grantee in (*CLIENT_ROLES, "public") for grantee, _ in privileges)


# --------------------------------------------------------------------------- checks


def _rls_disabled_in_public(cat: Catalog) -> Iterator[tuple[str, str]]:
    for t in cat.tables:
        if _exposed(t.schema) and not t.rls_enabled:
            yield t.qualified, "row level security is off: every granted row is readable"


def _policy_exists_rls_disabled(cat: Catalog) -> Iterator[tuple[str, str]]:
    with_policies = {p.qualified_table for p in cat.policies}
    for t in cat.tables:
        if t.qualified in with_policies and not t.rls_enabled:
            yield t.qualified, "has policies, but row level security is off: they do nothing"


def _rls_enabled_no_policy(cat: Catalog) -> Iterator[tuple[str, str]]:
    with_policies = {p.qualified_table for p in cat.policies}
    for t in cat.tables:
        # Without any grant to a client role, no policy is the intended "nobody".
        if t.rls_enabled and t.qualified not in with_policies and _client_can_reach(t.privileges):
            yield t.qualified, "row level security is on with no policy: clients see nothing"


def _function_search_path_mutable(cat: Catalog) -> Iterator[tuple[str, str]]:
    for f in cat.functions:
        if f.kind in ("function", "procedure") and f.search_path is None:
            definer = "SECURITY DEFINER " if f.security_definer else ""
            yield f.signature, f"{definer}function without a fixed search_path"


def _security_definer_function_exposed(cat: Catalog) -> Iterator[tuple[str, str]]:
    for f in cat.functions:
        callers = [r for r in f.executable_by if r in (*CLIENT_ROLES, "public")]
        if _exposed(f.schema) and f.security_definer and callers:
            yield f.signature, f"SECURITY DEFINER, callable through the API by {', '.join(callers)}"


def _security_definer_view(cat: Catalog) -> Iterator[tuple[str, str]]:
    for v in cat.views:
        if _exposed(v.schema) and v.kind == "view" and not v.security_invoker:
            yield v.qualified, "runs with its owner's rights, bypassing row level security"


def _auth_users_exposed(cat: Catalog) -> Iterator[tuple[str, str]]:
    for v in cat.views:
        readers = sorted({g for g, p in v.privileges if p == "select" and g in CLIENT_ROLES})
        if _exposed(v.schema) and v.reads_auth_users and readers:
            yield v.qualified, f"reads auth.users and {', '.join(readers)} may select from it"


# auth.uid(), auth.jwt(), current_setting(...), private.is_admin(): constant within a
# statement, but evaluated for every row unless wrapped as (select ...).
_PER_STATEMENT_CALL = re.compile(
    r"\b(?:current_setting\s*\(|[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\(\))"
)
_WRAPPED = re.compile(r"\(\s*SELECT\s+$", re.IGNORECASE)


def _unwrapped_calls(expression: str | None) -> list[str]:
    if not expression:
        return []
    return [
        m.group(0)
        for m in _PER_STATEMENT_CALL.finditer(expression)
        if not _WRAPPED.search(expression[: m.start()])
    ]


def _auth_rls_initplan(cat: Catalog) -> Iterator[tuple[str, str]]:
    for p in cat.policies:
        calls = sorted(set(_unwrapped_calls(p.using) + _unwrapped_calls(p.check)))
        if calls:
            names = ", ".join(c.rstrip("(") + ("" if c.endswith("()") else "...)") for c in calls)
            yield f"{p.qualified_table} policy {p.name}", f"calls {names} once per row"


def _applies(policy: Policy, role: str, action: str) -> bool:
    return (role in policy.roles or "public" in policy.roles) and policy.command in (action, "all")


def _multiple_permissive_policies(cat: Catalog) -> Iterator[tuple[str, str]]:
    by_table: dict[str, list[Policy]] = defaultdict(list)
    for p in cat.policies:
        if p.permissive:
            by_table[p.qualified_table].append(p)
    for table, policies in sorted(by_table.items()):
        for role in ("anon", "authenticated", "authenticator"):
            for action in ACTIONS:
                names = [p.name for p in policies if _applies(p, role, action)]
                if len(names) > 1:
                    yield table, f"{role} {action}: {', '.join(names)} are all evaluated"


def _unindexed_foreign_keys(cat: Catalog) -> Iterator[tuple[str, str]]:
    leading: dict[str, list[frozenset[str | None]]] = defaultdict(list)
    for i in cat.indexes:
        for n in range(1, len(i.key_columns) + 1):
            leading[f"{i.schema}.{i.table}"].append(frozenset(i.key_columns[:n]))
    for k in cat.constraints:
        if k.kind == "foreign key" and frozenset(k.columns) not in leading[k.qualified_table]:
            yield (
                f"{k.qualified_table} {k.name}",
                f"no index starts with ({', '.join(k.columns)}): deletes and joins scan",
            )


def _duplicate_index(cat: Catalog) -> Iterator[tuple[str, str]]:
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for i in cat.indexes:
        groups[(i.schema, i.table, i.signature)].append(i.name)
    for (schema, table, _), names in sorted(groups.items()):
        if len(names) > 1:
            yield f"{schema}.{table}", f"identical indexes: {', '.join(sorted(names))}"


def _no_primary_key(cat: Catalog) -> Iterator[tuple[str, str]]:
    keyed = {k.qualified_table for k in cat.constraints if k.kind == "primary key"}
    for t in cat.tables:
        if t.qualified not in keyed:
            yield t.qualified, "no primary key: rows cannot be addressed, realtime cannot send it"


def _extension_in_public(cat: Catalog) -> Iterator[tuple[str, str]]:
    for e in cat.extensions:
        if e.schema == "public":
            yield f"extension {e.name}", "installed in public: its objects join the API"


def _rls_policy_always_true(cat: Catalog) -> Iterator[tuple[str, str]]:
    for p in cat.policies:
        if p.command == "select" or not any(r in p.roles for r in (*CLIENT_ROLES, "public")):
            continue
        for clause, expression in (("using", p.using), ("with check", p.check)):
            if expression is not None and expression.strip("() ").lower() == "true":
                yield f"{p.qualified_table} policy {p.name}", f"{p.command} {clause} (true)"


def _client_writes(table: Relation, column: Column) -> bool:
    """Whether an API client may write ``column`` (a table-wide or a column grant)."""
    return any(
        grantee in (*CLIENT_ROLES, "public") and privilege in ("insert", "update")
        for grantee, privilege in (*table.privileges, *column.privileges)
    )


def _client_written_columns(cat: Catalog) -> Iterator[tuple[Relation, Column, list[str]]]:
    """Columns API clients write in exposed tables, with the CHECKs of their table."""
    checks: dict[str, list[str]] = defaultdict(list)
    for k in cat.constraints:
        if k.kind == "check":
            checks[k.qualified_table].append(k.definition)
    for table in cat.tables:
        if _exposed(table.schema):
            for column in table.columns:
                if not column.generated and _client_writes(table, column):
                    yield table, column, checks[table.qualified]


def _money_accepts_nan(cat: Catalog) -> Iterator[tuple[str, str]]:
    # numeric holds 'NaN', and NaN >= 0 is true: a CHECK must exclude it by name.
    domains = {(d.schema, d.name): d for d in cat.domains}
    for table, column, checks in _client_written_columns(cat):
        ref = column.type_ref
        domain = domains.get((ref.schema, ref.name))
        base = domain.base_type_name if domain else ref.name
        if base != "numeric":
            continue
        refusals = [*(domain.checks if domain else ()), *checks]
        if not any("'NaN'" in c and (domain or column.name in c) for c in refusals):
            yield f"{table.qualified}.{column.name}", "numeric written by API clients accepts NaN"


def _unbounded_text(cat: Catalog) -> Iterator[tuple[str, str]]:
    for table, column, checks in _client_written_columns(cat):
        if column.type_ref.name not in ("text", "varchar", "_text") or column.max_length:
            continue
        bound = re.compile(
            rf"\b(length|char_length|octet_length|cardinality)\((btrim\()?{re.escape(column.name)}\b"
        )
        if not any(bound.search(c) for c in checks):
            yield (
                f"{table.qualified}.{column.name}",
                "text written by API clients has no length bound",
            )


def _realtime_table_not_published(cat: Catalog) -> Iterator[tuple[str, str]]:
    publication = cat.publication(REALTIME_PUBLICATION)
    published = set(publication.tables) if publication else set()
    for table in REALTIME_TABLES:
        if (
            cat.relation(table) is not None
            and table not in published
            and not (publication and publication.all_tables)
        ):
            yield table, f"the apps subscribe to it, but it is not in {REALTIME_PUBLICATION}"


def _realtime_replica_identity(cat: Catalog) -> Iterator[tuple[str, str]]:
    keys = {k.qualified_table: set(k.columns) for k in cat.constraints if k.kind == "primary key"}
    needs: dict[str, set[str]] = defaultdict(set)
    for sub in APP_SUBSCRIPTIONS:
        needs[sub.table] |= sub.old_columns() - keys.get(sub.table, set())
    for table, columns in sorted(needs.items()):
        relation = cat.relation(table)
        if columns and relation is not None and relation.replica_identity != "full":
            yield (
                table,
                (
                    f"replica identity {relation.replica_identity}: the apps need "
                    f"{', '.join(sorted(columns))} of the previous row (a DELETE's filter, `old`), "
                    "which the WAL then does not carry"
                ),
            )


LINTS: tuple[Lint, ...] = (
    Lint(
        "rls_disabled_in_public",
        Level.ERROR,
        Category.SECURITY,
        "A table the API exposes has row level security disabled.",
        "alter table … enable row level security, and add policies for what clients may do",
        _rls_disabled_in_public,
    ),
    Lint(
        "policy_exists_rls_disabled",
        Level.ERROR,
        Category.SECURITY,
        "A table has policies but row level security is disabled, so they are ignored.",
        "alter table … enable row level security",
        _policy_exists_rls_disabled,
    ),
    Lint(
        "rls_enabled_no_policy",
        Level.INFO,
        Category.SECURITY,
        "Row level security is on, clients have grants, and no policy lets them through.",
        "add policies, or revoke the grants if no client should reach the table",
        _rls_enabled_no_policy,
    ),
    Lint(
        "function_search_path_mutable",
        Level.WARN,
        Category.SECURITY,
        "A function resolves names through the caller's search_path.",
        "alter function … set search_path = '' and schema-qualify every name in its body",
        _function_search_path_mutable,
    ),
    Lint(
        "security_definer_function_exposed",
        Level.WARN,
        Category.SECURITY,
        "A SECURITY DEFINER function in an exposed schema is callable by API clients.",
        "move it to a schema the API does not expose (private), or revoke execute from "
        "public, anon and authenticated",
        _security_definer_function_exposed,
    ),
    Lint(
        "security_definer_view",
        Level.ERROR,
        Category.SECURITY,
        "A view in an exposed schema runs as its owner, bypassing row level security.",
        "create the view with (security_invoker = true)",
        _security_definer_view,
    ),
    Lint(
        "auth_users_exposed",
        Level.ERROR,
        Category.SECURITY,
        "A view in an exposed schema exposes auth.users (emails, metadata) to API clients.",
        "drop the view, revoke select from anon and authenticated, or read public.profiles",
        _auth_users_exposed,
    ),
    Lint(
        "auth_rls_initplan",
        Level.WARN,
        Category.PERFORMANCE,
        "A policy calls auth.uid() (or another per-statement function) for every row.",
        "wrap the call in a sub-select: (select auth.uid()), so it is evaluated once",
        _auth_rls_initplan,
    ),
    Lint(
        "multiple_permissive_policies",
        Level.WARN,
        Category.PERFORMANCE,
        "Several permissive policies apply to one role and action; each runs for every row.",
        "combine them into one policy with OR",
        _multiple_permissive_policies,
    ),
    Lint(
        "unindexed_foreign_keys",
        Level.INFO,
        Category.PERFORMANCE,
        "A foreign key has no index on its columns.",
        "create index on the table (the foreign key's columns)",
        _unindexed_foreign_keys,
    ),
    Lint(
        "duplicate_index",
        Level.WARN,
        Category.PERFORMANCE,
        "Two or more indexes are identical: every write maintains all of them.",
        "drop all but one",
        _duplicate_index,
    ),
    Lint(
        "no_primary_key",
        Level.INFO,
        Category.PERFORMANCE,
        "A table has no primary key.",
        "add a primary key (an identity column if nothing else identifies a row)",
        _no_primary_key,
    ),
    Lint(
        "extension_in_public",
        Level.WARN,
        Category.SECURITY,
        "An extension is installed in the public schema.",
        "install it in the extensions schema: create extension … with schema extensions",
        _extension_in_public,
    ),
    Lint(
        "rls_policy_always_true",
        Level.WARN,
        Category.SECURITY,
        "A write policy for API clients is always true: it allows every row.",
        "restrict it, e.g. using (user_id = (select auth.uid()))",
        _rls_policy_always_true,
    ),
    Lint(
        "money_accepts_nan",
        Level.ERROR,
        Category.SECURITY,
        "A numeric column API clients write accepts NaN (its CHECK (x >= 0) is true for NaN).",
        "exclude it: alter domain … add constraint … check (value <> 'NaN'), or a table CHECK",
        _money_accepts_nan,
    ),
    Lint(
        "unbounded_text",
        Level.WARN,
        Category.SECURITY,
        "A text column API clients write has no length bound: one request can store megabytes.",
        "alter table … add constraint … check (length(col) <= n) not valid; then validate it",
        _unbounded_text,
    ),
    Lint(
        "realtime_table_not_published",
        Level.ERROR,
        Category.CONTRACT,
        "A table the apps subscribe to is missing from the realtime publication.",
        f"alter publication {REALTIME_PUBLICATION} add table …",
        _realtime_table_not_published,
    ),
    Lint(
        "realtime_replica_identity",
        Level.ERROR,
        Category.CONTRACT,
        "A table whose subscribers need the previous row (a filtered DELETE, `old`) "
        "lacks REPLICA IDENTITY FULL.",
        "alter table … replica identity full",
        _realtime_replica_identity,
    ),
)

_LEVEL_ORDER = {Level.ERROR: 0, Level.WARN: 1, Level.INFO: 2}


def run_lints(catalog: Catalog, lints: Iterable[Lint] = LINTS) -> list[Finding]:
    """Every finding of ``lints`` on ``catalog``, errors first."""
    findings = [
        Finding(lint.name, lint.level, lint.category, obj, detail, lint.remediation)
        for lint in lints
        for obj, detail in lint.check(catalog)
    ]
    return sorted(findings, key=lambda f: (_LEVEL_ORDER[f.level], f.lint, f.object))


__all__ = ["LINTS", "Category", "Finding", "Level", "Lint", "run_lints"]
