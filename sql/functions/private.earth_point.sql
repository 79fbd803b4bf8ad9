CREATE OR REPLACE FUNCTION private.earth_point(latitude double precision, longitude double precision)
 RETURNS extensions.cube
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO ''
AS $function$
      -- Mean Earth radius, km (IUGG); x, y, z of the point on that sphere.
      select extensions.cube(array[
        6371.0088 * pg_catalog.cos(pg_catalog.radians(latitude))
                  * pg_catalog.cos(pg_catalog.radians(longitude)),
        6371.0088 * pg_catalog.cos(pg_catalog.radians(latitude))
                  * pg_catalog.sin(pg_catalog.radians(longitude)),
        6371.0088 * pg_catalog.sin(pg_catalog.radians(latitude))
      ])
    $function$;

revoke all on function private.earth_point(latitude double precision, longitude double precision) from public, anon, authenticated, service_role;
grant execute on function private.earth_point(latitude double precision, longitude double precision) to anon;
grant execute on function private.earth_point(latitude double precision, longitude double precision) to authenticated;
grant execute on function private.earth_point(latitude double precision, longitude double precision) to service_role;
