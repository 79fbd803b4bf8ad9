CREATE OR REPLACE FUNCTION private.set_review_author()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      new.author_name := (select p.full_name from public.profiles p where p.id = new.user_id);
      return new;
    end
    $function$;

revoke all on function private.set_review_author() from public, anon, authenticated, service_role;
