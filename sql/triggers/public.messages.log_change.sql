drop trigger if exists log_change on public.messages;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.messages FOR EACH ROW EXECUTE FUNCTION private.log_change();
