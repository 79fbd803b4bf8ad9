drop trigger if exists queue_push on public.notifications;
CREATE TRIGGER queue_push AFTER INSERT ON public.notifications FOR EACH ROW EXECUTE FUNCTION private.queue_push();
