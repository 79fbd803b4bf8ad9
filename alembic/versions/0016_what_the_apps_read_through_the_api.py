"""what the apps read through the API: push-token upserts, their own orders' shops, review authors

Revision ID: 0016
Revises: 0015

Found by the apps' calls through a real PostgREST and supabase-js (tests/api):

* Registering a push token is an upsert on `token`; PostgREST puts every
  column sent, `user_id` included, in `ON CONFLICT DO UPDATE SET`, and
  `user_id` had no UPDATE grant: 42501. The policy's WITH CHECK still keeps a
  token on its owner (another account's token stays refused).
* A customer's order detail embeds `vendors(shop_name)` and the cart
  `products(name, price)`; once the shop or the product went off sale, RLS
  hid it and the embed came back `null`, which the generated types (and the
  apps) take to be impossible. Customers now see the shops and products of
  their own orders and cart: two plpgsql helpers return those ids once per
  statement (SECURITY DEFINER: anon has no rights on orders, and a policy's
  sub-select runs with the caller's). The storefront still lists only what is
  on sale (the apps filter `is_active`; anon sees nothing more).
* Reviews listed with their authors: `profiles` is private (email, phone,
  role), so the embed `profiles(full_name)` is null for customers and refused
  for anon. A review now carries `author_name`, copied from the author's
  profile when written and kept in step when the profile's name changes; the
  profile itself stays private. Clients cannot write it (no column grant, and
  the trigger sets it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    grant update (user_id) on table public.device_tokens to authenticated;
    """)

    op.execute("""
    create function private.customer_shop_ids() returns uuid[]
      language plpgsql stable security definer set search_path = ''
    as $$
    begin
      -- The shops the caller has ordered from or has in their cart.
      return array(
        select o.vendor_id from public.orders o where o.user_id = (select auth.uid())
        union
        select c.vendor_id from public.cart_items c where c.user_id = (select auth.uid())
      );
    end
    $$;
    comment on function private.customer_shop_ids() is
      'Shops of the caller''s orders and cart. For policies, as (select private.customer_shop_ids()).';
    revoke all on function private.customer_shop_ids() from public, anon, authenticated, service_role;
    grant execute on function private.customer_shop_ids() to anon, authenticated, service_role;

    create function private.customer_product_ids() returns uuid[]
      language plpgsql stable security definer set search_path = ''
    as $$
    begin
      -- The products the caller has ordered or has in their cart.
      return array(
        select i.product_id from public.order_items i
          join public.orders o on o.id = i.order_id
         where o.user_id = (select auth.uid()) and i.product_id is not null
        union
        select c.product_id from public.cart_items c where c.user_id = (select auth.uid())
      );
    end
    $$;
    comment on function private.customer_product_ids() is
      'Products of the caller''s orders and cart. For policies, as (select private.customer_product_ids()).';
    revoke all on function private.customer_product_ids() from public, anon, authenticated, service_role;
    grant execute on function private.customer_product_ids() to anon, authenticated, service_role;

    drop policy vendors_select on public.vendors;
    create policy vendors_select on public.vendors
      as permissive for select to anon, authenticated
      using ((is_verified and is_active) or user_id = (select auth.uid())
             or (select private.is_admin())
             or id = any ((select private.customer_shop_ids())::uuid[]));

    drop policy products_select on public.products;
    create policy products_select on public.products
      as permissive for select to anon, authenticated
      using ((is_active and exists (select 1 from public.vendors v
                                     where v.id = products.vendor_id
                                       and v.is_verified and v.is_active))
             or vendor_id = (select private.current_vendor_id())
             or (select private.is_admin())
             or id = any ((select private.customer_product_ids())::uuid[]));
    """)

    op.execute("""
    alter table public.reviews add column author_name text;
    comment on column public.reviews.author_name is
      'The author''s name as their profile shows it (kept in step); the profile stays private.';

    create function private.set_review_author() returns trigger
      language plpgsql security definer set search_path = ''
    as $$
    begin
      new.author_name := (select p.full_name from public.profiles p where p.id = new.user_id);
      return new;
    end
    $$;
    revoke all on function private.set_review_author() from public, anon, authenticated, service_role;
    create trigger set_review_author before insert or update of user_id, author_name
      on public.reviews for each row execute function private.set_review_author();

    create function private.rename_review_author() returns trigger
      language plpgsql security definer set search_path = ''
    as $$
    begin
      update public.reviews r set author_name = new.full_name
       where r.user_id = new.id and r.author_name is distinct from new.full_name;
      return null;
    end
    $$;
    revoke all on function private.rename_review_author() from public, anon, authenticated, service_role;
    create trigger rename_review_author after update of full_name on public.profiles
      for each row when (old.full_name is distinct from new.full_name)
      execute function private.rename_review_author();

    update public.reviews r set author_name = p.full_name
      from public.profiles p where p.id = r.user_id;
    """)


def downgrade() -> None:
    op.execute("""
    drop trigger rename_review_author on public.profiles;
    drop function private.rename_review_author();
    drop trigger set_review_author on public.reviews;
    drop function private.set_review_author();
    alter table public.reviews drop column author_name;

    drop policy products_select on public.products;
    create policy products_select on public.products
      as permissive for select to anon, authenticated
      using ((is_active and exists (select 1 from public.vendors v
                                     where v.id = products.vendor_id
                                       and v.is_verified and v.is_active))
             or vendor_id = (select private.current_vendor_id())
             or (select private.is_admin()));
    drop policy vendors_select on public.vendors;
    create policy vendors_select on public.vendors
      as permissive for select to anon, authenticated
      using ((is_verified and is_active) or user_id = (select auth.uid())
             or (select private.is_admin()));
    drop function private.customer_product_ids();
    drop function private.customer_shop_ids();

    revoke update (user_id) on table public.device_tokens from authenticated;
    """)
