drop trigger if exists bump_version on public.reviews;
CREATE TRIGGER bump_version BEFORE INSERT OR UPDATE ON public.reviews FOR EACH ROW EXECUTE FUNCTION private.bump_version();
