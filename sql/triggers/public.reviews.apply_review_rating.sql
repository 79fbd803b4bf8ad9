drop trigger if exists apply_review_rating on public.reviews;
CREATE TRIGGER apply_review_rating AFTER INSERT OR DELETE OR UPDATE OF rating, vendor_id, product_id ON public.reviews FOR EACH ROW EXECUTE FUNCTION private.apply_review_rating();
