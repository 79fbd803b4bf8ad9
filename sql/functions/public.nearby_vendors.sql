CREATE OR REPLACE FUNCTION public.nearby_vendors(lat double precision, lng double precision, radius_km double precision DEFAULT 10, max_results integer DEFAULT 20)
 RETURNS TABLE(id uuid, shop_name text, description text, logo_url text, address_line text, city text, latitude double precision, longitude double precision, rating numeric, review_count integer, delivery_fee numeric, distance_km double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
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
      -- The search runs as its owner: under the caller's row level security the
      -- cube operators (not leakproof) stop being index conditions and a
      -- sparse area walks every shop. It returns only what anyone may see.
      return query select * from private.vendors_near(lat, lng, radius_km, max_results);
    end
    $function$;

comment on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) is 'Verified vendors within radius_km of (lat, lng), nearest first, with distance_km.';
revoke all on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) from public, anon, authenticated, service_role;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to anon;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to authenticated;
grant execute on function public.nearby_vendors(lat double precision, lng double precision, radius_km double precision, max_results integer) to service_role;
