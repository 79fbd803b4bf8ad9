CREATE OR REPLACE FUNCTION private.announce_new_order()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Deferred to commit: read the order as it is now, with its items (one
      -- statement, as this runs once per order). Nothing if it is gone.
      insert into public.notifications (user_id, type, title, description, action_url, data)
      select v.user_id, 'order', 'New Order Received!',
             'You have received a new order worth '
               || case o.currency when 'GBP' then '£' when 'EUR' then '€' when 'USD' then '$'
                  else o.currency || ' ' end
               || pg_catalog.to_char(o.total, 'FM999999990.00'),
             '/orders/' || o.id,
             pg_catalog.jsonb_build_object('order_id', o.id)
        from public.orders o join public.vendors v on v.id = o.vendor_id
       where o.id = new.id;
      return null;
    end
    $function$;

revoke all on function private.announce_new_order() from public, anon, authenticated, service_role;
