drop trigger if exists reactivate_device_token on public.device_tokens;
CREATE TRIGGER reactivate_device_token BEFORE UPDATE ON public.device_tokens FOR EACH ROW EXECUTE FUNCTION private.reactivate_device_token();
