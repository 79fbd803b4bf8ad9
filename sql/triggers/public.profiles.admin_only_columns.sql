drop trigger if exists admin_only_columns on public.profiles;
CREATE TRIGGER admin_only_columns BEFORE UPDATE OF role ON public.profiles FOR EACH ROW EXECUTE FUNCTION private.admin_only_columns('role');
