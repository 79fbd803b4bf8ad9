CREATE OR REPLACE FUNCTION private.check_order_transition()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    begin
      if not private.order_transition_allowed(old.status, new.status) then
        raise exception 'order % cannot go from % to %', old.id, old.status, new.status
          using errcode = 'ZA001',
                hint = 'allowed: pending → confirmed → preparing → ready → '
                       '(out_for_delivery →) delivered → refunded; cancel before dispatch';
      end if;
      return new;
    end
    $function$;

revoke all on function private.check_order_transition() from public, anon, authenticated, service_role;
