CREATE OR REPLACE FUNCTION private.order_items_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Unexecuted branches never touch the transition tables they name,
      -- so one function serves the three statement-level triggers.
      if tg_op = 'DELETE' then
        perform private.recompute_subtotals(array(select distinct order_id from old_items));
      elsif tg_op = 'INSERT' then
        -- One request must not grow an order without bound (create_order
        -- checks first; this covers items inserted directly).
        if exists (
          select from public.order_items i
           where i.order_id in (select distinct n.order_id from new_items n)
           group by i.order_id having count(*) > private.max_order_items()
        ) then
          raise exception 'an order holds at most % items', private.max_order_items()
            using errcode = 'ZA010';
        end if;
        perform private.recompute_subtotals(array(select distinct order_id from new_items));
      else
        perform private.recompute_subtotals(array(
          select order_id from new_items union select order_id from old_items
        ));
      end if;
      return null;
    end
    $function$;

revoke all on function private.order_items_changed() from public, anon, authenticated, service_role;
