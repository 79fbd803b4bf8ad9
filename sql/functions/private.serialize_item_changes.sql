CREATE OR REPLACE FUNCTION private.serialize_item_changes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Before any statement on order items: one customer's item changes go
      -- one at a time (a transaction-level advisory lock per customer, taken
      -- before any row). Each item's trigger locks its order, but only after
      -- the item row is locked; two devices of one customer, one updating
      -- several lines and one a single line, took the two locks in opposite
      -- orders and deadlocked. Only a customer's own requests change items
      -- (the policies allow nothing else but admins and the service role).
      if (select auth.uid()) is not null then
        perform pg_catalog.pg_advisory_xact_lock(
          pg_catalog.hashtextextended('zora order items of ' || (select auth.uid())::text, 0));
      end if;
      return null;
    end
    $function$;

revoke all on function private.serialize_item_changes() from public, anon, authenticated, service_role;
