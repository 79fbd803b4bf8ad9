-- The Supabase compatibility layer, cluster half: the roles (zora-db bootstrap).
--
-- Roles are cluster-wide, so this half runs once per server and then finds
-- them there. A role that exists is never altered: on a server someone else
-- set up (Supabase's, or a vanilla one with its own `postgres` superuser) its
-- attributes, settings and memberships are theirs. A role is created with
-- Supabase's attributes, settings and memberships, as one unit.
--
-- Who is who, as on a Supabase project:
--   supabase_admin           the bootstrap superuser; owns the `auth` and `realtime` schemas
--   supabase_auth_admin      owns auth's tables and functions (GoTrue migrates as it)
--   supabase_realtime_admin  owns realtime.messages, realtime.topic(), realtime.send()
--   postgres                 NOT a superuser: the role a project (and its CI) connects as,
--                            the owner of what the migrations create
--   anon, authenticated, service_role, authenticator   the API's roles (PostgREST)
--
-- One deliberate difference: `postgres` is made a member of the two platform
-- owners. On Supabase the supautils library lets `postgres` manage policies
-- and drop triggers on the platform's tables without owning them; vanilla
-- PostgreSQL has no such allowance, and ownership (through membership) is the
-- narrowest grant that lets our migrations do those two things here.

do $roles$
declare
  spec text[];
  creating_postgres boolean := to_regrole('postgres') is null;
begin
  -- Another database of the same cluster may be bootstrapping at this very
  -- moment: losing the race to create a role is fine, the role is there.
  foreach spec slice 1 in array array[
    array['supabase_admin', 'nologin noinherit'],
    array['supabase_auth_admin', 'nologin noinherit createrole'],
    array['supabase_realtime_admin', 'nologin noinherit'],
    array['anon', 'nologin inherit'],
    array['authenticated', 'nologin inherit'],
    array['service_role', 'nologin inherit bypassrls'],
    array['authenticator', 'login noinherit'],
    array['postgres', 'login inherit createdb createrole replication bypassrls']
  ] loop
    if to_regrole(spec[1]) is null then
      begin
        execute format('create role %I %s', spec[1], spec[2]);
      exception when duplicate_object or unique_violation then
        continue;
      end;
      -- Supabase's per-role timeouts: one API request cannot hold a backend
      -- (or a lock) for longer; PostgREST applies the role's settings per request.
      case spec[1]
        when 'anon' then
          alter role anon set statement_timeout = '3s';
        when 'authenticated' then
          alter role authenticated set statement_timeout = '8s';
        when 'authenticator' then
          alter role authenticator set statement_timeout = '8s';
          alter role authenticator set lock_timeout = '8s';
          grant anon, authenticated, service_role to authenticator;
        else
          null;
      end case;
    end if;
  end loop;

  if creating_postgres and to_regrole('postgres') is not null then
    grant anon, authenticated, service_role to postgres;
    grant pg_read_all_data, pg_monitor, pg_signal_backend to postgres;
    -- In place of supautils (see above).
    grant supabase_auth_admin, supabase_realtime_admin to postgres;
  end if;
end
$roles$;
