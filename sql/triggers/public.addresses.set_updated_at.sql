drop trigger if exists set_updated_at on public.addresses;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.addresses FOR EACH ROW EXECUTE FUNCTION private.set_updated_at();
