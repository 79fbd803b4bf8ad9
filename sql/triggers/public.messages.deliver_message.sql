drop trigger if exists deliver_message on public.messages;
CREATE TRIGGER deliver_message BEFORE INSERT ON public.messages FOR EACH ROW EXECUTE FUNCTION private.deliver_message();
