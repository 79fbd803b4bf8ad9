CREATE OR REPLACE FUNCTION private.admin_only_columns()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
    declare
      col text;
    begin
      -- Only requests (anon, authenticated) are guarded: migrations, the
      -- service role and SECURITY DEFINER triggers run as other roles.
      if current_user not in ('anon', 'authenticated') or (select private.is_admin()) then
        return new;
      end if;
      foreach col in array tg_argv loop
        if pg_catalog.to_jsonb(new) -> col is distinct from pg_catalog.to_jsonb(old) -> col then
          raise exception 'only an admin may change %.%', tg_table_name, col
            using errcode = '42501';
        end if;
      end loop;
      return new;
    end
    $function$;

comment on function private.admin_only_columns() is 'Trigger: refuse a request that changes one of the named columns unless an admin sends it.';
revoke all on function private.admin_only_columns() from public, anon, authenticated, service_role;
