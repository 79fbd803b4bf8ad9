drop trigger if exists bump_version on public.profiles;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION private.bump_version();
