drop trigger if exists price_order_item on public.order_items;
CREATE TRIGGER price_order_item BEFORE INSERT OR DELETE OR UPDATE ON public.order_items FOR EACH ROW EXECUTE FUNCTION private.price_order_item();
