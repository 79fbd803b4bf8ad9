CREATE OR REPLACE FUNCTION private.audience_of(p_table text, p_row jsonb)
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
      shop_owner uuid;
      on_sale boolean;
    begin
      -- Who may learn that this row changed or went: the people its SELECT
      -- policy lets see it, judged at the write (admins read every entry).
      -- An array, not a set: this runs for every write of a published row.
      if p_row is null then
        return '{}';
      end if;
      case p_table
      when 'cart_items', 'notifications' then
        return array[(p_row ->> 'user_id')::uuid];
      when 'orders' then
        return array[(p_row ->> 'user_id')::uuid, (
          select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid)];
      when 'order_items' then
        return (select array[o.user_id, v.user_id] from public.orders o
                  join public.vendors v on v.id = o.vendor_id
                 where o.id = (p_row ->> 'order_id')::uuid);
      when 'conversations' then
        return array[(p_row ->> 'customer_id')::uuid, (
          select v.user_id from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid)];
      when 'messages' then
        return (select array[c.customer_id, v.user_id] from public.conversations c
                  join public.vendors v on v.id = c.vendor_id
                 where c.id = (p_row ->> 'conversation_id')::uuid);
      when 'reviews' then
        return array[everyone];
      when 'vendors' then
        if (p_row ->> 'is_verified')::boolean and (p_row ->> 'is_active')::boolean then
          return array[(p_row ->> 'user_id')::uuid, everyone];
        end if;
        -- Off the storefront, a shop stays visible to the customers of its orders and carts.
        return (p_row ->> 'user_id')::uuid || array(
          select o.user_id from public.orders o where o.vendor_id = (p_row ->> 'id')::uuid
          union
          select c.user_id from public.cart_items c where c.vendor_id = (p_row ->> 'id')::uuid);
      when 'products' then
        select v.user_id, (p_row ->> 'is_active')::boolean and v.is_verified and v.is_active
          into shop_owner, on_sale
          from public.vendors v where v.id = (p_row ->> 'vendor_id')::uuid;
        if on_sale then
          return array[shop_owner, everyone];
        end if;
        -- Off sale, a product stays visible to the customers of its orders and carts.
        return shop_owner || array(
          select o.user_id from public.order_items i join public.orders o on o.id = i.order_id
           where i.product_id = (p_row ->> 'id')::uuid
          union
          select c.user_id from public.cart_items c where c.product_id = (p_row ->> 'id')::uuid);
      when 'profiles' then
        return (p_row ->> 'id')::uuid || array(
          select distinct v.user_id from public.orders o join public.vendors v on v.id = o.vendor_id
           where o.user_id = (p_row ->> 'id')::uuid);
      else
        raise exception 'private.audience_of: no audience rule for table %', p_table
          using hint = 'a table added to the supabase_realtime publication needs one for catch-up';
      end case;
    end
$function$;

comment on function private.audience_of(p_table text, p_row jsonb) is 'Catch-up: who may learn of a change to this row (its SELECT policy, as owner columns; the nil uuid is everyone; nulls for owners not found).';
revoke all on function private.audience_of(p_table text, p_row jsonb) from public, anon, authenticated, service_role;
