drop trigger if exists rename_review_author on public.profiles;
CREATE TRIGGER rename_review_author AFTER UPDATE OF full_name ON public.profiles FOR EACH ROW WHEN ((old.full_name IS DISTINCT FROM new.full_name)) EXECUTE FUNCTION private.rename_review_author();
