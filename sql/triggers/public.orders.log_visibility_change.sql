drop trigger if exists log_visibility_change on public.orders;
CREATE TRIGGER log_visibility_change AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION private.log_visibility_change();
