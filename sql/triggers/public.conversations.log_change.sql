drop trigger if exists log_change on public.conversations;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.conversations FOR EACH ROW EXECUTE FUNCTION private.log_change();
