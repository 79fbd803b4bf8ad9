CREATE OR REPLACE FUNCTION private.create_profile_for_user()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
    begin
      insert into public.profiles (id, email, full_name, avatar_url, phone)
      values (
        new.id,
        new.email,
        nullif(btrim(new.raw_user_meta_data ->> 'full_name'), ''),
        nullif(btrim(new.raw_user_meta_data ->> 'avatar_url'), ''),
        new.phone
      )
      on conflict (id) do nothing;
      return null;
    end
    $function$;

revoke all on function private.create_profile_for_user() from public, anon, authenticated, service_role;
