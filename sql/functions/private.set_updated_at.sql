CREATE OR REPLACE FUNCTION private.set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    begin
      new.updated_at := pg_catalog.now();
      return new;
    end
    $function$;

revoke all on function private.set_updated_at() from public, anon, authenticated, service_role;
