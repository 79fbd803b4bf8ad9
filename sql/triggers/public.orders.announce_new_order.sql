drop trigger if exists announce_new_order on public.orders;
CREATE CONSTRAINT TRIGGER announce_new_order AFTER INSERT ON public.orders DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION private.announce_new_order();
