"""messages: only participants write, the other one is notified

Revision ID: 0006
Revises: 0005

The participants of a conversation are its customer and the vendor's user.
A message from anyone else is refused (SQLSTATE ZA007). Each new message
moves the conversation's last_message_at and notifies the other participant,
in the same transaction.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    create function private.deliver_message() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
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
    $$;

    create trigger deliver_message
      before insert on public.messages
      for each row execute function private.deliver_message();

    revoke all on function private.deliver_message() from public;
    """)


def downgrade() -> None:
    op.execute("""
    drop trigger deliver_message on public.messages;
    drop function private.deliver_message();
    """)
