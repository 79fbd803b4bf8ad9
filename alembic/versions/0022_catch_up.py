"""catch-up: row versions and sync_changes

Every row of a published table carries `version` (each write takes the next
number of one sequence), and every write appends to `private.changes`, one
entry per user who may learn of it (the row's SELECT policy as owner
columns, judged at the write; the nil uuid for everyone), stamped with the
writing transaction's xid8. `public.sync_changes(table, filter, cursor,
limit)` reads, as the caller, the entries after the cursor and below the
snapshot horizon (a transaction that commits late holds readers back and is
never skipped), and answers with the rows as the caller sees them now, or
their removal. Rows whose visibility follows another row's (a shop's
products, an order's buyer, a deleted parent's children) get entries from
`private.log_visibility_change`; a new role or a shop changing hands resets
that user's subscriptions. `private.prune_changes()` keeps 7 days.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(r"""
-- Row versions: every write of a published row takes the next number.
create sequence private.row_versions as bigint;
comment on sequence private.row_versions is 'Versions of published rows: each write takes the next, so a row''s version grows in commit order (writes of one row are serialised by its lock).';

alter table public.cart_items add column version bigint not null default 0;
alter table public.conversations add column version bigint not null default 0;
alter table public.messages add column version bigint not null default 0;
alter table public.notifications add column version bigint not null default 0;
alter table public.order_items add column version bigint not null default 0;
alter table public.orders add column version bigint not null default 0;
alter table public.products add column version bigint not null default 0;
alter table public.profiles add column version bigint not null default 0;
alter table public.reviews add column version bigint not null default 0;
alter table public.vendors add column version bigint not null default 0;

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

create trigger bump_version before insert or update on public.cart_items for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.conversations for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.messages for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.notifications for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.order_items for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.orders for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.products for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.profiles for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.reviews for each row execute function private.bump_version();
create trigger bump_version before insert or update on public.vendors for each row execute function private.bump_version();

-- The change log catch-up reads: one entry per change and per user who may
-- learn of it (the nil uuid: everyone, anon included). Ordered by the
-- writing transaction's xid8, read only below the snapshot horizon, so a
-- transaction that commits late holds readers back and is never skipped.
create table private.changes (
  xid xid8 not null default pg_current_xact_id(),
  seq bigint generated always as identity,
  tbl text not null,
  audience uuid not null,
  id uuid,
  version bigint,
  removed boolean not null default false,
  image jsonb,
  previous jsonb,
  at timestamptz not null default now(),
  primary key (tbl, audience, xid, seq)
);
comment on table private.changes is 'Catch-up''s log (public.sync_changes): entries per table and audience in commit order; tbl ''*'' is a reset of everything the audience holds; pruned by private.prune_changes().';
create index changes_tbl_xid_idx on private.changes (tbl, xid, seq);
create index changes_at_idx on private.changes using brin (at);
alter table private.changes enable row level security;
create policy changes_audience on private.changes
  as permissive
  for select
  to anon, authenticated
  using (((audience = COALESCE(( SELECT auth.uid() AS uid), '00000000-0000-0000-0000-000000000000'::uuid)) OR (audience = '00000000-0000-0000-0000-000000000000'::uuid) OR ( SELECT private.is_admin() AS is_admin)));
grant select on table private.changes to anon, authenticated;

create table private.sync_state (
  only_row boolean primary key default true check (only_row),
  epoch uuid not null default gen_random_uuid(),
  pruned_through xid8 not null default '0'
);
comment on table private.sync_state is 'Catch-up''s epoch (cursors of another database or a restore are reset) and how far the log is pruned.';
insert into private.sync_state default values;
alter table private.sync_state enable row level security;
create policy sync_state_read on private.sync_state
  as permissive
  for select
  to anon, authenticated
  using (true);
grant select on table private.sync_state to anon, authenticated;

