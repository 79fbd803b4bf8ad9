drop trigger if exists set_updated_at on public.vendors;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.vendors FOR EACH ROW EXECUTE FUNCTION private.set_updated_at();
