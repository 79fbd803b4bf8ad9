CREATE OR REPLACE FUNCTION private.max_order_items()
 RETURNS integer
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- system_config's orders.max_items (admins set it; nobody else reads it).
      return coalesce(
        (select (c.value #>> '{}')::integer from public.system_config c
          where c.key = 'orders.max_items'),
        50);
    end
    $function$;

revoke all on function private.max_order_items() from public, anon, authenticated, service_role;
grant execute on function private.max_order_items() to authenticated;
grant execute on function private.max_order_items() to service_role;
