"""JWTs as Supabase Auth issues them (HS256), and the checks Realtime makes of them.

Below the API and Realtime alike: PostgREST's keys, the apps' clients and the
Realtime server's refusals all read the one definition.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from zora_db.acting import claims_for

TOKEN_LIFETIME_S = 24 * 3600
KEY_LIFETIME_S = 10 * 365 * 24 * 3600  # anon and service keys, as Supabase's: long-lived


def new_secret() -> str:
    """A JWT secret PostgREST accepts (it wants at least 32 characters)."""
    return secrets.token_urlsafe(48)


def mint(secret: str, claims: dict[str, Any], lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """An HS256 token with ``claims``, issued now and expiring after ``lifetime_s``."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + lifetime_s, **claims}, secret, algorithm="HS256")


def user_claims(user_id: uuid.UUID | str) -> dict[str, Any]:
    """A signed-in user's claims, as Supabase Auth puts them in an access token."""
    return {**claims_for(user_id), "aud": "authenticated"}


@dataclass(frozen=True)
class ApiKeys:
    """The two keys a Supabase project hands out, signed with its JWT secret."""

    secret: str

    @property
    def anon(self) -> str:
        return mint(self.secret, {"role": "anon", "iss": "zora-db"}, KEY_LIFETIME_S)

    @property
    def service_role(self) -> str:
        return mint(self.secret, {"role": "service_role", "iss": "zora-db"}, KEY_LIFETIME_S)

    def user(self, user_id: uuid.UUID | str) -> str:
        return mint(self.secret, user_claims(user_id))


class TokenRefused(Exception):
    """A token Realtime refuses: ``code`` is its log code, ``str()`` its words to the client."""

    def __init__(self, code: str, message: str, *, at_upgrade: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        # What the websocket upgrade's 401 says: shorter for an expired token (user_socket.ex).
        self.at_upgrade = at_upgrade or message


def verify(secret: str, token: str | None) -> dict[str, Any]:
    """The claims of ``token`` if Realtime would accept it: signed, unexpired, role and exp.

    The messages are Realtime's (``channels_authorization.ex``, ``user_socket.ex``).
    """
    if not token:
        raise TokenRefused("MissingAPIKey", "API key is missing")
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip(), secret, algorithms=["HS256"], options={"verify_aud": False}
        )
    except jwt.ExpiredSignatureError:
        expired = jwt.decode(token.strip(), options={"verify_signature": False})
        ago = int(time.time()) - int(expired["exp"])
        message = f"Token has expired {ago} seconds ago"
        raise TokenRefused("InvalidJWTToken", message, at_upgrade="Token has expired") from None
    except jwt.InvalidSignatureError:
        raise TokenRefused("JwtSignatureError", "Failed to validate JWT signature") from None
    except jwt.InvalidTokenError:
        raise TokenRefused("MalformedJWT", "The token provided is not a valid JWT") from None
    if "role" not in claims or "exp" not in claims:
        raise TokenRefused("InvalidJWTToken", "Fields `role` and `exp` are required in JWT")
    return claims
