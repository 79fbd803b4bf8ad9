CREATE OR REPLACE FUNCTION private.log_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      image jsonb := to_jsonb(case when tg_op = 'DELETE' then old else new end);
      previous jsonb := case when tg_op = 'UPDATE' then to_jsonb(old) end;
    begin
      -- Everyone who could see the row before or after the write learns of it.
      insert into private.changes (tbl, audience, id, version, removed, image, previous)
      select distinct on (a.who) tg_table_name, a.who, (image ->> 'id')::uuid,
             (image ->> 'version')::bigint, tg_op = 'DELETE', image, previous
        from unnest(coalesce(private.audience_of(tg_table_name, image), '{}')
                    || coalesce(private.audience_of(tg_table_name, previous), '{}')) a(who)
       where a.who is not null;
      return null;
    end
$function$;

comment on function private.log_change() is 'AFTER INSERT, UPDATE, DELETE on published tables: the change, in catch-up''s log, for everyone who may learn of it.';
revoke all on function private.log_change() from public, anon, authenticated, service_role;
