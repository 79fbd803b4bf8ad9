drop trigger if exists order_items_inserted on public.order_items;
CREATE TRIGGER order_items_inserted AFTER INSERT ON public.order_items REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION private.order_items_changed();
