drop trigger if exists log_change on public.reviews;
CREATE TRIGGER log_change AFTER INSERT OR DELETE OR UPDATE ON public.reviews FOR EACH ROW EXECUTE FUNCTION private.log_change();
