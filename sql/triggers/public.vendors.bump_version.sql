drop trigger if exists bump_version on public.vendors;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION private.bump_version();
