CREATE OR REPLACE FUNCTION private.recompute_subtotals(order_ids uuid[])
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
      update public.orders o
         set subtotal = coalesce(s.total, 0)
        from pg_catalog.unnest(order_ids) as changed (id)
        left join lateral (
          select sum(i.line_total) as total from public.order_items i where i.order_id = changed.id
        ) s on true
       where o.id = changed.id and o.subtotal is distinct from coalesce(s.total, 0)
    $function$;

revoke all on function private.recompute_subtotals(order_ids uuid[]) from public, anon, authenticated, service_role;