CREATE OR REPLACE FUNCTION private.audience_of(p_table text, p_row jsonb)
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
      shop_owner uuid;
      on_sale boolean;
    begin
      -- Who may learn that this row changed or went: the people its SELECT
      -- policy lets see it, judged at the write (admins read every entry).
      -- An array, not a set: this runs for every write of a published row.
      if p_row is null then
        return '{}';
      end if;
      case p_table
      when 'cart_items', 'notifications' then
        return array[(p_row ->> 'user_id')::uuid];
      when 'orders' then
        return array[(p_row ->> 'user_id')::uuid, (
          select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid)];
      when 'order_items' then
        return (select array[o.user_id, v.user_id] from public.orders o
                  join public.vendors v on v.id = o.vendor_id
                 where o.id = (p_row ->> 'order_id')::uuid);
      when 'conversations' then
        return array[(p_row ->> 'customer_id')::uuid, (
          select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid)];
      when 'messages' then
        return (select array[c.customer_id, v.user_id] from public.conversations c
                  join public.vendors v on v.id = c.vendor_id
                 where c.id = (p_row ->> 'conversation_id')::uuid);
      when 'reviews' then
        return array[everyone];
      when 'vendors' then
        if (p_row ->> 'is_verified')::boolean and (p_row ->> 'is_active')::boolean then
          return array[(p_row ->> 'user_id')::uuid, everyone];
        end if;
        -- Off the storefront, a shop stays visible to the customers of its orders and carts.
        return (p_row ->> 'user_id')::uuid || array(
          select o.user_id from public.orders o where o.vendor_id = (p_row ->> 'id')::uuid
          union
          select c.user_id from public.cart_items c where c.vendor_id = (p_row ->> 'id')::uuid);
      when 'products' then
        select v.user_id, (p_row ->> 'is_active')::boolean and v.is_verified and v.is_active
          into shop_owner, on_sale
          from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid;
        if on_sale then
          return array[shop_owner, everyone];
        end if;
        -- Off sale, a product stays visible to the customers of its orders and carts.
        return shop_owner || array(
          select o.user_id from public.order_items i join public.orders o on o.id = i.order_id
           where i.product_id = (p_row ->> 'id')::uuid
          union
          select c.user_id from public.cart_items c where c.product_id = (p_row ->> 'id')::uuid);
      when 'profiles' then
        return (p_row ->> 'id')::uuid || array(
          select distinct v.user_id from public.orders o join public.vendors v on v.id = o.vendor_id
           where o.user_id = (p_row ->> 'id')::uuid);
      else
        raise exception 'private.audience_of: no audience rule for table %', p_table
          using hint = 'a table added to the supabase_realtime publication needs one for catch-up';
      end case;
    end
$function$;
comment on function private.audience_of(text, jsonb) is 'Catch-up: who may learn of a change to this row (its SELECT policy, as owner columns; the nil uuid is everyone; nulls for owners not found).';
revoke all on function private.audience_of(text, jsonb) from public, anon, authenticated, service_role;

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

create trigger log_change after insert or update or delete on public.cart_items for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.conversations for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.messages for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.notifications for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.order_items for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.orders for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.products for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.profiles for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.reviews for each row execute function private.log_change();
create trigger log_change after insert or update or delete on public.vendors for each row execute function private.log_change();

