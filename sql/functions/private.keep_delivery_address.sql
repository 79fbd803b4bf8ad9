CREATE OR REPLACE FUNCTION private.keep_delivery_address()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- A new address chosen for the order (while pending) is the one kept;
      -- the address row being deleted (ON DELETE SET NULL) keeps the old one.
      if new.address_id is not null then
        new.delivery_address := private.address_snapshot(new.address_id, new.user_id);
      end if;
      return new;
    end
    $function$;

revoke all on function private.keep_delivery_address() from public, anon, authenticated, service_role;
