drop trigger if exists log_change on public.profiles;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.profiles FOR EACH ROW EXECUTE FUNCTION private.log_change();
