"""Single-use feedback tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satisfaction.tokens import (
    hash_token,
    is_expired,
    issue_token,
    looks_like_token,
    token_matches,
)
from uncertainty.errors import InvalidInputError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_issued_token_shape_hash_and_expiry() -> None:
    issued = issue_token(NOW, validity=timedelta(days=14))
    assert looks_like_token(issued.token)
    assert issued.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.expires_at == NOW + timedelta(days=14)
    assert issued.token not in repr(issued)


def test_tokens_are_unique() -> None:
    assert len({issue_token(NOW).token for _ in range(200)}) == 200


def test_sha256_known_answer() -> None:
    """FIPS 180-2 Appendix B.1 test vector: SHA-256("abc")."""
    assert hash_token("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_token_matches_only_its_hash() -> None:
    issued = issue_token(NOW)
    assert token_matches(issued.token, issued.token_hash)
    assert not token_matches(issue_token(NOW).token, issued.token_hash)
    assert not token_matches(issued.token, "not a digest")


@given(st.text(max_size=100), st.text(max_size=100))
def test_token_matches_never_raises(token: str, stored: str) -> None:
    assert token_matches(token, stored) in (True, False)


def test_expiry_is_inclusive_and_needs_aware_datetimes() -> None:
    assert is_expired(NOW, NOW)
    assert not is_expired(NOW + timedelta(seconds=1), NOW)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        is_expired(datetime(2026, 1, 1), NOW)


def test_validity_must_be_positive() -> None:
    with pytest.raises(InvalidInputError, match="validity"):
        issue_token(NOW, validity=timedelta(0))
