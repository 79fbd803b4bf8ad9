CREATE OR REPLACE FUNCTION private.prepare_new_order()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      shop record;
    begin
      if new.status <> 'pending' then
        raise exception 'a new order starts as pending, not %', new.status
          using errcode = 'ZA001';
      end if;
      select v.delivery_fee, v.currency, v.is_verified and v.is_active as open,
             v.user_id as owner
        into shop from public.vendors v where v.id = new.vendor_id;
      if not found or not shop.open then
        raise exception 'vendor % is not accepting orders', new.vendor_id
          using errcode = 'ZA005';
      end if;
      if shop.owner = new.user_id then
        -- An order from one's own shop could only serve to review it.
        raise exception 'a shop''s owner cannot order from it'
          using errcode = 'ZA009';
      end if;
      new.delivery_address := private.address_snapshot(new.address_id, new.user_id);
      -- Priced from the products, never from the caller. create_order names
      -- its items first (zora.new_order_items), so the order is inserted with
      -- the subtotal its items will have and their triggers change nothing;
      -- any other insert starts at 0 and its items set it.
      new.subtotal := coalesce((
        select sum(p.price * coalesce(i.quantity, 1))
          from pg_catalog.jsonb_to_recordset(
                 nullif(pg_catalog.current_setting('zora.new_order_items', true), '')::jsonb
               ) as i (product_id uuid, quantity integer)
          join public.products p on p.id = i.product_id
         where p.vendor_id = new.vendor_id and p.is_active
      ), 0);
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $function$;

revoke all on function private.prepare_new_order() from public, anon, authenticated, service_role;
