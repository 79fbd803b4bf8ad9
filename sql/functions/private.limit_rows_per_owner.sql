CREATE OR REPLACE FUNCTION private.limit_rows_per_owner()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      over uuid;
    begin
      -- After an insert (one statement, however many rows): no owner may hold
      -- more than tg_argv[0] rows of this table. One request inserting 10 000
      -- addresses is refused whole.
      execute pg_catalog.format(
        'select t.user_id from %I.%I t where t.user_id in (select n.user_id from new_rows n) '
        'group by t.user_id having count(*) > %s limit 1',
        tg_table_schema, tg_table_name, tg_argv[0]::integer)
        into over;
      if over is not null then
        raise exception 'at most % rows of % per user', tg_argv[0], tg_table_name
          using errcode = 'ZA010';
      end if;
      return null;
    end
    $function$;

revoke all on function private.limit_rows_per_owner() from public, anon, authenticated, service_role;
