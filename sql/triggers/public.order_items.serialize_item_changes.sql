drop trigger if exists serialize_item_changes on public.order_items;
CREATE TRIGGER serialize_item_changes BEFORE INSERT OR DELETE OR UPDATE ON public.order_items FOR EACH STATEMENT EXECUTE FUNCTION private.serialize_item_changes();
