drop trigger if exists bump_version on public.messages;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.messages FOR EACH ROW EXECUTE FUNCTION private.bump_version();
