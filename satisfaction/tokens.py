"""Single-use feedback tokens: creation, hashing, constant-time verification.

A token is 32 random bytes from the operating system's CSPRNG, URL-safe base64
encoded (43 characters). Only its SHA-256 hex digest is stored: a leaked
database does not reveal usable links. Verification compares digests with
``hmac.compare_digest`` so timing does not leak how much of a guess matched.
Whether a token is used, expired or unknown is for the caller to decide, and
the customer sees the same neutral message in all three cases.

References
----------
Python documentation, ``secrets`` (token_urlsafe: 32 bytes recommended) and
``hmac.compare_digest``; NIST SP 800-63B §5.1.1 (look-up secrets: at least
112 bits of entropy, stored hashed); OWASP Forgot-Password Cheat Sheet (single
use, expiring, hashed tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from uncertainty.errors import InvalidInputError

__all__ = [
    "DEFAULT_VALIDITY",
    "TOKEN_BYTES",
    "IssuedToken",
    "hash_token",
    "is_expired",
    "issue_token",
    "looks_like_token",
    "token_matches",
]

TOKEN_BYTES = 32
"""Random bytes per token (256 bits)."""
DEFAULT_VALIDITY = timedelta(days=30)
"""How long an invitation link stays valid unless the caller says otherwise."""

_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` goes into the link once; only ``token_hash`` is stored."""

    token: str
    token_hash: str
    expires_at: datetime

    def __repr__(self) -> str:  # never print the secret by accident
        return f"IssuedToken(token_hash={self.token_hash!r}, expires_at={self.expires_at!r})"


def hash_token(token: str) -> str:
    """SHA-256 hex digest of the token's UTF-8 bytes.

    >>> len(hash_token("abc"))
    64
    """
    if not isinstance(token, str):
        raise InvalidInputError(f"token must be text, got {type(token).__name__}", field="token")
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """True if ``token`` has the shape of an issued token (43 URL-safe characters).

    >>> looks_like_token("x" * 43), looks_like_token("<script>")
    (True, False)
    """
    return isinstance(token, str) and _TOKEN_PATTERN.fullmatch(token) is not None


def issue_token(issued_at: datetime, *, validity: timedelta = DEFAULT_VALIDITY) -> IssuedToken:
    """Create a fresh token with ``secrets.token_urlsafe(32)`` and its expiry time.

    >>> from datetime import UTC
    >>> t = issue_token(datetime(2026, 1, 1, tzinfo=UTC))
    >>> looks_like_token(t.token), t.token_hash == hash_token(t.token)
    (True, True)
    """
    if validity <= timedelta(0):
        raise InvalidInputError(f"validity must be positive, got {validity}", field="validity")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedToken(token, hash_token(token), issued_at + validity)


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time check that ``token`` hashes to ``stored_hash``.

    Malformed input returns False (never raises): the caller shows one neutral
    message for unknown, used and expired links alike.

    >>> t = "a" * 43
    >>> token_matches(t, hash_token(t)), token_matches("b" * 43, hash_token(t))
    (True, False)
    """
    if not isinstance(token, str) or not isinstance(stored_hash, str):
        return False
    if _DIGEST_PATTERN.fullmatch(stored_hash) is None:
        return False
    candidate = hash_token(token) if looks_like_token(token) else "0" * 64
    return hmac.compare_digest(candidate.encode("ascii"), stored_hash.encode("ascii")) and (
        looks_like_token(token)
    )


def is_expired(expires_at: datetime, now: datetime) -> bool:
    """True when ``now`` is at or past ``expires_at`` (both timezone-aware).

    >>> from datetime import UTC
    >>> is_expired(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    True
    """
    if expires_at.tzinfo is None or now.tzinfo is None:
        raise InvalidInputError(
            "expires_at and now must be timezone-aware datetimes (use UTC)", field="expires_at"
        )
    return now >= expires_at
