CREATE OR REPLACE FUNCTION private.reactivate_device_token()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    begin
      -- A write that does not itself change is_active is the app registering
      -- its token (the API roles may not write is_active): it is alive again.
      if not old.is_active and new.is_active is not distinct from old.is_active then
        new.is_active := true;
        new.deactivated_at := null;
        new.deactivated_reason := null;
      end if;
      return new;
    end
$function$;

comment on function private.reactivate_device_token() is 'BEFORE UPDATE on device_tokens: a re-registered token is active again.';
revoke all on function private.reactivate_device_token() from public, anon, authenticated, service_role;
