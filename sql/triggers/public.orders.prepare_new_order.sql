drop trigger if exists prepare_new_order on public.orders;
CREATE TRIGGER prepare_new_order BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION private.prepare_new_order();
