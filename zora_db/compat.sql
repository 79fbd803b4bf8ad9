-- The Supabase compatibility layer for vanilla PostgreSQL (zora-db bootstrap).
--
-- What a Supabase database already has and our migrations rely on: the API
-- roles, the auth schema with auth.users and the JWT helpers, the extensions
-- schema, the empty supabase_realtime publication and Supabase's default
-- privileges. Idempotent. Never a migration: on Supabase all of this exists.
-- The function bodies are Supabase Auth's own, so policies behave identically.

-- Roles are cluster-wide and another database of the same cluster may be
-- bootstrapping at this very moment: tolerate losing that race.
do $$
declare
  spec text[];
begin
  foreach spec slice 1 in array array[
    array['anon', 'nologin noinherit'],
    array['authenticated', 'nologin noinherit'],
    array['service_role', 'nologin noinherit bypassrls'],
    array['authenticator', 'login noinherit']
  ] loop
    if not exists (select from pg_catalog.pg_roles where rolname = spec[1]) then
      begin
        execute format('create role %I %s', spec[1], spec[2]);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- Supabase's per-role statement timeouts: one API request cannot hold a
-- backend for longer (PostgREST applies the role's settings per request).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

create schema if not exists auth;
create schema if not exists extensions;
comment on schema auth is 'zora-db Supabase compatibility layer';

grant usage on schema auth, extensions, public to anon, authenticated, service_role;

-- The columns of Supabase's auth.users that application code and triggers read.
create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  is_anonymous boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  deleted_at timestamptz
);
create unique index if not exists users_email_partial_key
  on auth.users (email) where (is_anonymous is false);

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

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- Supabase Realtime's authorization for private Broadcast and Presence channels.
-- Its server decides who may join, read and write a private channel by acting
-- as the user against realtime.messages: row level security on this table is
-- the channel's access rule, realtime.topic() names the channel in policies,
-- and realtime.send() broadcasts from the database as the caller. Same names,
-- columns, grants and behaviour as Supabase's; partitioning by day left out.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  id uuid not null default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  primary key (id, inserted_at)
);
create index if not exists messages_topic_idx on realtime.messages (topic);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text
  language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- As on Supabase: runs as the caller (the insert policies decide), and a
-- refused or failed send does not fail the caller's transaction; the error
-- goes to the realtime:system notification channel instead.
create or replace function realtime.send(
  payload jsonb, event text, topic text, private boolean default true
) returns void
  language plpgsql
as $$
begin
  begin
    perform pg_catalog.set_config('realtime.topic', topic, true);
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception when others then
    perform pg_catalog.pg_notify('realtime:system', pg_catalog.jsonb_build_object(
      'error', sqlerrm, 'function', 'realtime.send', 'event', event, 'topic', topic,
      'private', private)::text);
  end;
end
$$;

grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean)
  to anon, authenticated, service_role;

-- Supabase grants everything on new public objects to the API roles; the
-- migrations must revoke what policies do not need, so emulate that here or
-- tests would pass on a database more locked down than production.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
