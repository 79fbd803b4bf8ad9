"""functions: policy helpers, nearby_vendors, create_order, broadcast_event

Revision ID: 0008
Revises: 0007

Nearby search uses the `cube` extension (on Supabase and in PostgreSQL's
contrib, so on every machine here) rather than PostGIS (a separate server
package) or `earthdistance` (its functions call `cube` unqualified and
break under `search_path = ''`, e.g. when an index is rebuilt). A vendor's
position is a point on a sphere of the Earth's mean radius, in 3-D; a GiST
index over `private.earth_point(latitude, longitude)` answers "inside this
box" and "nearest first" (KNN), and the great-circle distance follows
from the chord length. Only verified vendors are indexed, as only they are
searched.

The apps call `nearby_vendors(lat, lng, radius_km, max_results)` and
`create_order(...)` through PostgREST's rpc, by argument name: those names
are a contract. Both run as the caller (SECURITY INVOKER), so row level
security applies to them as to any query. `broadcast_event` is for admins
and the service role only; it runs as the caller too, because its check
needs the caller's role.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    -- ------------------------------------------------------------ policy helpers

    create function private.is_admin() returns boolean
      language sql stable
      security definer
      set search_path = ''
    as $$
      select exists (
        select from public.profiles p where p.id = (select auth.uid()) and p.role = 'admin'
      )
    $$;
    comment on function private.is_admin() is
      'Whether the caller is an admin. For policies, as (select private.is_admin()).';

    create function private.current_vendor_id() returns uuid
      language sql stable
      security definer
      set search_path = ''
    as $$
      select v.id from public.vendors v where v.user_id = (select auth.uid())
    $$;
    comment on function private.current_vendor_id() is
      'The caller''s shop, or null. For policies, as (select private.current_vendor_id()).';

    revoke all on function private.is_admin(), private.current_vendor_id() from public;
    grant execute on function private.is_admin(), private.current_vendor_id()
      to anon, authenticated, service_role;

    -- ------------------------------------------------------------ nearby vendors

    create function private.earth_point(latitude double precision, longitude double precision)
      returns extensions.cube
      language sql immutable strict parallel safe
      set search_path = ''
    as $$
      -- Mean Earth radius, km (IUGG); x, y, z of the point on that sphere.
      select extensions.cube(array[
        6371.0088 * pg_catalog.cos(pg_catalog.radians(latitude))
                  * pg_catalog.cos(pg_catalog.radians(longitude)),
        6371.0088 * pg_catalog.cos(pg_catalog.radians(latitude))
                  * pg_catalog.sin(pg_catalog.radians(longitude)),
        6371.0088 * pg_catalog.sin(pg_catalog.radians(latitude))
      ])
    $$;
    revoke all on function private.earth_point(double precision, double precision) from public;
    grant execute on function private.earth_point(double precision, double precision)
      to anon, authenticated, service_role;

    create index vendors_location_idx on public.vendors
      using gist (private.earth_point(latitude, longitude))
      where is_verified and latitude is not null;

    create function public.nearby_vendors(
      lat double precision,
      lng double precision,
      radius_km double precision default 10,
      max_results integer default 20
    ) returns table (
      id uuid,
      shop_name text,
      description text,
      logo_url text,
      address_line text,
      city text,
      latitude double precision,
      longitude double precision,
      rating numeric,
      review_count integer,
      delivery_fee numeric,
      distance_km double precision
    )
      language plpgsql stable
      set search_path = ''
    as $$
    declare
      center extensions.cube;
      chord double precision;
    begin
      if lat is null or lng is null or lat not between -90 and 90
         or lng not between -180 and 180 then
        raise exception 'lat must be within ±90 and lng within ±180'
          using errcode = '22023';
      end if;
      if radius_km is null or radius_km <= 0 or radius_km > 500 then
        raise exception 'radius_km must be more than 0 and at most 500'
          using errcode = '22023';
      end if;
      if max_results is null or max_results not between 1 and 100 then
        raise exception 'max_results must be between 1 and 100'
          using errcode = '22023';
      end if;
      center := private.earth_point(lat, lng);
      chord := 2 * 6371.0088 * pg_catalog.sin(radius_km / (2 * 6371.0088));
      return query
        select v.id, v.shop_name, v.description, v.logo_url, v.address_line, v.city,
               v.latitude, v.longitude, v.rating, v.review_count, v.delivery_fee::numeric,
               -- great-circle distance from the chord between the two points
               2 * 6371.0088 * pg_catalog.asin(least(1.0::double precision,
                 (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
                 / (2 * 6371.0088))) as distance_km
          from public.vendors v
         where v.is_verified and v.is_active and v.latitude is not null
           and private.earth_point(v.latitude, v.longitude)
               operator(extensions.<@) extensions.cube_enlarge(center, chord, 3)
           and (private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center)
               <= chord
         order by private.earth_point(v.latitude, v.longitude) operator(extensions.<->) center
         limit max_results;
    end
    $$;
    comment on function public.nearby_vendors(double precision, double precision,
                                              double precision, integer) is
      'Verified vendors within radius_km of (lat, lng), nearest first, with distance_km.';
    revoke all on function public.nearby_vendors(double precision, double precision,
                                                 double precision, integer)
      from public, anon, authenticated, service_role;
    grant execute on function public.nearby_vendors(double precision, double precision,
                                                    double precision, integer)
      to anon, authenticated, service_role;

    -- ------------------------------------------------------------ placing an order

    create function public.create_order(
      vendor_id uuid,
      items jsonb,
      address_id uuid default null,
      notes text default null
    ) returns public.orders
      language plpgsql
      set search_path = ''
    as $$
    declare
      placed public.orders;
    begin
      if items is null or pg_catalog.jsonb_typeof(items) <> 'array'
         or pg_catalog.jsonb_array_length(items) = 0 then
        raise exception 'items must be a non-empty array of {product_id, quantity}'
          using errcode = '22023';
      end if;
      insert into public.orders (user_id, vendor_id, address_id, notes)
      values ((select auth.uid()), create_order.vendor_id, create_order.address_id,
              create_order.notes)
      returning * into placed;
      -- Prices, names and the subtotal come from the triggers, never from here.
      insert into public.order_items (order_id, product_id, quantity)
      select placed.id, (item ->> 'product_id')::uuid, coalesce((item ->> 'quantity')::int, 1)
        from pg_catalog.jsonb_array_elements(items) as item;
      select * into placed from public.orders o where o.id = placed.id;
      return placed;
    end
    $$;
    comment on function public.create_order(uuid, jsonb, uuid, text) is
      'Place an order with its items in one transaction; returns the priced order.';
    revoke all on function public.create_order(uuid, jsonb, uuid, text)
      from public, anon, authenticated, service_role;
    grant execute on function public.create_order(uuid, jsonb, uuid, text)
      to authenticated, service_role;

    -- ------------------------------------------------------------ broadcasting

    create function public.broadcast_event(channel text, event text, payload jsonb)
      returns void
      language plpgsql
      set search_path = ''
    as $$
    declare
      message text;
    begin
      -- SECURITY INVOKER on purpose: current_user is the API role of the
      -- request (PostgREST switches to it), which a definer function would hide.
      if current_user in ('anon', 'authenticated') and not (select private.is_admin()) then
        raise exception 'only admins and the service role may broadcast'
          using errcode = '42501';
      end if;
      if channel is null or channel !~ '^[A-Za-z0-9_:.-]{1,63}$' then
        raise exception 'channel must be 1 to 63 letters, digits or _ : . -'
          using errcode = '22023';
      end if;
      if pg_catalog.to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null then
        -- Supabase: Realtime Broadcast from the database.
        execute 'select realtime.send($1, $2, $3, false)' using payload, event, channel;
        return;
      end if;
      message := pg_catalog.json_build_object(
        'type', event, 'payload', payload, 'timestamp', pg_catalog.now()
      )::text;
      if pg_catalog.octet_length(message) >= 8000 then
        raise exception 'payload too large for a notification (% bytes)',
          pg_catalog.octet_length(message)
          using errcode = '22023';
      end if;
      perform pg_catalog.pg_notify(channel, message);
    end
    $$;
    comment on function public.broadcast_event(text, text, jsonb) is
      'Broadcast an event to a channel (Realtime on Supabase, NOTIFY elsewhere); '
      'admins and the service role only.';
    revoke all on function public.broadcast_event(text, text, jsonb)
      from public, anon, authenticated, service_role;
    grant execute on function public.broadcast_event(text, text, jsonb)
      to authenticated, service_role;
    """)


def downgrade() -> None:
    op.execute("""
    drop function public.broadcast_event(text, text, jsonb);
    drop function public.create_order(uuid, jsonb, uuid, text);
    drop function public.nearby_vendors(double precision, double precision,
                                        double precision, integer);
    drop index public.vendors_location_idx;
    drop function private.earth_point(double precision, double precision);
    drop function private.current_vendor_id(), private.is_admin();
    """)
