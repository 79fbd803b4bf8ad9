drop trigger if exists limit_rows_per_owner on public.favorites;
CREATE TRIGGER limit_rows_per_owner AFTER INSERT ON public.favorites REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION private.limit_rows_per_owner('500');
