CREATE OR REPLACE FUNCTION private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      center extensions.cube;
      chord double precision;
    begin
      -- Verified, active shops only: exactly what vendors' policy shows anyone.
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
    $function$;

comment on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'The search behind public.nearby_vendors, outside row level security (see there).';
revoke all on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function private.vendors_near(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