CREATE OR REPLACE FUNCTION private.log_visibility_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
      was_public boolean;
      is_public boolean;
    begin
      -- Rows whose visibility follows another row's: they enter or leave
      -- someone's view without being written, so their entries are made here.
      case tg_table_name
      when 'vendors' then
        if tg_op = 'UPDATE' and old.user_id is distinct from new.user_id then
          -- A shop changing hands changes all its owner sees: both start again.
          insert into private.changes (tbl, audience) values ('*', old.user_id), ('*', new.user_id);
        end if;
        was_public := old.is_verified and old.is_active;
        is_public := tg_op = 'UPDATE' and new.is_verified and new.is_active;
        if tg_op = 'DELETE' or was_public is distinct from is_public then
          -- Its products enter or leave the storefront (or go with it, before the cascade).
          insert into private.changes (tbl, audience, id, version, removed, image)
          select 'products', a.who, p.id, p.version, tg_op = 'DELETE', to_jsonb(p)
            from public.products p
           cross join lateral (
             select old.user_id as who
             union select new.user_id where tg_op = 'UPDATE'
             union select everyone where p.is_active and (was_public or is_public)
           ) a
           where p.vendor_id = old.id;
        end if;
      when 'orders' then
        if tg_op = 'INSERT' then
          -- The shop now sees its buyer's profile.
          insert into private.changes (tbl, audience, id, version, image)
          select 'profiles', v.user_id, p.id, p.version, to_jsonb(p)
            from public.profiles p join public.vendors v on v.id = new.vendor_id
           where p.id = new.user_id;
        else
          -- DELETE, before the cascade takes the items (and their order with it).
          insert into private.changes (tbl, audience, id, version, removed, image)
          select 'order_items', a.who, i.id, i.version, true, to_jsonb(i)
            from public.order_items i
           cross join lateral unnest(private.audience_of('orders', to_jsonb(old))) a(who)
           where i.order_id = old.id;
        end if;
      when 'conversations' then
        -- DELETE, before the cascade takes the messages.
        insert into private.changes (tbl, audience, id, version, removed, image)
        select 'messages', a.who, m.id, m.version, true, to_jsonb(m)
          from public.messages m
         cross join lateral unnest(private.audience_of('conversations', to_jsonb(old))) a(who)
         where m.conversation_id = old.id;
      when 'profiles' then
        -- An admin sees everything, a customer their own: a new role starts again.
        insert into private.changes (tbl, audience) values ('*', new.id);
      end case;
      return old;  -- a BEFORE DELETE goes ahead; an AFTER trigger's result is ignored
    end
$function$;
comment on function private.log_visibility_change() is 'Catch-up: entries for rows that enter or leave someone''s view through another row (a shop verified or suspended, an order''s buyer, a role).';
revoke all on function private.log_visibility_change() from public, anon, authenticated, service_role;

create trigger log_visibility_change after update of is_verified, is_active, user_id on public.vendors for each row execute function private.log_visibility_change();
create trigger log_visibility_change_delete before delete on public.vendors for each row execute function private.log_visibility_change();
create trigger log_visibility_change after insert on public.orders for each row execute function private.log_visibility_change();
create trigger log_visibility_change_delete before delete on public.orders for each row execute function private.log_visibility_change();
create trigger log_visibility_change_delete before delete on public.conversations for each row execute function private.log_visibility_change();
create trigger log_visibility_change after update of role on public.profiles for each row when (old.role is distinct from new.role) execute function private.log_visibility_change();

CREATE OR REPLACE FUNCTION private.catch_up_held_back()
 RETURNS jsonb
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    -- How long the oldest writing transaction (the horizon) has been open,
    -- with no names: the caller may not see other sessions.
    select case when count(*) > 0 then pg_catalog.jsonb_build_object(
             'transactions', count(*),
             'oldest_open_s', round(extract(epoch from now() - min(a.xact_start))::numeric, 1))
           end
      from pg_catalog.pg_stat_activity a
     where a.backend_xid is not null and a.pid <> pg_catalog.pg_backend_pid()
$function$;
comment on function private.catch_up_held_back() is 'Catch-up: the writing transactions that hold the horizon back (how many, the oldest''s age), for sync_changes'' answer.';
revoke all on function private.catch_up_held_back() from public, anon, authenticated, service_role;
grant execute on function private.catch_up_held_back() to anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.catch_up_epoch()
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      server text;
    begin
      -- Cursors are this database's on this server: its random epoch and the
      -- server's system identifier (a restore elsewhere has another).
      begin
        select s.system_identifier::text into server from pg_catalog.pg_control_system() s;
      exception when insufficient_privilege then
        server := '';  -- a platform that hides it: the database's epoch alone
      end;
      return pg_catalog.left(pg_catalog.md5(
        (select st.epoch::text from private.sync_state st) || server), 12);
    end
