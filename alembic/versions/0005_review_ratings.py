"""reviews: only for a delivered order, and running ratings on vendors and products

Revision ID: 0005
Revises: 0004

A review belongs to one delivered order of its author (one per order); its
vendor is the order's, and a product it names must be in that order
(SQLSTATE ZA006 otherwise). Each insert, update or delete adjusts the
vendor's and the product's review_count and rating_sum by the difference,
so a write costs the same with ten reviews or a million; `rating` is a
generated column over the two. Concurrent reviews of one vendor serialise
on the vendor row, so no increment is lost.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    create function private.check_review() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    declare
      ord record;
    begin
      select o.user_id, o.vendor_id, o.status into ord
        from public.orders o where o.id = new.order_id;
      if not found then
        return new;  -- the foreign key reports the missing order
      end if;
      if ord.user_id <> new.user_id or ord.status <> 'delivered' then
        raise exception 'a review needs a delivered order of its author'
          using errcode = 'ZA006',
                detail = pg_catalog.format('order %s is %s', new.order_id, ord.status);
      end if;
      if new.product_id is not null and not exists (
        select from public.order_items i
        where i.order_id = new.order_id and i.product_id = new.product_id
      ) then
        raise exception 'product % is not part of order %', new.product_id, new.order_id
          using errcode = 'ZA006';
      end if;
      new.vendor_id := ord.vendor_id;
      return new;
    end
    $$;

    create trigger check_review
      before insert or update of order_id, user_id, vendor_id, product_id on public.reviews
      for each row execute function private.check_review();

    create function private.apply_review_rating() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update public.vendors
           set review_count = review_count - 1, rating_sum = rating_sum - old.rating
         where id = old.vendor_id;
        update public.products
           set review_count = review_count - 1, rating_sum = rating_sum - old.rating
         where id = old.product_id;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        update public.vendors
           set review_count = review_count + 1, rating_sum = rating_sum + new.rating
         where id = new.vendor_id;
        update public.products
           set review_count = review_count + 1, rating_sum = rating_sum + new.rating
         where id = new.product_id;
      end if;
      return null;
    end
    $$;

    create trigger apply_review_rating
      after insert or delete or update of rating, vendor_id, product_id on public.reviews
      for each row execute function private.apply_review_rating();

    revoke all on function private.check_review(), private.apply_review_rating() from public;
    """)


def downgrade() -> None:
    op.execute("""
    drop trigger apply_review_rating on public.reviews;
    drop trigger check_review on public.reviews;
    drop function private.apply_review_rating(), private.check_review();
    """)
