drop trigger if exists order_items_updated on public.order_items;
CREATE TRIGGER order_items_updated AFTER UPDATE ON public.order_items REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION private.order_items_changed();
