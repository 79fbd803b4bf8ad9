drop trigger if exists set_review_author on public.reviews;
CREATE TRIGGER set_review_author BEFORE INSERT OR UPDATE OF user_id, author_name ON public.reviews FOR EACH ROW EXECUTE FUNCTION private.set_review_author();
