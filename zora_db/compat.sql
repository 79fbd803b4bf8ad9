-- The Supabase compatibility layer, database half (zora-db bootstrap).
--
-- What a Supabase project's database has and our migrations rely on, shaped
-- as Supabase builds it: the auth schema with GoTrue's auth.users and the JWT
-- helpers, the extensions schema, realtime.messages (partitioned by day) with
-- realtime.topic() and realtime.send(), the empty supabase_realtime
-- publication, Supabase's default privileges. Idempotent. Never a migration:
-- on Supabase all of this exists. Written from the facts in the README's
-- "On Supabase" section; the JWT helpers behave as Supabase Auth's.
--
-- Installed by a superuser (tests, `dev`, a self-hosted server), every object
-- goes to the role that owns it on Supabase. Installed by a database owner
-- that is not a superuser (`check` and `verify` making a temporary database
-- on a Supabase server, as its `postgres`), the installer keeps them: it
-- cannot give objects to roles it is not a member of.

create or replace function pg_temp.installed_by_superuser() returns boolean
  language sql stable
as $$ select rolsuper from pg_catalog.pg_roles where rolname = current_user $$;

-- `alter <object> owner to <role>`, where the installer may; else a no-op.
create or replace function pg_temp.hand_over(object text, owner text) returns void
  language plpgsql
as $$
begin
  if pg_temp.installed_by_superuser() and to_regrole(owner) is not null then
    execute format('alter %s owner to %I', object, owner);
  end if;
end
$$;

create schema if not exists auth;
create schema if not exists extensions;
create schema if not exists realtime;
-- The marker `bootstrap` looks for: an auth schema without it is Supabase's own.
comment on schema auth is 'zora-db Supabase compatibility layer';
select pg_temp.hand_over('schema auth', 'supabase_admin');
select pg_temp.hand_over('schema realtime', 'supabase_admin');
-- The platform's owners work in their schemas (foreign keys into auth.users
-- are checked as auth.users' owner, so that needs USAGE on auth too).
do $platform$
begin
  if pg_temp.installed_by_superuser() and to_regrole('supabase_auth_admin') is not null then
    grant all on schema auth to supabase_auth_admin;
    grant all on schema realtime to supabase_realtime_admin;
  end if;
end
$platform$;

grant usage on schema auth, extensions, realtime, public to anon, authenticated, service_role;

-- GoTrue's auth.users, column for column: no default on id (GoTrue sends
-- it) nor on created_at, confirmed_at generated, the email unique among
-- non-SSO users only. Written as additions, so that a table an earlier
-- layer made (fewer columns, an id default) is brought to the same shape.
create table if not exists auth.users (instance_id uuid, id uuid not null primary key);
alter table auth.users
  add column if not exists aud varchar(255),
  add column if not exists role varchar(255),
  add column if not exists email varchar(255),
  add column if not exists encrypted_password varchar(255),
  add column if not exists email_confirmed_at timestamptz,
  add column if not exists invited_at timestamptz,
  add column if not exists confirmation_token varchar(255),
  add column if not exists confirmation_sent_at timestamptz,
  add column if not exists recovery_token varchar(255),
  add column if not exists recovery_sent_at timestamptz,
  add column if not exists email_change_token_new varchar(255),
  add column if not exists email_change varchar(255),
  add column if not exists email_change_sent_at timestamptz,
  add column if not exists last_sign_in_at timestamptz,
  add column if not exists raw_app_meta_data jsonb,
  add column if not exists raw_user_meta_data jsonb,
  add column if not exists is_super_admin boolean,
  add column if not exists created_at timestamptz,
  add column if not exists updated_at timestamptz,
  add column if not exists phone text unique default null,
  add column if not exists phone_confirmed_at timestamptz,
  add column if not exists phone_change text default '',
  add column if not exists phone_change_token varchar(255) default '',
  add column if not exists phone_change_sent_at timestamptz,
  add column if not exists confirmed_at timestamptz
    generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  add column if not exists email_change_token_current varchar(255) default '',
  add column if not exists email_change_confirm_status smallint default 0
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
  add column if not exists banned_until timestamptz,
  add column if not exists reauthentication_token varchar(255) default '',
  add column if not exists reauthentication_sent_at timestamptz,
  add column if not exists is_sso_user boolean not null default false,
  add column if not exists deleted_at timestamptz,
  add column if not exists is_anonymous boolean not null default false;
alter table auth.users
  alter column id drop default,
  alter column created_at drop default,
  alter column updated_at drop default;
do $email$
begin
  -- An earlier layer's index of the same name was partial on is_anonymous.
  if exists (select from pg_catalog.pg_indexes where schemaname = 'auth'
               and indexname = 'users_email_partial_key' and indexdef not like '%is_sso_user%') then
    drop index auth.users_email_partial_key;
  end if;
end
$email$;
create unique index if not exists users_email_partial_key
  on auth.users (email) where (is_sso_user = false);
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
select pg_temp.hand_over('table auth.users', 'supabase_auth_admin');

create or replace function auth.uid() returns uuid
  language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
  language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
  language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
  language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

select pg_temp.hand_over(format('function %s', f), 'supabase_auth_admin')
from unnest(array['auth.uid()', 'auth.role()', 'auth.email()', 'auth.jwt()']) as f;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

