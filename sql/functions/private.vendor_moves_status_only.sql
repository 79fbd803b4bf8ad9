CREATE OR REPLACE FUNCTION private.vendor_moves_status_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    begin
      if current_user in ('anon', 'authenticated')
         and new.user_id is distinct from (select auth.uid())
         and not (select private.is_admin())
         and (new.address_id, new.notes) is distinct from (old.address_id, old.notes) then
        raise exception 'a vendor changes only the status of an order'
          using errcode = '42501';
      end if;
      return new;
    end
    $function$;

revoke all on function private.vendor_moves_status_only() from public, anon, authenticated, service_role;
