"""Security and performance lints over the catalog model (Supabase's advisor, and ours).

Each lint is data: a name, a level, a category, what it means and how to
fix it, and a check that reads a ``Catalog`` and yields the offending objects.
Adding a lint is adding an entry to ``LINTS``.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from zora_db.contract import (
    APP_SUBSCRIPTIONS,
    EXPOSED_SCHEMAS,
    REALTIME_PUBLICATION,
    REALTIME_TABLES,
    AppSubscription,
)
from zora_db.errors import ConfigError

if TYPE_CHECKING:  # the lints read a catalog; the CLI imports Level without psycopg
    from zora_db.catalog import Catalog, Column, Policy, Relation


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
    allowed: str | None = None  # the reviewed reason, when the allow-list accepts it

    def line(self) -> str:
        """One line for logs: level, lint, the object in full, the problem and its fix."""
        text = f"{self.level} {self.lint} {self.object}: {self.detail} (fix: {self.remediation})"
        return f"{text} [allowed: {self.allowed}]" if self.allowed else text

    @property
    def key(self) -> tuple[str, str]:
        """Stable across runs (splinter's cache_key): what an allow-list entry names."""
        return (self.lint, self.object)


# What a lint runs on the catalog: it yields (object, detail) pairs.
Finder: TypeAlias = "Callable[[Catalog], Iterable[tuple[str, str]]]"


@dataclass(frozen=True)
class Lint:
    name: str
    level: Level
    category: Category
    description: str
    remediation: str  # {object} is the finding's object
    find: Finder


_DECLARED: list[Lint] = []


def declare(
    *, name: str, level: Level, category: Category, description: str, remediation: str
) -> Callable[[Finder], Finder]:
    """Declare the lint the decorated function finds (a registry of data, as splinter's)."""

    def declare(find: Finder) -> Finder:
        _DECLARED.append(Lint(name, level, category, description, remediation, find))
        return find

    return declare


CLIENT_ROLES = ("anon", "authenticated")
ACTIONS = ("select", "insert", "update", "delete")


def _exposed(schema: str) -> bool:
    return schema in EXPOSED_SCHEMAS


def _client_can_reach(privileges: Iterable[tuple[str, str]]) -> bool:
    return any(grantee in (*CLIENT_ROLES, "public") for grantee, _ in privileges)


# --------------------------------------------------------------------------- checks


@declare(
    name="rls_disabled_in_public",
    level=Level.ERROR,
    category=Category.SECURITY,
    description="A table the API exposes has row level security disabled.",
    remediation="alter table {object} enable row level security, and add policies for what "
    "clients may do",
)
def _rls_disabled_in_public(cat: Catalog) -> Iterator[tuple[str, str]]:
    for t in cat.tables:
        if _exposed(t.schema) and not t.rls_enabled:
            yield t.qualified, "row level security is off: every granted row is readable"


@declare(
    name="policy_exists_rls_disabled",
    level=Level.ERROR,
    category=Category.SECURITY,
    description="A table has policies but row level security is disabled, so they are ignored.",
    remediation="alter table {object} enable row level security",
)
def _policy_exists_rls_disabled(cat: Catalog) -> Iterator[tuple[str, str]]:
    with_policies = {p.qualified_table for p in cat.policies}
    for t in cat.tables:
        if t.qualified in with_policies and not t.rls_enabled:
            yield t.qualified, "has policies, but row level security is off: they do nothing"


@declare(
    name="rls_enabled_no_policy",
    level=Level.INFO,
    category=Category.SECURITY,
    description="Row level security is on, clients have grants, and no policy lets them through.",
    remediation="add policies on {object}, or revoke the grants if no client should reach it",
)
def _rls_enabled_no_policy(cat: Catalog) -> Iterator[tuple[str, str]]:
    with_policies = {p.qualified_table for p in cat.policies}
    for t in cat.tables:
        # Without any grant to a client role, no policy is the intended "nobody".
        if t.rls_enabled and t.qualified not in with_policies and _client_can_reach(t.privileges):
            yield t.qualified, "row level security is on with no policy: clients see nothing"


@declare(
    name="function_search_path_mutable",
    level=Level.WARN,
    category=Category.SECURITY,
    description="A function resolves names through the caller's search_path.",
    remediation="alter function {object} set search_path = '' and schema-qualify every name in "
    "its body",
)
def _function_search_path_mutable(cat: Catalog) -> Iterator[tuple[str, str]]:
    for f in cat.functions:
        if f.kind in ("function", "procedure") and f.search_path is None:
            definer = "SECURITY DEFINER " if f.security_definer else ""
            yield f.signature, f"{definer}function without a fixed search_path"


@declare(
    name="security_definer_function_exposed",
    level=Level.WARN,
    category=Category.SECURITY,
    description="A SECURITY DEFINER function in an exposed schema is callable by API clients.",
    remediation="move {object} to a schema the API does not expose (private), or revoke execute on "
    "function {object} from public, anon, authenticated",
)
def _security_definer_function_exposed(cat: Catalog) -> Iterator[tuple[str, str]]:
    for f in cat.functions:
        callers = [r for r in f.executable_by if r in (*CLIENT_ROLES, "public")]
        if _exposed(f.schema) and f.security_definer and callers:
            yield f.signature, f"SECURITY DEFINER, callable through the API by {', '.join(callers)}"


@declare(
    name="security_definer_view",
    level=Level.ERROR,
    category=Category.SECURITY,
    description="A view in an exposed schema runs as its owner, bypassing row level security.",
    remediation="alter view {object} set (security_invoker = true)",
)
def _security_definer_view(cat: Catalog) -> Iterator[tuple[str, str]]:
    for v in cat.views:
        if _exposed(v.schema) and v.kind == "view" and not v.security_invoker:
            yield v.qualified, "runs with its owner's rights, bypassing row level security"


@declare(
    name="auth_users_exposed",
    level=Level.ERROR,
    category=Category.SECURITY,
    description="A view in an exposed schema exposes auth.users (emails, metadata) to API clients.",
    remediation="drop view {object}, revoke select on it from anon and authenticated, or read "
    "public.profiles",
)
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


@declare(
    name="auth_rls_initplan",
    level=Level.WARN,
    category=Category.PERFORMANCE,
    description="A policy calls auth.uid() (or another per-statement function) for every row.",
    remediation="in {object}, wrap the call in a sub-select: (select auth.uid()), so it runs once",
)
def _auth_rls_initplan(cat: Catalog) -> Iterator[tuple[str, str]]:
    for p in cat.policies:
        calls = sorted(set(_unwrapped_calls(p.using) + _unwrapped_calls(p.check)))
        if calls:
            names = ", ".join(c.rstrip("(") + ("" if c.endswith("()") else "...)") for c in calls)
            yield f"{p.qualified_table} policy {p.name}", f"calls {names} once per row"


def _applies(policy: Policy, role: str, action: str) -> bool:
    return (role in policy.roles or "public" in policy.roles) and policy.command in (action, "all")


@declare(
    name="multiple_permissive_policies",
    level=Level.WARN,
    category=Category.PERFORMANCE,
    description="Several permissive policies apply to one role and action; each runs for every "
    "row.",
    remediation="combine the permissive policies on {object} into one with OR",
)
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


@declare(
    name="unindexed_foreign_keys",
    level=Level.INFO,
    category=Category.PERFORMANCE,
    description="A foreign key has no index on its columns.",
    remediation="create an index on {object} (the foreign key's columns)",
)
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


@declare(
    name="duplicate_index",
    level=Level.WARN,
    category=Category.PERFORMANCE,
    description="Two or more indexes are identical: every write maintains all of them.",
    remediation="drop all but one of the identical indexes on {object}",
)
def _duplicate_index(cat: Catalog) -> Iterator[tuple[str, str]]:
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for i in cat.indexes:
        groups[(i.schema, i.table, i.signature)].append(i.name)
    for (schema, table, _), names in sorted(groups.items()):
        if len(names) > 1:
            yield f"{schema}.{table}", f"identical indexes: {', '.join(sorted(names))}"


@declare(
    name="no_primary_key",
    level=Level.INFO,
    category=Category.PERFORMANCE,
    description="A table has no primary key.",
    remediation="alter table {object} add primary key (an identity column if nothing else does)",
)
def _no_primary_key(cat: Catalog) -> Iterator[tuple[str, str]]:
    keyed = {k.qualified_table for k in cat.constraints if k.kind == "primary key"}
    for t in cat.tables:
        if t.qualified not in keyed:
            yield t.qualified, "no primary key: rows cannot be addressed, realtime cannot send it"


@declare(
    name="extension_in_public",
    level=Level.WARN,
    category=Category.SECURITY,
    description="An extension is installed in the public schema.",
    remediation="move {object} to the extensions schema: alter extension … set schema extensions",
)
def _extension_in_public(cat: Catalog) -> Iterator[tuple[str, str]]:
    for e in cat.extensions:
        if e.schema == "public":
            yield f"extension {e.name}", "installed in public: its objects join the API"


@declare(
    name="rls_policy_always_true",
    level=Level.WARN,
    category=Category.SECURITY,
    description="A write policy for API clients is always true: it allows every row.",
    remediation="restrict {object}, e.g. using (user_id = (select auth.uid()))",
)
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


@declare(
    name="money_accepts_nan",
    level=Level.ERROR,
    category=Category.SECURITY,
    description="A numeric column API clients write accepts NaN (its CHECK (x >= 0) is true for "
    "NaN).",
    remediation="exclude NaN from {object}: a CHECK (col <> 'NaN') on the table, or on its domain",
)
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


@declare(
    name="unbounded_text",
    level=Level.WARN,
    category=Category.SECURITY,
    description="A text column API clients write has no length bound: one request can store "
    "megabytes.",
    remediation="bound {object}: add constraint … check (length(col) <= n) not valid; then "
    "validate it",
)
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


@declare(
    name="realtime_table_not_published",
    level=Level.ERROR,
    category=Category.CONTRACT,
    description="A table the apps subscribe to is missing from the realtime publication.",
    remediation=f"alter publication {REALTIME_PUBLICATION} add table {{object}}",
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


def _old_columns(sub: AppSubscription) -> set[str]:
    """Columns it needs from the previous row, which only REPLICA IDENTITY FULL carries."""
    from zora_db.realtime.subscriptions import parse_filters  # psycopg: not at the CLI's start

    needed = sub.old_fields()
    if "DELETE" in sub.needs:
        # A DELETE is matched against the replica identity: its filter columns must be there.
        needed |= {f.column for f in parse_filters(sub.filter)}
    return needed


@declare(
    name="realtime_replica_identity",
    level=Level.ERROR,
    category=Category.CONTRACT,
    description="A table whose subscribers need the previous row (a filtered DELETE, `old`) "
    "lacks REPLICA IDENTITY FULL.",
    remediation="alter table {object} replica identity full",
)
def _realtime_replica_identity(cat: Catalog) -> Iterator[tuple[str, str]]:
    keys = {k.qualified_table: set(k.columns) for k in cat.constraints if k.kind == "primary key"}
    needs: dict[str, set[str]] = defaultdict(set)
    for sub in APP_SUBSCRIPTIONS:
        needs[sub.table] |= _old_columns(sub) - keys.get(sub.table, set())
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


LINTS: tuple[Lint, ...] = tuple(_DECLARED)

_LEVEL_ORDER = {Level.ERROR: 0, Level.WARN: 1, Level.INFO: 2}


def run_lints(catalog: Catalog, lints: Iterable[Lint] = LINTS) -> list[Finding]:
    """Every finding of ``lints`` on ``catalog``, errors first."""
    findings = [
        Finding(
            lint.name, lint.level, lint.category, obj, detail, lint.remediation.format(object=obj)
        )
        for lint in lints
        for obj, detail in lint.find(catalog)
    ]
    return sorted(findings, key=lambda f: (_LEVEL_ORDER[f.level], f.lint, f.object))


def load_allow_list(path: Path, *, required: bool = False) -> dict[tuple[str, str], str]:
    """A reviewed allow-list: ``[[allow]]`` entries of lint, object and reason.

    (lint, object) → reason. A missing file is an empty list unless it was
    named (``required``); an entry without a reason or for an unknown lint
    is refused, so the file cannot silently allow more than it says.
    """
    if not path.exists():
        if required:
            raise ConfigError(f"no allow-list at {path}", hint="check the --allow-list path")
        return {}
    try:
        entries = tomllib.loads(path.read_text()).get("allow", [])
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the file") from None
    known = {lint.name for lint in LINTS}
    allowed = {}
    for number, entry in enumerate(entries, 1):
        lint, obj, reason = (str(entry.get(k, "")).strip() for k in ("lint", "object", "reason"))
        if not (lint and obj and reason):
            raise ConfigError(
                f"{path}: allow entry {number} needs lint, object and reason",
                hint="every accepted finding says which, on what, and why it is safe",
            )
        if lint not in known:
            raise ConfigError(
                f"{path}: allow entry {number} names an unknown lint {lint!r}",
                hint=f"one of: {', '.join(sorted(known))}",
            )
        allowed[lint, obj] = reason
    return allowed


def apply_allow_list(
    findings: list[Finding], allowed: dict[tuple[str, str], str]
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """The findings with reviewed ones marked, and the entries that matched nothing."""
    marked = [replace(f, allowed=allowed.get(f.key)) for f in findings]
    used = {f.key for f in marked if f.allowed}
    return marked, sorted(set(allowed) - used)


def failing(findings: list[Finding], fail_on: Level) -> list[Finding]:
    """The findings at ``fail_on`` or more severe that no review accepted."""
    return [f for f in findings if not f.allowed and _LEVEL_ORDER[f.level] <= _LEVEL_ORDER[fail_on]]


@dataclass(frozen=True)
class Verdict:
    """A lint run judged: the findings (reviewed ones marked) and what fails the gate."""

    findings: list[Finding]
    fail_on: Level
    stale: list[tuple[str, str]]  # allow-list entries that matched no finding

    @property
    def failed(self) -> list[Finding]:
        return failing(self.findings, self.fail_on)

    def to_json(self) -> dict[str, object]:
        return {
            "findings": [asdict(f) for f in self.findings],
            "fail_on": str(self.fail_on),
            "failed": len(self.failed),
        }


def judge(
    catalog: Catalog, allowed: dict[tuple[str, str], str], fail_on: Level = Level.WARN
) -> Verdict:
    """Lint ``catalog``, marking what the allow-list (:func:`load_allow_list`) accepts."""
    findings, stale = apply_allow_list(run_lints(catalog), allowed)
    return Verdict(findings, fail_on, stale)


__all__ = [
    "LINTS",
    "Category",
    "Finding",
    "Level",
    "Lint",
    "Verdict",
    "apply_allow_list",
    "failing",
    "judge",
    "load_allow_list",
    "run_lints",
]
