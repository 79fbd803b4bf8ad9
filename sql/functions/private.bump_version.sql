CREATE OR REPLACE FUNCTION private.bump_version()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- Whatever the client sent: the version is the database's to give.
      new.version := nextval('private.row_versions');
      return new;
    end
$function$;

comment on function private.bump_version() is 'BEFORE INSERT OR UPDATE on published tables: the row''s next version (optimistic updates use .eq(''version'', v)).';
revoke all on function private.bump_version() from public, anon, authenticated, service_role;
