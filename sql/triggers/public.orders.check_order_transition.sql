drop trigger if exists check_order_transition on public.orders;
CREATE TRIGGER check_order_transition BEFORE UPDATE OF status ON public.orders FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION private.check_order_transition();
