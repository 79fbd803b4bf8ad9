CREATE OR REPLACE FUNCTION private.order_transition_allowed(from_status order_status, to_status order_status)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO ''
AS $function$
      select (from_status, to_status) in (
        ('pending', 'confirmed'), ('pending', 'cancelled'),
        ('confirmed', 'preparing'), ('confirmed', 'cancelled'),
        ('preparing', 'ready'), ('preparing', 'cancelled'),
        ('ready', 'out_for_delivery'), ('ready', 'delivered'), ('ready', 'cancelled'),
        ('out_for_delivery', 'delivered'),
        ('delivered', 'refunded')
      )
    $function$;

comment on function private.order_transition_allowed(from_status order_status, to_status order_status) is 'The order life cycle: pending → confirmed → preparing → ready → (out_for_delivery →) delivered → refunded; cancelled before dispatch. Nothing leaves cancelled or refunded.';
revoke all on function private.order_transition_allowed(from_status order_status, to_status order_status) from public, anon, authenticated, service_role;
grant execute on function private.order_transition_allowed(from_status order_status, to_status order_status) to authenticated;
grant execute on function private.order_transition_allowed(from_status order_status, to_status order_status) to service_role;
