"""The shape of the schema at head: tables, keys, indexes, functions, publication."""

from __future__ import annotations

import pytest

from tests.conftest import query, scalar

CONTRACT_COLUMNS = {
    "notifications": {"user_id", "type", "title", "description", "action_url", "is_read"},
    "cart_items": {"user_id", "product_id", "vendor_id", "quantity"},
    "orders": {"user_id", "vendor_id", "status", "total"},
    "vendors": {"user_id", "shop_name", "logo_url", "is_verified"},
    "products": {"vendor_id"},
    "profiles": {"id"},
}
TABLES = {
    "profiles",
    "vendors",
    "categories",
    "products",
    "cart_items",
    "addresses",
    "orders",
    "order_items",
    "order_status_history",
    "payments",
    "reviews",
    "notifications",
    "conversations",
    "messages",
    "favorites",
    "device_tokens",
    "system_config",
}
REALTIME = {
    "orders",
    "order_items",
    "products",
    "vendors",
    "cart_items",
    "notifications",
    "reviews",
    "profiles",
    "conversations",
    "messages",
}


def test_all_tables_exist(db_url: str) -> None:
    tables = {
        r[0] for r in query(db_url, "select tablename from pg_tables where schemaname = 'public'")
    }
    assert tables - {"alembic_version"} == TABLES


@pytest.mark.parametrize(("table", "columns"), sorted(CONTRACT_COLUMNS.items()))
def test_the_apps_column_contract(db_url: str, table: str, columns: set[str]) -> None:
    present = {
        r[0]
        for r in query(
            db_url,
            "select column_name from information_schema.columns "
            "where table_schema = 'public' and table_name = %s",
            [table],
        )
    }
    assert columns <= present


def test_enums(db_url: str) -> None:
    values = query(db_url, "select enum_range(null::public.order_status)::text[]")[0][0]
    assert values == [
        "pending",
        "confirmed",
        "preparing",
        "ready",
        "out_for_delivery",
        "delivered",
        "cancelled",
        "refunded",
    ]
    roles = query(db_url, "select enum_range(null::public.user_role)::text[]")[0][0]
    assert roles == ["customer", "vendor", "admin"]


def test_cart_is_unique_per_user_and_product(db_url: str) -> None:
    assert (
        scalar(
            db_url,
            """
        select pg_get_constraintdef(oid) from pg_constraint
        where conrelid = 'public.cart_items'::regclass and contype = 'u'
    """,
        )
        == "UNIQUE (user_id, product_id)"
    )


UNINDEXED_FOREIGN_KEYS = """
        select c.conrelid::regclass::text, c.conname
        from pg_constraint c
        where c.contype = 'f' and c.connamespace = 'public'::regnamespace
          and not exists (
            select from pg_index i
            where i.indrelid = c.conrelid
              and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey
          )
"""


def test_every_foreign_key_is_indexed(db_url: str) -> None:
    assert query(db_url, UNINDEXED_FOREIGN_KEYS) == []
    query(db_url, "drop index public.order_items_product_id_idx")  # the check can fail
    assert query(db_url, UNINDEXED_FOREIGN_KEYS) == [("order_items", "order_items_product_id_fkey")]


def test_every_table_has_a_primary_key_and_uuid_keys_have_defaults(db_url: str) -> None:
    assert (
        query(
            db_url,
            """
        select relname from pg_class c
        where relnamespace = 'public'::regnamespace and relkind = 'r'
          and not exists (select from pg_constraint where conrelid = c.oid and contype = 'p')
    """,
        )
        == []
    )
    assert (
        query(
            db_url,
            """
        select table_name from information_schema.columns
        where table_schema = 'public' and column_name = 'id' and data_type = 'uuid'
          and column_default is null and table_name <> 'profiles'
    """,
        )
        == []
    )


def test_money_is_numeric_and_never_negative(db_url: str) -> None:
    rows = query(
        db_url,
        """
        select table_name, column_name, data_type, domain_name
        from information_schema.columns
        where table_schema = 'public'
          and column_name in ('price', 'subtotal', 'delivery_fee', 'total', 'unit_price',
                              'line_total', 'amount')
    """,
    )
    assert rows
    for table, column, data_type, domain in rows:
        assert data_type == "numeric", (table, column)
        assert domain == "money_amount" or column in {"total", "line_total"}, (table, column)


def test_timestamps_are_timestamptz(db_url: str) -> None:
    assert (
        query(
            db_url,
            """
        select table_name, column_name from information_schema.columns
        where table_schema = 'public' and data_type = 'timestamp without time zone'
    """,
        )
        == []
    )


def test_every_table_with_updated_at_has_the_trigger(db_url: str) -> None:
    missing = query(
        db_url,
        """
        select table_name from information_schema.columns c
        where table_schema = 'public' and column_name = 'updated_at'
          and not exists (
            select from pg_trigger t
            where t.tgrelid = format('public.%I', c.table_name)::regclass
              and t.tgname = 'set_updated_at'
          )
    """,
    )
    assert missing == []
    assert scalar(db_url, "select count(*) from pg_trigger where tgname = 'set_updated_at'") == 12


def test_security_definer_functions_are_pinned_and_not_public(db_url: str) -> None:
    rows = query(
        db_url,
        """
        select p.oid::regprocedure::text, p.proconfig, has_function_privilege('public', p.oid,
               'execute') as public_exec
        from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    """,
    )
    assert rows
    for name, config, public_exec in rows:
        assert config is not None and any(c.startswith("search_path=") for c in config), name
        assert not public_exec, f"{name} is executable by PUBLIC"
    definers = query(
        db_url,
        """
        select p.oid::regprocedure::text, p.proconfig from pg_proc p
        where p.prosecdef and p.pronamespace in ('public'::regnamespace,
                                                  'private'::regnamespace)
    """,
    )
    assert definers
    for name, config in definers:
        assert 'search_path=""' in config, name


def test_no_security_definer_function_is_exposed_through_the_api_schema(db_url: str) -> None:
    assert (
        query(
            db_url,
            """
        select oid::regprocedure::text from pg_proc
        where prosecdef and pronamespace = 'public'::regnamespace
    """,
        )
        == []
    )


def test_publication_holds_exactly_the_ten_tables(db_url: str) -> None:
    published = {
        r[0]
        for r in query(
            db_url,
            "select tablename from pg_publication_tables where pubname = 'supabase_realtime'",
        )
    }
    assert published == REALTIME


def test_replica_identity_full_only_where_the_apps_need_the_old_row(db_url: str) -> None:
    identities = dict(
        query(
            db_url,
            """
        select relname::text, relreplident::text from pg_class
        where relnamespace = 'public'::regnamespace and relkind = 'r'
    """,
        )
    )
    # orders: `old.status`; cart_items and products: DELETEs filtered on user / shop.
    full = {name for name, identity in identities.items() if identity == "f"}
    assert full == {"orders", "cart_items", "products"}
    assert {identities[n] for n in identities.keys() - full} == {"d"}


def test_extensions_are_not_in_public(db_url: str) -> None:
    assert (
        query(
            db_url,
            """
        select extname from pg_extension
        where extnamespace = 'public'::regnamespace
    """,
        )
        == []
    )
