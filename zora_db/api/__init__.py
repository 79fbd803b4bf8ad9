"""The apps' API in front of the database: PostgREST, as Supabase runs it, and its JWTs."""

from zora_db.api.postgrest import PostgrestServer, find_postgrest
from zora_db.api.tokens import ApiKeys, mint

__all__ = ["ApiKeys", "PostgrestServer", "find_postgrest", "mint"]
