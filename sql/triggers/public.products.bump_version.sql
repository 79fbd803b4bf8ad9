drop trigger if exists bump_version on public.products;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.products FOR EACH ROW EXECUTE FUNCTION private.bump_version();
