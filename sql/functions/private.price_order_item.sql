CREATE OR REPLACE FUNCTION private.price_order_item()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      target uuid := case tg_op when 'DELETE' then old.order_id else new.order_id end;
      ord record;
    begin
      if tg_op = 'UPDATE' and new.product_id is null and old.product_id is not null
         and new.quantity = old.quantity and new.order_id = old.order_id then
        -- The product was deleted (ON DELETE SET NULL): the item keeps the name
        -- and price it was sold with, whatever the order's status.
        new.unit_price := old.unit_price;
        new.product_name := old.product_name;
        return new;
      end if;
      -- One lookup for the order and the product. Locking the order queues
      -- item writers, so each statement's subtotal recount (in a later
      -- snapshot) sees the items committed before it, and no item slips in
      -- while the order is being confirmed.
      select o.status, o.vendor_id, o.currency,
             p.id as product_id, p.name, p.price, p.is_active,
             p.vendor_id as product_vendor_id, p.currency as product_currency
        into ord
        from public.orders o
        left join public.products p
          on tg_op <> 'DELETE' and p.id = new.product_id
       where o.id = target
         for no key update of o;
      if not found then
        -- A missing order: the foreign key reports it. Or a cascade from the
        -- order's own deletion: let it through.
        return case tg_op when 'DELETE' then old else new end;
      end if;
      if not private.may_see_order(target) then
        -- Before anything about the order is said (its status, its shop):
        -- an API caller learns no more than row level security would tell.
        raise exception 'new row violates row-level security policy for table "order_items"'
          using errcode = '42501';
      end if;
      if ord.status <> 'pending' then
        raise exception 'order % is %: its items can no longer change', target, ord.status
          using errcode = 'ZA004';
      end if;
      if tg_op = 'DELETE' then
        return old;
      end if;
      if tg_op = 'UPDATE' and new.product_id is not distinct from old.product_id
         and new.quantity = old.quantity and new.order_id = old.order_id then
        new.unit_price := old.unit_price;  -- nothing to re-price; keep what was charged
        new.product_name := old.product_name;
        return new;
      end if;
      if ord.product_id is null or not ord.is_active then
        raise exception 'product % is not available', new.product_id
          using errcode = 'ZA002';
      end if;
      if ord.product_vendor_id <> ord.vendor_id or ord.product_currency <> ord.currency then
        raise exception 'product % is not sold by this order''s vendor in %',
          new.product_id, ord.currency
          using errcode = 'ZA003';
      end if;
      new.unit_price := ord.price;
      new.product_name := ord.name;
      return new;
    end
    $function$;

revoke all on function private.price_order_item() from public, anon, authenticated, service_role;
