drop trigger if exists cart_item_vendor on public.cart_items;
CREATE TRIGGER cart_item_vendor BEFORE INSERT OR UPDATE OF product_id, vendor_id ON public.cart_items FOR EACH ROW EXECUTE FUNCTION private.cart_item_vendor();
