revoke all on table public.vendors from anon, authenticated, service_role;
grant select on table public.vendors to anon;
grant delete, select on table public.vendors to authenticated;
grant all on table public.vendors to service_role;
grant insert (user_id, shop_name, description, logo_url, banner_url, phone, email, address_line, city, postcode, latitude, longitude, is_verified, is_active, delivery_fee, currency) on table public.vendors to authenticated;
grant update (user_id, shop_name, description, logo_url, banner_url, phone, email, address_line, city, postcode, latitude, longitude, is_verified, is_active, delivery_fee, currency) on table public.vendors to authenticated;
