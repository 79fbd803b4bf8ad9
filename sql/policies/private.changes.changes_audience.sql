drop policy if exists changes_audience on private.changes;
create policy changes_audience on private.changes
  as permissive
  for select
  to anon, authenticated
  using (((audience = COALESCE(( SELECT auth.uid() AS uid), '00000000-0000-0000-0000-000000000000'::uuid)) OR (audience = '00000000-0000-0000-0000-000000000000'::uuid) OR ( SELECT private.is_admin() AS is_admin)));
