drop trigger if exists admin_only_columns on public.vendors;
CREATE TRIGGER admin_only_columns BEFORE UPDATE OF is_verified, user_id ON public.vendors FOR EACH ROW EXECUTE FUNCTION private.admin_only_columns('is_verified', 'user_id');
