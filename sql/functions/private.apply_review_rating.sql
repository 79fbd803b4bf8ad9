CREATE OR REPLACE FUNCTION private.apply_review_rating()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update public.vendors
           set review_count = review_count - 1, rating_sum = rating_sum - old.rating
         where id = old.vendor_id;
        update public.products
           set review_count = review_count - 1, rating_sum = rating_sum - old.rating
         where id = old.product_id;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        update public.vendors
           set review_count = review_count + 1, rating_sum = rating_sum + new.rating
         where id = new.vendor_id;
        update public.products
           set review_count = review_count + 1, rating_sum = rating_sum + new.rating
         where id = new.product_id;
      end if;
      return null;
    end
    $function$;

revoke all on function private.apply_review_rating() from public, anon, authenticated, service_role;
