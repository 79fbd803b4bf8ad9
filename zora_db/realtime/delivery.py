"""Who receives a change, and exactly what: Supabase Realtime's ``postgres_changes`` rules.

Read from Realtime's own source (``realtime.apply_rls``) and applied here to
decoded changes, in the same order:

1. Only subscriptions to the change's table and action (or ``*``) take part.
2. Per subscriber role: a table without a primary key sends ``Error 400`` to
   every subscription of that role (not for DELETE); a role that may not
   SELECT every key column gets ``Error 401``. Neither carries a row.
3. Filters are evaluated on the WAL's values with PostgreSQL's own operators
   for the column's type: the new row for INSERT and UPDATE; for DELETE the
   replica identity (the old key, or the whole old row with FULL). A filter
   on a column the WAL does not carry never matches.
4. INSERT and UPDATE on a table with row level security: each subscription
   that passed its filters is re-checked as its subscriber (``role`` and
   ``request.jwt.claims`` set locally, ``select exists(... where key = ...)``)
   against the live table. DELETE is never checked, and under RLS its old
   row is cut to the primary key.
5. The row holds only the columns the role may SELECT; values are
   ``to_jsonb(value::type)``. A change over ``max_record_bytes`` is sent with
   ``Error 413`` and without its values over 64 bytes.

The payload is what supabase-js hands the app: ``schema``, ``table``,
``commit_timestamp``, ``eventType``, ``new`` (``{}`` on DELETE), ``old``
(``{}`` on INSERT) and ``errors`` (null, or the error strings).

Everything runs in one transaction per change that is rolled back: the
engine writes nothing. Subscribers whose claims are identical share one RLS
check (the answer cannot differ); Realtime repeats it per subscription.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from zora_db.catalog import Catalog, Relation
from zora_db.errors import RealtimeUnavailable, SubscriptionError
from zora_db.realtime.changes import Change
from zora_db.realtime.subscriptions import MAX_IN_VALUES, Filter, Subscription

MAX_RECORD_BYTES = 1024 * 1024  # Realtime's default max_record_bytes
KEPT_VALUE_BYTES = 64  # what survives of a value in an oversized change
ERROR_NO_KEY = "Error 400: Bad Request, no primary key"
ERROR_UNAUTHORIZED = "Error 401: Unauthorized"
ERROR_TOO_LARGE = "Error 413: Payload Too Large"

_COMPARISONS = {
    "eq": "=",
    "neq": "<>",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "like": "like",
    "ilike": "ilike",
    "match": "~",
    "imatch": "~*",
}
_IS = {"null": "is null", "true": "is true", "false": "is false", "unknown": "is unknown"}


@dataclass(frozen=True)
class Delivery:
    """One subscription receiving one change, with the payload supabase-js gives the app."""

    subscription: Subscription
    payload: dict[str, Any]  # shared by the subscriptions of one role: read, do not modify

    @property
    def errors(self) -> list[str]:
        return list(self.payload.get("errors") or [])

    @property
    def content(self) -> set[str]:
        """Column names of the row data it carries, new and old."""
        return set(self.payload.get("new") or {}) | set(self.payload.get("old") or {})


@dataclass(frozen=True)
class _Table:
    relation: Relation
    key: tuple[str, ...]

    def type_of(self, column: str) -> sql.Composable | None:
        found = next((c for c in self.relation.columns if c.name == column), None)
        if found is None:
            return None
        ref = found.type_ref
        return sql.Identifier(ref.schema, ref.name)


@dataclass
class _Values:
    """A change's values as Realtime casts them, and which are too large to keep in a 413."""

    oversized: bool
    new: dict[str, Any] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)
    large: set[tuple[str, str]] = field(default_factory=set)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=Decimal)


def commit_timestamp(change: Change) -> str | None:
    """Realtime's format: UTC, milliseconds, ``Z``."""
    if change.committed_at is None:
        return None
    at = change.committed_at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


