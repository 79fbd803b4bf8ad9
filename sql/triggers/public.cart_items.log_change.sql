drop trigger if exists log_change on public.cart_items;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.cart_items FOR EACH ROW EXECUTE FUNCTION private.log_change();
