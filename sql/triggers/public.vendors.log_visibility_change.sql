drop trigger if exists log_visibility_change on public.vendors;
CREATE TRIGGER log_visibility_change AFTER UPDATE OF is_verified, is_active, user_id ON public.vendors FOR EACH ROW EXECUTE FUNCTION private.log_visibility_change();
