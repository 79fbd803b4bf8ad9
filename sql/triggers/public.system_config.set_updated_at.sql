drop trigger if exists set_updated_at on public.system_config;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.system_config FOR EACH ROW EXECUTE FUNCTION private.set_updated_at();
