drop trigger if exists log_change on public.vendors;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION private.log_change();
