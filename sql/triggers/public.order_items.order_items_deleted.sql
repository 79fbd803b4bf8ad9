drop trigger if exists order_items_deleted on public.order_items;
CREATE TRIGGER order_items_deleted AFTER DELETE ON public.order_items REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION private.order_items_changed();
