"""The apps' API in front of the database: PostgREST, as Supabase runs it."""

from zora_db.api.postgrest import PostgrestServer, find_postgrest

__all__ = ["PostgrestServer", "find_postgrest"]