class Deliverer:
    """Decides deliveries on one connection (a role that may switch to the subscribers' roles)."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        catalog: Catalog,
        *,
        max_record_bytes: int = MAX_RECORD_BYTES,
    ) -> None:
        self.conn = conn
        self.max_record_bytes = max_record_bytes
        keys = {
            k.qualified_table: k.columns for k in catalog.constraints if k.kind == "primary key"
        }
        self._tables = {r.qualified: _Table(r, keys.get(r.qualified, ())) for r in catalog.tables}
        self._selectable: dict[tuple[str, str], dict[str, bool]] = {}

    def decide(self, change: Change, subscriptions: Iterable[Subscription]) -> list[Delivery]:
        """The deliveries of ``change`` among ``subscriptions`` (none for an unknown table)."""
        subs = [
            s for s in subscriptions if s.table == change.qualified and s.listens_to(change.action)
        ]
        table = self._tables.get(change.qualified)
        if not subs or table is None:
            return []
        with self.conn.transaction(force_rollback=True):
            return list(self._decide(change, table, subs))

    def _decide(
        self, change: Change, table: _Table, subs: list[Subscription]
    ) -> Iterator[Delivery]:
        passing = self._passing_filters(change, table, subs)
        values: _Values | None = None
        for role in sorted({s.role for s in subs}):
            mine = [s for s in subs if s.role == role]
            selectable = self.selectable(table.relation.qualified, role)
            error = None
            if change.action != "DELETE":
                if not table.key:
                    error = ERROR_NO_KEY
                elif not all(selectable.get(k) for k in table.key):
                    error = ERROR_UNAUTHORIZED
            if error:
                payload = self._error_payload(change, error)
                yield from (Delivery(s, payload) for s in mine)
                continue
            visible = [s for s in mine if s in passing]
            if visible and table.relation.rls_enabled and change.action != "DELETE":
                visible = self._rls_visible(change, table, visible)
            if not visible:
                continue
            if values is None:
                values = self._typed_values(change, table)
            payload = self._payload(change, table, values, selectable)
            yield from (Delivery(s, payload) for s in visible)

    def primary_key(self, table: str) -> tuple[str, ...]:
        found = self._tables.get(table)
        return found.key if found else ()

    def filters_hold(self, subscription: Subscription, row: dict[str, str | None]) -> bool:
        """Whether ``subscription``'s filters all hold on ``row`` (column name to text)."""
        table = self._tables.get(subscription.table)
        if table is None:
            return False
        truth = self._evaluate(table, {"new": row}, set(subscription.filters))
        return all(("new", f) in truth for f in subscription.filters)

    def validate(self, subscription: Subscription) -> None:
        """Refuse what Realtime refuses when a client subscribes (SubscriptionError)."""
        table = self._tables.get(subscription.table)
        if table is None:
            raise SubscriptionError(
                f"there is no table {subscription.table}",
                hint="name a table of the database, e.g. --table public.orders",
            )
        try:
            selectable = self.selectable(subscription.table, subscription.role)
        except psycopg.errors.UndefinedObject:
            self.conn.rollback()
            raise SubscriptionError(
                f"there is no role {subscription.role!r}", hint="claims pick anon or authenticated"
            ) from None
        member = self.conn.execute(
            "select pg_catalog.pg_has_role(%s, 'member')", [subscription.role]
        ).fetchone()
        self.conn.rollback()
        if not (member and member[0]):
            raise RealtimeUnavailable(
                f"this connection's role cannot act as {subscription.role}, as Realtime does",
                hint=f"connect as a superuser, or grant {subscription.role} to this role",
            )
        for f in subscription.filters:
            if not selectable.get(f.column):
                raise SubscriptionError(
                    f"cannot filter {subscription.table} on {f.column}: no such column that "
                    f"{subscription.role} may read",
                    hint="filter on a column the subscriber may SELECT",
                )
            try:
                with self.conn.transaction():
                    self.conn.execute(*self._check_sql(table, f))
            except psycopg.Error as exc:
                raise SubscriptionError(
                    f"filter {f}: {exc.diag.message_primary}",
                    hint=f"give a value {f.column} can hold",
                ) from None
        self.conn.rollback()

    @staticmethod
    def _check_sql(table: _Table, f: Filter) -> tuple[sql.Composed, list[str]]:
        """A statement that fails where Realtime refuses ``f`` when a client subscribes."""
        kind = table.type_of(f.column)
        if f.op == "in":
            statement = sql.SQL(
                "select case when cardinality(cast(%s as {}[])) > {} "
                "then cast('too many values for in: at most {}' as integer) end"
            ).format(kind, MAX_IN_VALUES, sql.SQL(str(MAX_IN_VALUES)))
        elif f.op == "is":  # null for any type; true, false, unknown for booleans
            return sql.SQL("select cast(null as {}) " + _IS[f.value]).format(kind), []
        elif f.op in ("like", "ilike", "match", "imatch"):
            # The type has the operator, and a pattern compiles.
            operator = _COMPARISONS[f.op]
            statement = sql.SQL(
                "select cast(null as {0}) " + operator + " cast(%s as {0}), '' " + operator + " %s"
            ).format(kind)
            return statement, [f.value, f.value]
        else:  # the value is one of the column's type
            statement = sql.SQL("select cast(%s as {})").format(kind)
        return statement, [f.value]

    def columns(self, table: str, role: str) -> list[dict[str, str]]:
        """The ``columns`` Realtime sends with a change: name and type of each readable column.

        supabase-js converts the row's values by these types (``convertChangeData``).
        """
        found = self._tables.get(table)
        if found is None:
            return []
        selectable = self.selectable(table, role)
        return [
            {"name": c.name, "type": c.type_ref.name}
            for c in found.relation.columns
            if selectable.get(c.name)
        ]

    # ----------------------------------------------------------------- privileges

    def selectable(self, table: str, role: str) -> dict[str, bool]:
        """Per column, whether ``role`` may SELECT it (cached for this deliverer's life)."""
        found = self._selectable.get((table, role))
        if found is None:
            rows = self.conn.execute(
                "select a.attname, pg_catalog.has_column_privilege(%s, a.attrelid, a.attnum, "
                "'SELECT') from pg_catalog.pg_attribute a "
                "where a.attrelid = cast(%s as regclass) and a.attnum > 0 and not a.attisdropped",
                [role, sql.Identifier(*table.split(".")).as_string(self.conn)],
            ).fetchall()
            found = self._selectable[(table, role)] = dict(rows)
        return found

    # ----------------------------------------------------------------- filters

    def _passing_filters(
        self, change: Change, table: _Table, subs: Sequence[Subscription]
    ) -> set[Subscription]:
        rows = {"new": change.new()}
        if change.action == "DELETE":
            rows["old"] = change.old()
        truth = self._evaluate(table, rows, {f for s in subs for f in s.filters})

        def holds(side: str, filters: tuple[Filter, ...]) -> bool:
            return all((side, f) in truth for f in filters)

        return {s for s in subs if any(holds(side, s.filters) for side in rows)}

    def _evaluate(
        self, table: _Table, rows: dict[str, dict[str, str | None]], filters: set[Filter]
    ) -> set[tuple[str, Filter]]:
        """Which (side, filter) pairs hold: one statement, one subquery per column and operator."""
        groups: dict[tuple[str, str, str, bool, str | None], list[Filter]] = {}
        for side, row in rows.items():
            for f in filters:
                if f.column in row and table.type_of(f.column) is not None:
                    keyword = f.value if f.op == "is" else None
                    groups.setdefault((side, f.column, f.op, f.negate, keyword), []).append(f)
        if not groups:
            return set()
        parts, params = [], []
        for (side, column, op, negate, keyword), members in groups.items():
            parts.append(self._group_sql(table, column, op, negate, keyword))
            params += [[f.value for f in members], rows[side][column]]
        results = self.conn.execute(
            sql.SQL("select {}").format(sql.SQL(", ").join(parts)), params
        ).fetchone()
        assert results is not None
        holding = set()
        for (key, members), hits in zip(groups.items(), results, strict=True):
            holding |= {(key[0], members[i - 1]) for i in hits or ()}
        return holding

    @staticmethod
    def _group_sql(
        table: _Table, column: str, op: str, negate: bool, keyword: str | None
    ) -> sql.Composable:
        kind = table.type_of(column)
        row_value = sql.SQL("cast(%s as {})").format(kind)
        value = sql.SQL("cast(f.v as {})").format(kind)
        if op == "in":
            test = sql.SQL("{} = any(cast(f.v as {}[]))").format(row_value, kind)
        elif op == "is":
            test = sql.SQL("{} " + _IS[keyword or "null"]).format(row_value)
        elif op == "isdistinct":
            test = sql.SQL("{} is distinct from {}").format(row_value, value)
        else:
            test = sql.SQL("{} " + _COMPARISONS[op] + " {}").format(row_value, value)
        if negate:
            test = sql.SQL("not ({})").format(test)
        return sql.SQL(
            "(select coalesce(array_agg(f.n), '{{}}') "
            "from unnest(cast(%s as text[])) with ordinality as f(v, n) where {})"
        ).format(test)

    # ----------------------------------------------------------------- RLS

    def _rls_visible(
        self, change: Change, table: _Table, subs: list[Subscription]
    ) -> list[Subscription]:
        """The subscriptions whose subscriber can SELECT the row now, by its key."""
        row = change.new()
        where = sql.SQL(" and ").join(
            sql.SQL("{} = cast(%s as {})").format(sql.Identifier(k), table.type_of(k))
            for k in table.key
        )
        exists = sql.SQL("select exists (select 1 from {} where {})").format(
            sql.Identifier(table.relation.schema, table.relation.name), where
        )
        key = [row.get(k) for k in table.key]
        asked = {(s.role, s.claims_json) for s in subs}
        cursors = {}
        with self.conn.pipeline():
            for role, claims in asked:
                self.conn.execute(
                    "select pg_catalog.set_config('role', %s, true), "
                    "pg_catalog.set_config('request.jwt.claims', %s, true)",
                    [role, claims],
                )
                cursors[role, claims] = self.conn.execute(exists, key)
            self.conn.execute("reset role")
        seen = {who: bool((cur.fetchone() or (False,))[0]) for who, cur in cursors.items()}
        return [s for s in subs if seen[s.role, s.claims_json]]

    # ----------------------------------------------------------------- payload

    def _typed_values(self, change: Change, table: _Table) -> _Values:
        """New and old values as ``to_jsonb(text::type)``, and whether the change is oversized."""
        columns = [
            (side, v)
            for side, row in (("new", change.columns), ("old", change.identity))
            for v in row
            if table.type_of(v.name) is not None
        ]
        casts = [
            sql.SQL("cast(to_jsonb(cast(%s as {})) as text)").format(table.type_of(v.name))
            for _, v in columns
        ]
        size = sql.SQL("octet_length(cast(cast(%s as jsonb) as text))" if change.raw else "%s")
        row = self.conn.execute(
            sql.SQL("select {}").format(sql.SQL(", ").join([size, *casts])),
            [change.raw or change.size, *(v.text for _, v in columns)],
        ).fetchone()
        assert row is not None
        values = _Values(oversized=row[0] > self.max_record_bytes)
        for (side, v), text in zip(columns, row[1:], strict=True):
            (values.new if side == "new" else values.old)[v.name] = _loads(text)
            if text is not None and len(text.encode()) > KEPT_VALUE_BYTES:
                values.large.add((side, v.name))
        return values

    def _payload(
        self, change: Change, table: _Table, values: _Values, selectable: dict[str, bool]
    ) -> dict[str, Any]:
        def kept(side: str, row: dict[str, Any]) -> dict[str, Any]:
            return {
                n: v
                for n, v in row.items()
                if selectable.get(n, False) and not (values.oversized and (side, n) in values.large)
            }

        record: dict[str, Any] = {}
        previous: dict[str, Any] = {}
        if change.action in ("INSERT", "UPDATE"):
            # An unchanged TOAST value is not in the new row: Realtime takes the old one.
            record = {**kept("old", values.old), **kept("new", values.new)}
        if change.action in ("UPDATE", "DELETE"):
            previous = kept("old", values.old)
            if change.action == "DELETE" and table.relation.rls_enabled:
                previous = {n: v for n, v in previous.items() if n in table.key}
        return {
            "schema": change.schema,
            "table": change.table,
            "commit_timestamp": commit_timestamp(change),
            "eventType": change.action,
            "new": record,
            "old": previous,
            "errors": [ERROR_TOO_LARGE] if values.oversized else None,
        }

    @staticmethod
    def _error_payload(change: Change, error: str) -> dict[str, Any]:
        return {
            "schema": change.schema,
            "table": change.table,
            "commit_timestamp": None,
            "eventType": change.action,
            "new": {},
            "old": {},
            "errors": [error],
        }
