drop trigger if exists log_visibility_change_delete on public.conversations;
CREATE TRIGGER log_visibility_change_delete BEFORE DELETE ON public.conversations FOR EACH ROW EXECUTE FUNCTION private.log_visibility_change();
