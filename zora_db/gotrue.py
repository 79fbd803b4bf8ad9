"""A new user as Supabase Auth (GoTrue) writes one into ``auth.users``.

GoTrue's table has no default for ``id`` or ``created_at``: GoTrue sends
both, with the audience, the role and the provider in the app metadata. The
seed and verify create users through this one statement, so what the
``auth.users`` triggers see here is what they see on Supabase.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

# GoTrue's instance id since it became single-tenant.
INSTANCE_ID = "00000000-0000-0000-0000-000000000000"


def sign_up_sql(user_id: str, email: str, metadata: str = "'{}'") -> str:
    """GoTrue's INSERT for a confirmed email sign-up, given SQL for its three values.

    Each argument is SQL: a placeholder (``%(id)s``) or a literal.
    """
    return (
        "insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data,"
        " raw_user_meta_data, email_confirmed_at, created_at, updated_at, is_anonymous)"
        f" values ('{INSTANCE_ID}', {user_id}, 'authenticated', 'authenticated', {email},"
        f' \'{{"provider": "email", "providers": ["email"]}}\', {metadata}::jsonb,'
        " now(), now(), now(), false)"
    )


SIGN_UP = sign_up_sql("%(id)s", "%(email)s", "%(meta)s")


def sign_up(
    conn: Any, email: str, metadata: dict[str, Any] | None = None, *, user_id: uuid.UUID | None
) -> uuid.UUID:
    """Insert a confirmed email user as GoTrue does; returns its id (new if not given)."""
    uid = user_id or uuid.uuid4()
    conn.execute(SIGN_UP, {"id": uid, "email": email, "meta": json.dumps(metadata or {})})
    return uid
