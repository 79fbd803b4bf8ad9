"""hardening the data: money is a number, text has a length, orders keep their address

Revision ID: 0018
Revises: 0017

Found by attacking the API as a hostile client would:

* `money_amount`'s CHECK (value >= 0) is true for 'NaN': a vendor could price a
  product (or set the delivery fee) to NaN, and every order placed then held
  NaN. The domain now refuses NaN (numeric(12,2) already refuses infinities).
* Free text had no bound: `profiles.full_name` took 5 MiB. Every text column
  a client (or a shop, or an admin) writes has a length bound now, and
  `products.images` at most 20 URLs. Generous for people, small for attacks.
* An order showed its address through `address_id` only: deleting the
  address emptied the delivery address of an order being prepared, and
  editing it rewrote the address on past orders. `orders.delivery_address`
  keeps the address as it was when the order was placed (or when the customer
  changed it while pending); the triggers fill it (next revision).

Constraints are added NOT VALID (new rows are checked at once, with a brief
lock) and validated by the next revision in its own transaction (existing
rows read once under a lock that lets writes through).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
    alter domain public.money_amount add constraint money_amount_is_a_number
      check (value <> 'NaN') not valid;
    """)

    op.execute("""
    alter table public.addresses add constraint addresses_label_length check (length(label) <= 50) not valid;
    alter table public.addresses add constraint addresses_recipient_name_length check (length(recipient_name) <= 120) not valid;
    alter table public.addresses add constraint addresses_phone_length check (length(phone) <= 32) not valid;
    alter table public.addresses add constraint addresses_line1_length check (length(line1) <= 200) not valid;
    alter table public.addresses add constraint addresses_line2_length check (length(line2) <= 200) not valid;
    alter table public.addresses add constraint addresses_city_length check (length(city) <= 100) not valid;
    alter table public.addresses add constraint addresses_postcode_length check (length(postcode) <= 16) not valid;
    alter table public.categories add constraint categories_name_length check (length(name) <= 80) not valid;
    alter table public.categories add constraint categories_slug_length check (length(slug) <= 80) not valid;
    alter table public.categories add constraint categories_description_length check (length(description) <= 1000) not valid;
    alter table public.categories add constraint categories_image_url_length check (length(image_url) <= 2048) not valid;
    alter table public.device_tokens add constraint device_tokens_token_length check (length(token) <= 512) not valid;
    alter table public.notifications add constraint notifications_title_length check (length(title) <= 200) not valid;
    alter table public.notifications add constraint notifications_description_length check (length(description) <= 1000) not valid;
    alter table public.notifications add constraint notifications_action_url_length check (length(action_url) <= 2048) not valid;
    alter table public.order_items add constraint order_items_product_name_length check (length(product_name) <= 200) not valid;
    alter table public.orders add constraint orders_notes_length check (length(notes) <= 1000) not valid;
    alter table public.payments add constraint payments_provider_length check (length(provider) <= 50) not valid;
    alter table public.payments add constraint payments_provider_reference_length check (length(provider_reference) <= 200) not valid;
    alter table public.payments add constraint payments_failure_reason_length check (length(failure_reason) <= 1000) not valid;
    alter table public.products add constraint products_description_length check (length(description) <= 5000) not valid;
    alter table public.profiles add constraint profiles_email_length check (length(email) <= 320) not valid;
    alter table public.profiles add constraint profiles_full_name_length check (length(full_name) <= 120) not valid;
    alter table public.profiles add constraint profiles_avatar_url_length check (length(avatar_url) <= 2048) not valid;
    alter table public.profiles add constraint profiles_phone_length check (length(phone) <= 32) not valid;
    alter table public.reviews add constraint reviews_author_name_length check (length(author_name) <= 120) not valid;
    alter table public.system_config add constraint system_config_key_length check (length(key) <= 100) not valid;
    alter table public.system_config add constraint system_config_description_length check (length(description) <= 1000) not valid;
    alter table public.vendors add constraint vendors_description_length check (length(description) <= 2000) not valid;
    alter table public.vendors add constraint vendors_logo_url_length check (length(logo_url) <= 2048) not valid;
    alter table public.vendors add constraint vendors_banner_url_length check (length(banner_url) <= 2048) not valid;
    alter table public.vendors add constraint vendors_phone_length check (length(phone) <= 32) not valid;
    alter table public.vendors add constraint vendors_email_length check (length(email) <= 320) not valid;
    alter table public.vendors add constraint vendors_address_line_length check (length(address_line) <= 200) not valid;
    alter table public.vendors add constraint vendors_city_length check (length(city) <= 100) not valid;
    alter table public.vendors add constraint vendors_postcode_length check (length(postcode) <= 16) not valid;
    alter table public.products add constraint products_images_bounded check (cardinality(images) <= 20 and length(array_to_string(images, '')) <= 20 * 2048) not valid;
""")

    op.execute("""
    alter table public.orders add column delivery_address jsonb;
    comment on column public.orders.delivery_address is
      'The delivery address as it was when the order was placed (or changed while pending).';
    update public.orders o set delivery_address = to_jsonb(a) - 'created_at' - 'updated_at'
      - 'is_default' - 'user_id'
      from public.addresses a where a.id = o.address_id;
    """)


def downgrade() -> None:
    op.execute("""
    alter table public.orders drop column delivery_address;
    alter table public.addresses drop constraint addresses_label_length;
    alter table public.addresses drop constraint addresses_recipient_name_length;
    alter table public.addresses drop constraint addresses_phone_length;
    alter table public.addresses drop constraint addresses_line1_length;
    alter table public.addresses drop constraint addresses_line2_length;
    alter table public.addresses drop constraint addresses_city_length;
    alter table public.addresses drop constraint addresses_postcode_length;
    alter table public.categories drop constraint categories_name_length;
    alter table public.categories drop constraint categories_slug_length;
    alter table public.categories drop constraint categories_description_length;
    alter table public.categories drop constraint categories_image_url_length;
    alter table public.device_tokens drop constraint device_tokens_token_length;
    alter table public.notifications drop constraint notifications_title_length;
    alter table public.notifications drop constraint notifications_description_length;
    alter table public.notifications drop constraint notifications_action_url_length;
    alter table public.order_items drop constraint order_items_product_name_length;
    alter table public.orders drop constraint orders_notes_length;
    alter table public.payments drop constraint payments_provider_length;
    alter table public.payments drop constraint payments_provider_reference_length;
    alter table public.payments drop constraint payments_failure_reason_length;
    alter table public.products drop constraint products_description_length;
    alter table public.profiles drop constraint profiles_email_length;
    alter table public.profiles drop constraint profiles_full_name_length;
    alter table public.profiles drop constraint profiles_avatar_url_length;
    alter table public.profiles drop constraint profiles_phone_length;
    alter table public.reviews drop constraint reviews_author_name_length;
    alter table public.system_config drop constraint system_config_key_length;
    alter table public.system_config drop constraint system_config_description_length;
    alter table public.vendors drop constraint vendors_description_length;
    alter table public.vendors drop constraint vendors_logo_url_length;
    alter table public.vendors drop constraint vendors_banner_url_length;
    alter table public.vendors drop constraint vendors_phone_length;
    alter table public.vendors drop constraint vendors_email_length;
    alter table public.vendors drop constraint vendors_address_line_length;
    alter table public.vendors drop constraint vendors_city_length;
    alter table public.vendors drop constraint vendors_postcode_length;
    alter table public.products drop constraint products_images_bounded;
    alter domain public.money_amount drop constraint money_amount_is_a_number;
    """)
