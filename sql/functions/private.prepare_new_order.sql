CREATE OR REPLACE FUNCTION private.prepare_new_order()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      shop record;
    begin
      if new.status <> 'pending' then
        raise exception 'a new order starts as pending, not %', new.status
          using errcode = 'ZA001';
      end if;
      select v.delivery_fee, v.currency, v.is_verified and v.is_active as open
        into shop from public.vendors v where v.id = new.vendor_id;
      if not found or not shop.open then
        raise exception 'vendor % is not accepting orders', new.vendor_id
          using errcode = 'ZA005';
      end if;
      new.subtotal := 0;  -- the items set it
      new.delivery_fee := shop.delivery_fee;
      new.currency := shop.currency;
      return new;
    end
    $function$;

revoke all on function private.prepare_new_order() from public, anon, authenticated, service_role;
