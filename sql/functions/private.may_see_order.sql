CREATE OR REPLACE FUNCTION private.may_see_order(order_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- For SECURITY DEFINER triggers, which run as the owner: whether the
      -- API caller (PostgREST's role) could read the order. The owner, the
      -- service role and other database users are not limited.
      if pg_catalog.current_setting('role', true) not in ('anon', 'authenticated') then
        return true;
      end if;
      return exists (
        select from public.orders o
         where o.id = may_see_order.order_id
           and (o.user_id = (select auth.uid())
                or o.vendor_id = (select private.current_vendor_id())
                or (select private.is_admin()))
      );
    end
    $function$;

revoke all on function private.may_see_order(order_id uuid) from public, anon, authenticated, service_role;
