CREATE OR REPLACE FUNCTION public.nearby_vendors(lat double precision, lng double precision, radius_km double precision DEFAULT 10, max_results integer DEFAULT 20)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
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
    $function$;

comment on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'Verified vendors within radius_km of (lat, lng), nearest first, with distance_km.';
revoke all on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
