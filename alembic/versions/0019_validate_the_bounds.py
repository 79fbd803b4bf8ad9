"""validate the bounds of 0018 on the rows that were already there

Revision ID: 0019
Revises: 0018

In its own transaction, as squawk advises: VALIDATE CONSTRAINT takes a SHARE
UPDATE EXCLUSIVE lock, so reads and writes go on while existing rows are
checked. A row that breaks a bound stops this migration (rolled back, the
constraint named); fix the row and run `zora-db upgrade` again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    alter domain public.money_amount validate constraint money_amount_is_a_number;
    alter table public.addresses validate constraint addresses_label_length;
    alter table public.addresses validate constraint addresses_recipient_name_length;
    alter table public.addresses validate constraint addresses_phone_length;
    alter table public.addresses validate constraint addresses_line1_length;
    alter table public.addresses validate constraint addresses_line2_length;
    alter table public.addresses validate constraint addresses_city_length;
    alter table public.addresses validate constraint addresses_postcode_length;
    alter table public.categories validate constraint categories_name_length;
    alter table public.categories validate constraint categories_slug_length;
    alter table public.categories validate constraint categories_description_length;
    alter table public.categories validate constraint categories_image_url_length;
    alter table public.device_tokens validate constraint device_tokens_token_length;
    alter table public.notifications validate constraint notifications_title_length;
    alter table public.notifications validate constraint notifications_description_length;
    alter table public.notifications validate constraint notifications_action_url_length;
    alter table public.order_items validate constraint order_items_product_name_length;
    alter table public.orders validate constraint orders_notes_length;
    alter table public.payments validate constraint payments_provider_length;
    alter table public.payments validate constraint payments_provider_reference_length;
    alter table public.payments validate constraint payments_failure_reason_length;
    alter table public.products validate constraint products_description_length;
    alter table public.profiles validate constraint profiles_email_length;
    alter table public.profiles validate constraint profiles_full_name_length;
    alter table public.profiles validate constraint profiles_avatar_url_length;
    alter table public.profiles validate constraint profiles_phone_length;
    alter table public.reviews validate constraint reviews_author_name_length;
    alter table public.system_config validate constraint system_config_key_length;
    alter table public.system_config validate constraint system_config_description_length;
    alter table public.vendors validate constraint vendors_description_length;
    alter table public.vendors validate constraint vendors_logo_url_length;
    alter table public.vendors validate constraint vendors_banner_url_length;
    alter table public.vendors validate constraint vendors_phone_length;
    alter table public.vendors validate constraint vendors_email_length;
    alter table public.vendors validate constraint vendors_address_line_length;
    alter table public.vendors validate constraint vendors_city_length;
    alter table public.vendors validate constraint vendors_postcode_length;
    alter table public.products validate constraint products_images_bounded;
    """)


def downgrade() -> None:
    pass  # validating changes nothing that needs undoing
