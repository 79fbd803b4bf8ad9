drop trigger if exists keep_delivery_address on public.orders;
CREATE TRIGGER keep_delivery_address BEFORE UPDATE OF address_id ON public.orders FOR EACH ROW WHEN ((old.address_id IS DISTINCT FROM new.address_id)) EXECUTE FUNCTION private.keep_delivery_address();
