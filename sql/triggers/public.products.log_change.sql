drop trigger if exists log_change on public.products;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.products FOR EACH ROW EXECUTE FUNCTION private.log_change();
