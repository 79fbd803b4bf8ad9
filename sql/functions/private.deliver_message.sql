CREATE OR REPLACE FUNCTION private.deliver_message()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    declare
      conv record;
      recipient uuid;
      sender_name text;
    begin
      select c.id, c.customer_id, v.user_id as vendor_user_id, v.shop_name into conv
        from public.conversations c join public.vendors v on v.id = c.vendor_id
        where c.id = new.conversation_id;
      if not found then
        return new;  -- the foreign key reports the missing conversation
      end if;
      if new.sender_id = conv.customer_id then
        recipient := conv.vendor_user_id;
        sender_name := coalesce(
          (select p.full_name from public.profiles p where p.id = new.sender_id), 'a customer');
      elsif new.sender_id = conv.vendor_user_id then
        recipient := conv.customer_id;
        sender_name := conv.shop_name;
      else
        raise exception 'only the participants of conversation % can write in it', conv.id
          using errcode = 'ZA007';
      end if;
      update public.conversations set last_message_at = new.created_at where id = conv.id;
      insert into public.notifications (user_id, type, title, description, action_url, data)
      values (
        recipient, 'message', 'New message from ' || sender_name,
        left(new.body, 140), '/messages/' || conv.id,
        pg_catalog.jsonb_build_object('conversation_id', conv.id, 'message_id', new.id)
      );
      return new;
    end
    $function$;

revoke all on function private.deliver_message() from public, anon, authenticated, service_role;
