drop trigger if exists bump_version on public.conversations;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.conversations FOR EACH ROW EXECUTE FUNCTION private.bump_version();
