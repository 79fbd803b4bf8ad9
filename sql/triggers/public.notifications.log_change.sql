drop trigger if exists log_change on public.notifications;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.notifications FOR EACH ROW EXECUTE FUNCTION private.log_change();
