CREATE OR REPLACE FUNCTION private.cart_item_vendor()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      -- The app sends vendor_id for convenience; the product decides it.
      new.vendor_id := coalesce(
        (select p.vendor_id from public.products p where p.id = new.product_id),
        new.vendor_id  -- no such product: the foreign key says so
      );
      return new;
    end
    $function$;

revoke all on function private.cart_item_vendor() from public, anon, authenticated, service_role;
