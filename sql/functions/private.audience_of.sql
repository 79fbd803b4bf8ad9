CREATE OR REPLACE FUNCTION private.audience_of(p_table text, p_row jsonb)
 RETURNS SETOF uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
    begin
      -- Who may learn that this row changed or went: the people its SELECT
      -- policy lets see it, judged at the write (admins read every entry).
      if p_row is null then
        return;
      end if;
      case p_table
      when 'cart_items', 'notifications' then
        return next (p_row ->> 'user_id')::uuid;
      when 'orders' then
        return next (p_row ->> 'user_id')::uuid;
        return query select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid;
      when 'order_items' then
        return query
          select unnest(array[o.user_id, v.user_id]) from public.orders o
            join public.vendors v on v.id = o.vendor_id
           where o.id = (p_row ->> 'order_id')::uuid;
      when 'conversations' then
        return next (p_row ->> 'customer_id')::uuid;
        return query select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid;
      when 'messages' then
        return query
          select unnest(array[c.customer_id, v.user_id]) from public.conversations c
            join public.vendors v on v.id = c.vendor_id
           where c.id = (p_row ->> 'conversation_id')::uuid;
      when 'reviews' then
        return next everyone;
      when 'vendors' then
        return next (p_row ->> 'user_id')::uuid;
        if (p_row ->> 'is_verified')::boolean and (p_row ->> 'is_active')::boolean then
          return next everyone;
        else
          -- Off the storefront, a shop stays visible to the customers of its orders and carts.
          return query
            select o.user_id from public.orders o where o.vendor_id = (p_row ->> 'id')::uuid
            union
            select c.user_id from public.cart_items c where c.vendor_id = (p_row ->> 'id')::uuid;
        end if;
      when 'products' then
        return query select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid;
        if (p_row ->> 'is_active')::boolean and exists (
          select from public.vendors v
           where v.id = (p_row ->> 'vendor_id')::uuid and v.is_verified and v.is_active
        ) then
          return next everyone;
        else
          -- Off sale, a product stays visible to the customers of its orders and carts.
          return query
            select o.user_id from public.order_items i join public.orders o on o.id = i.order_id
             where i.product_id = (p_row ->> 'id')::uuid
            union
            select c.user_id from public.cart_items c where c.product_id = (p_row ->> 'id')::uuid;
        end if;
      when 'profiles' then
        return next (p_row ->> 'id')::uuid;
        return query
          select distinct v.user_id from public.orders o join public.vendors v on v.id = o.vendor_id
           where o.user_id = (p_row ->> 'id')::uuid;
      else
        raise exception 'private.audience_of: no audience rule for table %', p_table
          using hint = 'a table added to the supabase_realtime publication needs one for catch-up';
      end case;
    end
$function$;

comment on function private.audience_of(p_table text, p_row jsonb) is 'Catch-up: who may learn of a change to this row (its SELECT policy, as owner columns; the nil uuid is everyone).';
revoke all on function private.audience_of(p_table text, p_row jsonb) from public, anon, authenticated, service_role;
