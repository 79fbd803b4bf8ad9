drop trigger if exists check_review on public.reviews;
CREATE TRIGGER check_review BEFORE INSERT OR UPDATE OF order_id, user_id, vendor_id, product_id ON public.reviews FOR EACH ROW EXECUTE FUNCTION private.check_review();
