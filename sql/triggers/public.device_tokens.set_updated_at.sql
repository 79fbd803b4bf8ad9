drop trigger if exists set_updated_at on public.device_tokens;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.device_tokens FOR EACH ROW EXECUTE FUNCTION private.set_updated_at();
