drop trigger if exists lock_pending_orders on public.order_items;
CREATE TRIGGER lock_pending_orders BEFORE INSERT OR DELETE OR UPDATE ON public.order_items FOR EACH STATEMENT EXECUTE FUNCTION private.lock_pending_orders();
