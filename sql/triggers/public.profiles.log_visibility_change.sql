drop trigger if exists log_visibility_change on public.profiles;
CREATE TRIGGER log_visibility_change AFTER UPDATE OF role ON public.profiles FOR EACH ROW WHEN ((old.role IS DISTINCT FROM new.role)) EXECUTE FUNCTION private.log_visibility_change();
