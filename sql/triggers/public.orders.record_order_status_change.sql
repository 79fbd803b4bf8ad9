drop trigger if exists record_order_status_change on public.orders;
CREATE TRIGGER record_order_status_change AFTER UPDATE OF status ON public.orders FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION private.record_order_status_change();
