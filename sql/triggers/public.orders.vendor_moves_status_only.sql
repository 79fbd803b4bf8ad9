drop trigger if exists vendor_moves_status_only on public.orders;
CREATE TRIGGER vendor_moves_status_only BEFORE UPDATE OF address_id, notes ON public.orders FOR EACH ROW EXECUTE FUNCTION private.vendor_moves_status_only();
