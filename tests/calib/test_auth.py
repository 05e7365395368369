"""Sign-in: hashing, generic failure message, lockout, idle timeout, OIDC mapping."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from calib.audit import verify_audit
from calib.auth import (
    AccountLockedError,
    AuthenticationError,
    authenticate,
    create_user,
    reset_password,
    session_expired,
    user_for_email,
)
from calib.config import load_settings
from calib.db import session_scope
from calib.permissions import Principal
from uncertainty.errors import ConflictError, InvalidInputError, PermissionDeniedError

ADMIN = Principal("root", "admin")
SETTINGS = load_settings({"CALIB_LOCKOUT_ATTEMPTS": "5", "CALIB_LOCKOUT_MINUTES": "15"})
T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def _add(engine: Engine, username: str = "ada", role: str = "staff") -> None:
    with session_scope(engine) as s:
        create_user(
            s,
            ADMIN,
            username=username,
            password="correct-horse",
            role=role,
            email=f"{username}@lab.example",
        )


def test_password_is_hashed_and_sign_in_works(engine: Engine) -> None:
    _add(engine)
    with session_scope(engine) as s:
        user = authenticate(s, "ada", "correct-horse", settings=SETTINGS, now=T0)
        assert user.role == "staff"
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert "correct-horse" not in user.password_hash
        report = verify_audit(s)
        assert report.ok, report.problems  # sign-in bookkeeping is not an audited change


def test_wrong_user_and_wrong_password_give_the_same_message(engine: Engine) -> None:
    _add(engine)
    messages = []
    for name, pw in [("ada", "wrong-password"), ("nobody", "correct-horse")]:
        with pytest.raises(AuthenticationError) as info, session_scope(engine) as s:
            authenticate(s, name, pw, settings=SETTINGS, now=T0)
        messages.append(str(info.value))
    assert messages[0] == messages[1] == "wrong username or password"


def test_lockout_after_five_failures_for_fifteen_minutes(engine: Engine) -> None:
    _add(engine)
    for attempt in range(5):
        expected = AccountLockedError if attempt == 4 else AuthenticationError
        with pytest.raises(expected), session_scope(engine) as s:
            authenticate(s, "ada", "wrong-password", settings=SETTINGS, now=T0)
    with pytest.raises(AccountLockedError, match="locked"), session_scope(engine) as s:
        authenticate(
            s, "ada", "correct-horse", settings=SETTINGS, now=T0 + dt.timedelta(minutes=14)
        )
    with session_scope(engine) as s:
        user = authenticate(
            s, "ada", "correct-horse", settings=SETTINGS, now=T0 + dt.timedelta(minutes=16)
        )
        assert user.failed_attempts == 0 and user.locked_until is None


def test_four_failures_do_not_lock(engine: Engine) -> None:
    _add(engine)
    for _ in range(4):
        with pytest.raises(AuthenticationError), session_scope(engine) as s:
            authenticate(s, "ada", "nope-nope", settings=SETTINGS, now=T0)
    with session_scope(engine) as s:
        assert authenticate(s, "ada", "correct-horse", settings=SETTINGS, now=T0).username == "ada"


def test_reset_password_unlocks(engine: Engine) -> None:
    _add(engine)
    for _ in range(5):
        with pytest.raises(AuthenticationError), session_scope(engine) as s:
            authenticate(s, "ada", "wrong-password", settings=SETTINGS, now=T0)
    with session_scope(engine) as s:
        reset_password(s, ADMIN, "ada", "new-password-1")
    with session_scope(engine) as s:
        authenticate(s, "ada", "new-password-1", settings=SETTINGS, now=T0)
        assert verify_audit(s).ok


def test_idle_session_timeout() -> None:
    settings = load_settings({"CALIB_SESSION_TIMEOUT_MIN": "30"})
    assert not session_expired(T0, settings=settings, now=T0 + dt.timedelta(minutes=29))
    assert session_expired(T0, settings=settings, now=T0 + dt.timedelta(minutes=31))


def test_user_validation(engine: Engine) -> None:
    _add(engine)
    with session_scope(engine) as s:
        with pytest.raises(ConflictError):
            create_user(s, ADMIN, username="ada", password="whatever-1", role="staff")
        with pytest.raises(InvalidInputError, match="role must be one of"):
            create_user(s, ADMIN, username="bob", password="whatever-1", role="boss")
        with pytest.raises(InvalidInputError, match="at least 8"):
            create_user(s, ADMIN, username="bob", password="short", role="staff")
        with pytest.raises(PermissionDeniedError):
            create_user(
                s, Principal("m", "manager"), username="bob", password="whatever-1", role="staff"
            )


def test_oidc_identity_maps_to_role_by_email(engine: Engine) -> None:
    _add(engine, "eve", "assessor")
    with session_scope(engine) as s:
        assert user_for_email(s, "EVE@lab.example").role == "assessor"
        with pytest.raises(AuthenticationError, match="no calib account"):
            user_for_email(s, "stranger@else.example")
