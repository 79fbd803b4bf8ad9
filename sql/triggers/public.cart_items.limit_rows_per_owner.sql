drop trigger if exists limit_rows_per_owner on public.cart_items;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.cart_items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('100');
