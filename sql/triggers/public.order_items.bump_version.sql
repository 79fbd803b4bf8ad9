drop trigger if exists bump_version on public.order_items;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.order_items FOR EACH ROW EXECUTE FUNCTION private.bump_version();
