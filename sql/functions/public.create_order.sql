CREATE OR REPLACE FUNCTION public.create_order(vendor_id uuid, items jsonb, address_id uuid DEFAULT NULL::uuid, notes text DEFAULT NULL::text, idempotency_key uuid DEFAULT NULL::uuid)
 RETURNS orders
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      placed public.orders;
      violated text;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      if pg_catalog.jsonb_array_length(items) > private.max_order_items() then
        raise exception 'an order holds at most % items', private.max_order_items()
          using errcode = 'ZA010',
                hint = 'system_config orders.max_items sets the limit';
      end if;
      if create_order.idempotency_key is not null then
        select * into placed from public.orders o
         where o.user_id = (select auth.uid()) and o.idempotency_key = create_order.idempotency_key;
        if found then
          return private.replayed_order(placed, create_order.vendor_id, items);
        end if;
      end if;
      -- Named before the order is inserted, so that prepare_new_order inserts it
      -- with its final subtotal: Realtime sends the INSERT as the row was
      -- inserted, and the vendor's "New Order Received!" shows that total.
      perform pg_catalog.set_config('zora.new_order_items', items::text, true);
      begin
        insert into public.orders (user_id, vendor_id, address_id, notes, idempotency_key)
        values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
                create_order.notes, create_order.idempotency_key)
        returning * into placed;
      exception when unique_violation then
        get stacked diagnostics violated = constraint_name;
        if violated is distinct from 'orders_idempotency_key' then
          raise;
        end if;
        -- A replay raced this call and won: its order is committed now.
        select * into placed from public.orders o
         where o.user_id = (select auth.uid()) and o.idempotency_key = create_order.idempotency_key;
        return private.replayed_order(placed, create_order.vendor_id, items);
      end;
      perform pg_catalog.set_config('zora.new_order_items', '', true);
      -- Prices, names and the subtotal come from the triggers, never from here.
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $function$;

comment on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) is 'Place an order with its items in one transaction; returns the priced order. A replay with the same idempotency_key returns the same order.';
revoke all on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) from public, anon, authenticated, service_role;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to authenticated;
grant execute on function public.create_order(vendor_id uuid, items jsonb, address_id uuid, notes text, idempotency_key uuid) to service_role;
