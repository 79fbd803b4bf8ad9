CREATE OR REPLACE FUNCTION private.replayed_order(placed orders, vendor_id uuid, items jsonb)
 RETURNS orders
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
    begin
      -- The same order, or a reuse of its key: compare the shop and the items
      -- (quantities summed per product, in any order).
      if placed.vendor_id is distinct from replayed_order.vendor_id or exists (
        (select i.product_id, sum(i.quantity) from public.order_items i
          where i.order_id = placed.id group by i.product_id)
        except
        (select (item ->> 'product_id')::uuid, sum(coalesce((item ->> 'quantity')::int, 1))
           from pg_catalog.jsonb_array_elements(items) as item group by 1)
      ) or exists (
        (select (item ->> 'product_id')::uuid, sum(coalesce((item ->> 'quantity')::int, 1))
           from pg_catalog.jsonb_array_elements(items) as item group by 1)
        except
        (select i.product_id, sum(i.quantity) from public.order_items i
          where i.order_id = placed.id group by i.product_id)
      ) then
        raise exception 'idempotency key % was used for another order', placed.idempotency_key
          using errcode = 'ZA008',
                hint = 'send a new key for a new order';
      end if;
      return placed;
    end
    $function$;

revoke all on function private.replayed_order(placed orders, vendor_id uuid, items jsonb) from public, anon, authenticated, service_role;
grant execute on function private.replayed_order(placed orders, vendor_id uuid, items jsonb) to authenticated;
grant execute on function private.replayed_order(placed orders, vendor_id uuid, items jsonb) to service_role;
