drop trigger if exists limit_rows_per_owner on public.addresses;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.addresses REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('20');
