CREATE OR REPLACE FUNCTION private.lock_pending_orders()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Before a statement changes order items: the caller's pending orders
      -- (the only ones whose items they may change), locked in id order. Each
      -- item's trigger locks its order too, but only after the item row is
      -- locked; two devices of one customer, one updating several lines and
      -- one a single line, then took the two locks in opposite orders and
      -- deadlocked. Taken here first, the second device queues instead.
      perform from public.orders o
        where o.user_id = (select auth.uid()) and o.status = 'pending'
        order by o.id
        for no key update;
      return null;
    end
    $function$;

revoke all on function private.lock_pending_orders() from public, anon, authenticated, service_role;
