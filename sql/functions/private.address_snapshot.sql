CREATE OR REPLACE FUNCTION private.address_snapshot(address_id uuid, user_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- What an order keeps of its delivery address: the customer's own
      -- address as it is now, whatever later happens to the address row.
      return (
        select pg_catalog.jsonb_build_object(
                 'label', a.label, 'recipient_name', a.recipient_name, 'phone', a.phone,
                 'line1', a.line1, 'line2', a.line2, 'city', a.city, 'postcode', a.postcode,
                 'country', a.country, 'latitude', a.latitude, 'longitude', a.longitude)
          from public.addresses a
         where a.id = address_snapshot.address_id and a.user_id = address_snapshot.user_id
      );
    end
    $function$;

revoke all on function private.address_snapshot(address_id uuid, user_id uuid) from public, anon, authenticated, service_role;
