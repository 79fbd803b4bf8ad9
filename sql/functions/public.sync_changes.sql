CREATE OR REPLACE FUNCTION public.sync_changes(p_table text, p_filter text DEFAULT NULL::text, p_cursor text DEFAULT NULL::text, p_limit integer DEFAULT 1000)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
      rel regclass;
      tbl text;
      snapshot pg_snapshot := pg_current_snapshot();
      horizon xid8 := pg_snapshot_xmin(snapshot);
      state private.sync_state;
      epoch text;
      all_entries boolean := (select private.is_admin())
        or (select r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = current_user);
      audiences uuid[] := array[everyone, coalesce((select auth.uid()), everyone)];
      select_list text;
      where_sql text := 'true';
      image_sql text := 'true';     -- the filter on a logged image (jsonb), per column type
      previous_sql text := 'true';  -- ... on the image before an update (the row left the filter)
      column_type text;
      condition text;
      part text[];
      cursor_part text[];
      from_xid xid8;
      from_seq bigint := 0;
      after_id uuid;
      room integer := p_limit;
      changes jsonb := '[]';
      n integer;
      last_id uuid;
      more boolean := false;
      e_xid xid8[];
      e_seq bigint[];
      e_id uuid[];
      e_version bigint[];
      e_removed boolean[];
      e_matched boolean[];
      kept integer;
      live jsonb;
      i integer;
    begin
      -- What to read: a published table, the filter in Realtime's syntax.
      tbl := pg_catalog.regexp_replace(p_table, '^public\.', '');
      if not exists (select from pg_catalog.pg_publication_tables
                      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = tbl) then
        raise exception 'sync_changes: % is not a table of the supabase_realtime publication', p_table
          using errcode = '22023', hint = 'catch up on a table the apps subscribe to, e.g. orders';
      end if;
      rel := pg_catalog.format('public.%I', tbl)::regclass;
      if p_limit is null or p_limit < 1 or p_limit > 10000 then
        raise exception 'sync_changes: p_limit % is out of range', p_limit
          using errcode = '22023', hint = 'ask for 1 to 10000 changes a page';
      end if;
      select pg_catalog.string_agg(pg_catalog.format('%I', a.attname), ', ' order by a.attnum)
        into select_list
        from pg_catalog.pg_attribute a
       where a.attrelid = rel and a.attnum > 0 and not a.attisdropped
         and pg_catalog.has_column_privilege(rel, a.attnum, 'SELECT');
      if select_list is null then
        raise exception 'sync_changes: permission denied for table %', tbl using errcode = '42501';
      end if;
      for part in
        select pg_catalog.regexp_match(f, '^([a-z_][a-z0-9_]*)=(eq|neq|lt|lte|gt|gte|in)\.(.*)$')
          from pg_catalog.regexp_split_to_table(coalesce(p_filter, ''), ',(?![^(]*\))') f
         where f <> ''
      loop
        if part is null then
          raise exception 'sync_changes: cannot read the filter %', p_filter
            using errcode = '22023', hint = 'use Realtime''s syntax: column=op.value (eq, neq, lt, lte, gt, gte, in), commas for AND';
        end if;
        select pg_catalog.format_type(a.atttypid, a.atttypmod) into column_type
          from pg_catalog.pg_attribute a
         where a.attrelid = rel and a.attname = part[1] and a.attnum > 0 and not a.attisdropped
           and pg_catalog.has_column_privilege(rel, a.attnum, 'SELECT');
        if column_type is null then
          raise exception 'sync_changes: % has no column % this role may read', tbl, part[1]
            using errcode = '22023', hint = 'filter on a column of the table that the role may SELECT';
        end if;
        -- One condition: the column (live, or from a logged image) and what it must be.
        condition := case part[2]
          when 'in' then pg_catalog.format('::text = any(%L::text[])',
                           '{' || pg_catalog.btrim(part[3], '()') || '}')
          else pg_catalog.format(' %s %L',
                 case part[2] when 'eq' then '=' when 'neq' then '<>' when 'lt' then '<'
                   when 'lte' then '<=' when 'gt' then '>' else '>=' end, part[3])
          end;
        where_sql := where_sql || ' and ' || pg_catalog.format('%I', part[1]) || condition;
        image_sql := image_sql || ' and '
          || pg_catalog.format('(c.image ->> %L)::%s', part[1], column_type) || condition;
        previous_sql := previous_sql || ' and '
          || pg_catalog.format('(c.previous ->> %L)::%s', part[1], column_type) || condition;
      end loop;

      -- Where to start: the cursor must be this database's, still served.
      select * into state from private.sync_state;
      epoch := private.catch_up_epoch();
      if p_cursor is null then
        cursor_part := array['z1', epoch, 's', horizon::text, ''];
      else
        cursor_part := pg_catalog.regexp_match(p_cursor, '^(z1):([0-9a-f]{12}):([sc]):([0-9]+):(.*)$');
        if cursor_part is null then
          raise exception 'sync_changes: % is not a cursor sync_changes returned', p_cursor
            using errcode = '22023', hint = 'pass the cursor of the previous answer, or null to start';
        end if;
      end if;
      from_xid := cursor_part[4]::xid8;
      if cursor_part[2] <> epoch
         or from_xid > pg_snapshot_xmax(snapshot)   -- from the future: a restore or another server
         or (p_cursor is not null and from_xid <= state.pruned_through) then
        return pg_catalog.jsonb_build_object('cursor', null, 'more', false, 'reset', true, 'changes', '[]'::jsonb);
      end if;

      -- A start: every row the caller may see that matches, by id, a page at a time.
      -- Changes from transactions at or after the start's horizon come from the log after.
      if cursor_part[3] = 's' then
        after_id := nullif(cursor_part[5], '')::uuid;
        execute pg_catalog.format(
          'select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('
          '''op'', ''upsert'', ''id'', r.id, ''version'', r.version, ''row'', pg_catalog.to_jsonb(r)) order by r.id), ''[]''), '
          'count(*), (pg_catalog.array_agg(r.id order by r.id desc))[1] '
          'from (select %s from %s where (%s) and ($1::uuid is null or id > $1) order by id limit $2) r',
          select_list, rel, where_sql)
          using after_id, p_limit into changes, n, last_id;
        if n = p_limit then
          return pg_catalog.jsonb_build_object(
            'cursor', pg_catalog.concat_ws(':', 'z1', epoch, 's', from_xid, last_id),
            'more', true, 'reset', false, 'changes', changes);
        end if;
        room := p_limit - n;
      else
        from_seq := cursor_part[5]::bigint;
      end if;

      -- The log, below the horizon, after the cursor: a role change starts the caller again.
      if exists (select from private.changes c
                  where c.tbl = '*' and c.audience = audiences[2] and audiences[2] <> everyone
                    and (c.xid, c.seq) > (from_xid, from_seq) and c.xid < horizon) then
        return pg_catalog.jsonb_build_object('cursor', null, 'more', false, 'reset', true, 'changes', '[]'::jsonb);
      end if;
      if room > 0 then
        execute pg_catalog.format(
          'select pg_catalog.array_agg(e.xid order by e.xid, e.seq), pg_catalog.array_agg(e.seq order by e.xid, e.seq), '
          'pg_catalog.array_agg(e.id order by e.xid, e.seq), pg_catalog.array_agg(e.version order by e.xid, e.seq), '
          'pg_catalog.array_agg(e.removed order by e.xid, e.seq), pg_catalog.array_agg(e.matched order by e.xid, e.seq) '
          'from (select c.xid, c.seq, c.id, c.version, c.removed, '
          '  (%1$s) or (c.previous is not null and %2$s) as matched '
          '  from private.changes c where c.tbl = $1 and %3$s and (c.xid, c.seq) > ($2, $3) and c.xid < $4 '
          '  order by c.xid, c.seq limit $5) e',
          image_sql, previous_sql, case when all_entries then 'true' else 'c.audience = any($6)' end)
          using tbl, from_xid, from_seq, horizon, room + 1, audiences
          into e_xid, e_seq, e_id, e_version, e_removed, e_matched;
        n := coalesce(pg_catalog.cardinality(e_xid), 0);
        kept := least(n, room);
        if n > room then
          more := true;
          if e_xid[room + 1] = e_xid[room] then
            -- Never end a page inside a transaction, unless it alone fills the page.
            while kept > 0 and e_xid[kept] = e_xid[room + 1] loop
              kept := kept - 1;
            end loop;
            if kept = 0 and cursor_part[3] = 'c' then
              kept := room;
            end if;
          end if;
        end if;
        if kept > 0 then
          -- One change per row, where its last entry stands: the row as it is
          -- now if the caller sees it and it matches, else its removal (the
          -- caller may know of it, or the entry would not be there).
          execute pg_catalog.format(
            'select coalesce(pg_catalog.jsonb_object_agg(r.id, pg_catalog.to_jsonb(r)), ''{}'') '
            'from (select %s from %s where id = any($1) and (%s)) r', select_list, rel, where_sql)
            using e_id[1:kept] into live;
          select changes || coalesce(pg_catalog.jsonb_agg(x.change order by x.at), '[]') into changes
            from (
              select pg_catalog.max(k) as at,
                     case when live ? (e_id[k])::text then pg_catalog.jsonb_build_object(
                            'op', 'upsert', 'id', e_id[k], 'version', (live -> (e_id[k])::text -> 'version'),
                            'row', live -> (e_id[k])::text)
                          when pg_catalog.bool_or(e_matched[k]) then pg_catalog.jsonb_build_object(
                            'op', 'remove', 'id', e_id[k],
                            'version', (pg_catalog.array_agg(e_version[k] order by k desc))[1])
                     end as change
                from pg_catalog.generate_series(1, kept) k
               group by e_id[k]
            ) x
           where x.change is not null;
          from_xid := e_xid[kept];
          from_seq := e_seq[kept];
        end if;
        if not more and (from_xid, from_seq) < (horizon, 0::bigint) then
          -- Nothing more below the horizon: every transaction before it is read.
          from_xid := horizon;
          from_seq := 0;
        end if;
      end if;
      return pg_catalog.jsonb_build_object(
        'cursor', pg_catalog.concat_ws(':', 'z1', epoch, 'c', from_xid, from_seq),
        'more', more, 'reset', false, 'changes', changes,
        'held_back', case when horizon < pg_snapshot_xmax(snapshot) then private.catch_up_held_back() end);
    end
$function$;

comment on function public.sync_changes(p_table text, p_filter text, p_cursor text, p_limit integer) is 'Catch-up for a realtime subscription: the caller''s changes to a published table (Realtime''s filter syntax) since a cursor, in commit order, under the table''s RLS. Null cursor: start.';
revoke all on function public.sync_changes(p_table text, p_filter text, p_cursor text, p_limit integer) from public, anon, authenticated, service_role;
grant execute on function public.sync_changes(p_table text, p_filter text, p_cursor text, p_limit integer) to anon;
grant execute on function public.sync_changes(p_table text, p_filter text, p_cursor text, p_limit integer) to authenticated;
grant execute on function public.sync_changes(p_table text, p_filter text, p_cursor text, p_limit integer) to service_role;
