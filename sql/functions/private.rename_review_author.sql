CREATE OR REPLACE FUNCTION private.rename_review_author()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      update public.reviews r set author_name = new.full_name
       where r.user_id = new.id and r.author_name is distinct from new.full_name;
      return null;
    end
    $function$;

revoke all on function private.rename_review_author() from public, anon, authenticated, service_role;