$function$;
comment on function private.catch_up_epoch() is 'Catch-up: the epoch cursors carry (the database''s random epoch and the server''s system identifier).';
revoke all on function private.catch_up_epoch() from public, anon, authenticated, service_role;
grant execute on function private.catch_up_epoch() to anon, authenticated, service_role;

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
comment on function public.sync_changes(text, text, text, integer) is 'Catch-up for a realtime subscription: the caller''s changes to a published table (Realtime''s filter syntax) since a cursor, in commit order, under the table''s RLS. Null cursor: start.';
revoke all on function public.sync_changes(text, text, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.sync_changes(text, text, text, integer) to anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.prune_changes(p_keep interval DEFAULT '7 days'::interval)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      cutoff xid8;
      pruned bigint;
    begin
      -- Whole transactions go, oldest first; a cursor inside them is reset.
      select pg_catalog.max(c.xid) into cutoff from private.changes c where c.at < now() - p_keep;
      if cutoff is null then
        return 0;
      end if;
      delete from private.changes c where c.xid <= cutoff;
      get diagnostics pruned = row_count;
      update private.sync_state set pruned_through = greatest(pruned_through, cutoff);
      return pruned;
    end
$function$;
comment on function private.prune_changes(interval) is 'Catch-up retention: drop log entries older than p_keep (default 7 days), by whole transactions. Scheduled with pg_cron on Supabase.';
revoke all on function private.prune_changes(interval) from public, anon, authenticated, service_role;
""")


def downgrade() -> None:
    op.execute(r"""
drop function if exists private.prune_changes(interval);
drop function if exists public.sync_changes(text, text, text, integer);
drop function if exists private.catch_up_held_back();
drop function if exists private.catch_up_epoch();
drop trigger if exists log_visibility_change on public.vendors;
drop trigger if exists log_visibility_change_delete on public.vendors;
drop trigger if exists log_visibility_change on public.orders;
drop trigger if exists log_visibility_change_delete on public.orders;
drop trigger if exists log_visibility_change_delete on public.conversations;
drop trigger if exists log_visibility_change on public.profiles;
drop function if exists private.log_visibility_change();
drop trigger if exists log_change on public.cart_items;
drop trigger if exists log_change on public.conversations;
drop trigger if exists log_change on public.messages;
drop trigger if exists log_change on public.notifications;
drop trigger if exists log_change on public.order_items;
drop trigger if exists log_change on public.orders;
drop trigger if exists log_change on public.products;
drop trigger if exists log_change on public.profiles;
drop trigger if exists log_change on public.reviews;
drop trigger if exists log_change on public.vendors;
drop function if exists private.log_change();
drop function if exists private.audience_of(text, jsonb);
drop table if exists private.sync_state;
drop table if exists private.changes;
drop trigger if exists bump_version on public.cart_items;
drop trigger if exists bump_version on public.conversations;
drop trigger if exists bump_version on public.messages;
drop trigger if exists bump_version on public.notifications;
drop trigger if exists bump_version on public.order_items;
drop trigger if exists bump_version on public.orders;
drop trigger if exists bump_version on public.products;
drop trigger if exists bump_version on public.profiles;
drop trigger if exists bump_version on public.reviews;
drop trigger if exists bump_version on public.vendors;
drop function if exists private.bump_version();
alter table public.cart_items drop column if exists version;
alter table public.conversations drop column if exists version;
alter table public.messages drop column if exists version;
alter table public.notifications drop column if exists version;
alter table public.order_items drop column if exists version;
alter table public.orders drop column if exists version;
alter table public.products drop column if exists version;
alter table public.profiles drop column if exists version;
alter table public.reviews drop column if exists version;
alter table public.vendors drop column if exists version;
drop sequence if exists private.row_versions;
""")
