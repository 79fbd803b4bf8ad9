"""a profile for every new auth user

Revision ID: 0007
Revises: 0006

Sign-up metadata (raw_user_meta_data) is written by the user, so it may fill
the name and avatar but never the role: everyone starts as a customer, and
only an admin or the service role makes a vendor or an admin.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    create function private.create_profile_for_user() returns trigger
      language plpgsql
      security definer
      set search_path = ''
    as $$
    begin
      insert into public.profiles (id, email, full_name, avatar_url, phone)
      values (
        new.id,
        new.email,
        nullif(btrim(new.raw_user_meta_data ->> 'full_name'), ''),
        nullif(btrim(new.raw_user_meta_data ->> 'avatar_url'), ''),
        new.phone
      )
      on conflict (id) do nothing;
      return null;
    end
    $$;
    revoke all on function private.create_profile_for_user() from public;

    create trigger on_auth_user_created
      after insert on auth.users
      for each row execute function private.create_profile_for_user();
    """)


def downgrade() -> None:
    op.execute("""
    drop trigger on_auth_user_created on auth.users;
    drop function private.create_profile_for_user();
    """)
