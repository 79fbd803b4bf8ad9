"""orders listing uses indexes without a filter

orders_select was `user_id = uid OR vendor_id = shop OR is_admin()`: the
is_admin() branch is not indexable, so PostgreSQL could not combine the two
indexes and every listing that relied on the policy alone (no WHERE, as
many Supabase clients write it) read the whole table: 117 ms for a
customer's 20 newest of 1 000 000 orders. The shop and admin branches are
now one indexable condition, `vendor_id = any(visible shops)`: the same
rows (an admin's visible shops are all of them), found by a BitmapOr of
orders_user_created_idx and orders_vendor_created_idx.

From sql/ (zora-db revision --autogenerate):
* create sql/functions/private.visible_shops.sql
* replace sql/policies/public.orders.orders_select.sql

Revision ID: 0013
Revises: 0012

Migrations are immutable once merged: carry the SQL inline, never read sql/
at run time. Each runs in its own transaction with lock_timeout and
statement_timeout set (see zora_db.migrations.MigrationSettings).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
CREATE OR REPLACE FUNCTION private.visible_shops()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
  select case when private.is_admin()
              then (select coalesce(array_agg(v.id), '{}') from public.vendors v)
              else array_remove(array[private.current_vendor_id()], null) end
$function$;

comment on function private.visible_shops() is 'The shops whose orders the caller sees as a shop: their own, or every shop for an admin. For policies, as vendor_id = any ((select private.visible_shops())::uuid[]).';
revoke all on function private.visible_shops() from public, anon, authenticated, service_role;
grant execute on function private.visible_shops() to authenticated;
grant execute on function private.visible_shops() to service_role;
""")

    op.execute(r"""
drop policy if exists orders_select on public.orders;
-- Two indexable branches, so a customer's or a shop's listing is a BitmapOr
-- of two index scans even without a WHERE; an OR with is_admin() is not
-- indexable and made every such listing read the whole table.
create policy orders_select on public.orders
  as permissive
  for select
  to authenticated
  using (user_id = (select auth.uid())
         or vendor_id = any ((select private.visible_shops())::uuid[]));
""")


def downgrade() -> None:
    op.execute(r"""
drop policy if exists orders_select on public.orders;
create policy orders_select on public.orders
  as permissive
  for select
  to authenticated
  using (((user_id = ( SELECT auth.uid() AS uid)) OR (vendor_id = ( SELECT private.current_vendor_id() AS current_vendor_id)) OR ( SELECT private.is_admin() AS is_admin)));
""")

    op.execute(r"""
drop function private.visible_shops();
""")
