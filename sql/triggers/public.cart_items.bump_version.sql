drop trigger if exists bump_version on public.cart_items;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.cart_items FOR EACH ROW EXECUTE FUNCTION private.bump_version();
