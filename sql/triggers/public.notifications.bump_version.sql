drop trigger if exists bump_version on public.notifications;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.notifications FOR EACH ROW EXECUTE FUNCTION private.bump_version();