-- Supabase Realtime's authorization for private Broadcast and Presence channels.
-- Its server decides who may join, read and write a private channel by acting
-- as the user against realtime.messages: row level security on this table is
-- the channel's access rule, realtime.topic() names the channel in policies,
-- and realtime.send() broadcasts from the database as the caller. Partitioned
-- by day on inserted_at, as Realtime keeps it; the partitions are made below.
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  binary_payload bytea,
  primary key (id, inserted_at)
) partition by range (inserted_at);
create index if not exists messages_inserted_at_topic_index
  on realtime.messages (inserted_at desc, topic) where extension = 'broadcast' and private;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
select pg_temp.hand_over('table realtime.messages', 'supabase_realtime_admin');

-- The Realtime service keeps a partition a day, yesterday to three days
-- ahead; with no partition for its day an insert fails (as it does there).
-- `bootstrap` (run by every `dev start`) makes them the same way. A table
-- made by an earlier layer, not partitioned, is left as it is.
do $partitions$
declare
  day date;
  partition text;
begin
  if (select relkind from pg_catalog.pg_class where oid = 'realtime.messages'::regclass) <> 'p' then
    return;
  end if;
  for day in select d::date from generate_series(current_date - 1, current_date + 3, '1 day') d loop
    partition := 'messages_' || to_char(day, 'YYYY_MM_DD');
    if to_regclass('realtime.' || partition) is null then
      execute format(
        'create table realtime.%I partition of realtime.messages for values from (%L) to (%L)',
        partition, day, day + 1);
      perform pg_temp.hand_over(format('table realtime.%I', partition), 'supabase_realtime_admin');
    end if;
  end loop;
end
$partitions$;

create or replace function realtime.topic() returns text
  language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- As on Supabase: runs as the caller (the insert policies decide), the row's
-- id travels in the payload, and a refused or failed send does not fail the
-- caller's transaction: it becomes a WARNING.
create or replace function realtime.send(
  payload jsonb, event text, topic text, private boolean default true
) returns void
  language plpgsql
as $$
declare
  message_id uuid := gen_random_uuid();
begin
  begin
    perform pg_catalog.set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (message_id, payload || jsonb_build_object('id', message_id), event, topic, private,
            'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end
$$;

select pg_temp.hand_over(format('function %s', f), 'supabase_realtime_admin')
from unnest(array['realtime.topic()', 'realtime.send(jsonb, text, text, boolean)']) as f;
grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean)
  to anon, authenticated, service_role;

-- What Supabase's `postgres` may do with the platform's tables: use them,
-- and put triggers on them (the profile trigger on auth.users).
do $grants$
begin
  if to_regrole('postgres') is not null and pg_temp.installed_by_superuser() then
    grant usage on schema auth, realtime, extensions to postgres;
    grant all on auth.users, realtime.messages to postgres;
    grant execute on all functions in schema auth, realtime to postgres;
  end if;
end
$grants$;

-- Owned by `postgres`, as on Supabase: the migrations add tables to it.
do $publication$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$publication$;
select pg_temp.hand_over('publication supabase_realtime', 'postgres');

-- Supabase grants everything on new public objects to the API roles; the
-- migrations must revoke what policies do not need, so emulate that here or
-- tests would pass on a database more locked down than production. For the
-- objects the installer creates and, installed by a superuser, for those the
-- schema's owner `postgres` creates.
do $defaults$
declare
  creator text;
begin
  foreach creator in array array[current_user::text]
    || case when pg_temp.installed_by_superuser() and to_regrole('postgres') is not null
         then array['postgres'] else array[]::text[] end
  loop
    execute format('alter default privileges for role %I in schema public '
      'grant all on tables to anon, authenticated, service_role', creator);
    execute format('alter default privileges for role %I in schema public '
      'grant all on sequences to anon, authenticated, service_role', creator);
    execute format('alter default privileges for role %I in schema public '
      'grant all on functions to anon, authenticated, service_role', creator);
  end loop;
end
$defaults$;

-- supautils' locks, as projects still meet them: every policy statement and
-- every DROP TRIGGER by a role that is not a superuser takes ACCESS EXCLUSIVE
-- on the platform's tables (auth's, realtime's, storage's), whichever table
-- it names, until the transaction ends. So a migration here waits for, and
-- blocks, sessions on auth.users as it would on Supabase. Only a superuser
-- can create event triggers: installed by one, or not at all.
do $supautils$
begin
  if not pg_temp.installed_by_superuser() then
    return;
  end if;
  create or replace function extensions.supautils_policy_locks() returns event_trigger
    language plpgsql
    set search_path = ''
  as $fn$
  declare
    platform_table regclass;
  begin
    if (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
      return;
    end if;
    if tg_event = 'ddl_command_end' and not exists (
      select from pg_catalog.pg_event_trigger_ddl_commands() where object_type = 'policy'
    ) then
      return;  -- a COMMENT on something other than a policy
    end if;
    for platform_table in
      select c.oid from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('auth', 'realtime', 'storage')
        and c.relkind in ('r', 'p') and not c.relispartition
      order by c.oid
    loop
      execute format('lock table %s in access exclusive mode', platform_table);
    end loop;
  end
  $fn$;
  if not exists (select from pg_catalog.pg_event_trigger where evtname = 'supautils_policy_locks') then
    create event trigger supautils_policy_locks on ddl_command_start
      when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER')
      execute function extensions.supautils_policy_locks();
    create event trigger supautils_policy_comment_locks on ddl_command_end
      when tag in ('COMMENT')
      execute function extensions.supautils_policy_locks();
  end if;
end
$supautils$;
