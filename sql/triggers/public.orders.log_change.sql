drop trigger if exists log_change on public.orders;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION private.log_change();
