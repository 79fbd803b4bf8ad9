drop trigger if exists bump_version on public.orders;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION private.bump_version();
