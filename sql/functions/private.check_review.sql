CREATE OR REPLACE FUNCTION private.check_review()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      ord record;
    begin
      select o.user_id, o.vendor_id, o.status into ord
        from public.orders o where o.id = new.order_id;
      if not found then
        return new;  -- the foreign key reports the missing order
      end if;
      if not private.may_see_order(new.order_id) then
        -- Another customer's order: say no more than row level security would
        -- (its status and shop stay unknown).
        raise exception 'new row violates row-level security policy for table "reviews"'
          using errcode = '42501';
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
    $function$;

revoke all on function private.check_review() from public, anon, authenticated, service_role;
