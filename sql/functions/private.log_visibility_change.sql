CREATE OR REPLACE FUNCTION private.log_visibility_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      everyone constant uuid := '00000000-0000-0000-0000-000000000000';
      was_public boolean;
      is_public boolean;
    begin
      -- Rows whose visibility follows another row's: they enter or leave
      -- someone's view without being written, so their entries are made here.
      case tg_table_name
      when 'vendors' then
        if tg_op = 'UPDATE' and old.user_id is distinct from new.user_id then
          -- A shop changing hands changes all its owner sees: both start again.
          insert into private.changes (tbl, audience) values ('*', old.user_id), ('*', new.user_id);
        end if;
        was_public := old.is_verified and old.is_active;
        is_public := tg_op = 'UPDATE' and new.is_verified and new.is_active;
        if tg_op = 'DELETE' or was_public is distinct from is_public then
          -- Its products enter or leave the storefront (or go with it, before the cascade).
          insert into private.changes (tbl, audience, id, version, removed, image)
          select 'products', a.who, p.id, p.version, tg_op = 'DELETE', to_jsonb(p)
            from public.products p
           cross join lateral (
             select old.user_id as who
             union select new.user_id where tg_op = 'UPDATE'
             union select everyone where p.is_active and (was_public or is_public)
           ) a
           where p.vendor_id = old.id;
        end if;
      when 'orders' then
        if tg_op = 'INSERT' then
          -- The shop now sees its buyer's profile.
          insert into private.changes (tbl, audience, id, version, image)
          select 'profiles', v.user_id, p.id, p.version, to_jsonb(p)
            from public.profiles p join public.vendors v on v.id = new.vendor_id
           where p.id = new.user_id;
        else
          -- DELETE, before the cascade takes the items (and their order with it).
          insert into private.changes (tbl, audience, id, version, removed, image)
          select 'order_items', a.who, i.id, i.version, true, to_jsonb(i)
            from public.order_items i
           cross join lateral unnest(private.audience_of('orders', to_jsonb(old))) a(who)
           where i.order_id = old.id;
        end if;
      when 'conversations' then
        -- DELETE, before the cascade takes the messages.
        insert into private.changes (tbl, audience, id, version, removed, image)
        select 'messages', a.who, m.id, m.version, true, to_jsonb(m)
          from public.messages m
         cross join lateral unnest(private.audience_of('conversations', to_jsonb(old))) a(who)
         where m.conversation_id = old.id;
      when 'profiles' then
        -- An admin sees everything, a customer their own: a new role starts again.
        insert into private.changes (tbl, audience) values ('*', new.id);
      end case;
      return old;  -- a BEFORE DELETE goes ahead; an AFTER trigger's result is ignored
    end
$function$;

comment on function private.log_visibility_change() is 'Catch-up: entries for rows that enter or leave someone''s view through another row (a shop verified or suspended, an order''s buyer, a role).';
revoke all on function private.log_visibility_change() from public, anon, authenticated, service_role;
