CREATE OR REPLACE FUNCTION private.record_order_status_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      actor uuid := (select p.id from public.profiles p where p.id = (select auth.uid()));
    begin
      -- Stamped now, not at the transaction's start: a vendor's update that
      -- waited for the order's lock lands after the change it waited for, and
      -- its history row must say so.
      insert into public.order_status_history (order_id, from_status, to_status, changed_by,
                                               changed_at)
      values (new.id, old.status, new.status, actor, pg_catalog.clock_timestamp());
      insert into public.notifications (user_id, type, title, description, action_url, data)
      values (
        new.user_id, 'order_status',
        case new.status
          when 'confirmed' then 'Order confirmed'
          when 'preparing' then 'Your order is being prepared'
          when 'ready' then 'Your order is ready'
          when 'out_for_delivery' then 'Your order is on its way'
          when 'delivered' then 'Order delivered'
          when 'cancelled' then 'Order cancelled'
          when 'refunded' then 'Order refunded'
        end,
        'Order #' || left(new.id::text, 8) || ' is now '
          || replace(new.status::text, '_', ' ') || '.',
        '/orders/' || new.id,
        pg_catalog.jsonb_build_object(
          'order_id', new.id, 'from', old.status, 'to', new.status
        )
      );
      return null;
    end
    $function$;

revoke all on function private.record_order_status_change() from public, anon, authenticated, service_role;
