"""Sign-in: argon2 password hashes, lockout, idle timeout, user management.

* Passwords are hashed with argon2id (argon2-cffi defaults, RFC 9106 parameters).
* After ``lockout_attempts`` failed sign-ins (default 5) an account is locked for
  ``lockout_minutes`` (default 15). Wrong user and wrong password give the same
  :class:`AuthenticationError` message.
* A signed-in session ends after ``session_timeout_minutes`` idle (see
  :func:`session_expired`; the app checks it on every rerun).
* OIDC (``st.login``) identities are mapped to a role through the ``email`` of a
  user row (:func:`user_for_email`): ``st.login`` carries no roles.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, select

from calib.audit import audited_create, audited_update
from calib.config import Settings, load_settings
from calib.permissions import Actor, Permission, Principal, check_role, require
from calib.records import User
from uncertainty.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

__all__ = [
    "AccountLockedError",
    "AuthenticationError",
    "authenticate",
    "create_user",
    "get_user",
    "hash_password",
    "list_users",
    "principal_of",
    "reset_password",
    "session_expired",
    "set_role",
    "user_for_email",
    "verify_password",
]

GENERIC_FAILURE = "wrong username or password"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


class AuthenticationError(PermissionDeniedError):
    """Sign-in failed. One message for an unknown user and a wrong password."""


class AccountLockedError(AuthenticationError):
    """Too many failed sign-ins: the account is locked for a while."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_password(password: str) -> str:
    """argon2id hash of ``password`` (at least 8 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}",
            field="password",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of(user: User) -> Principal:
    """A detached identity (username, role, id) for the UI session and services."""
    return Principal(
        username=user.username,
        role=user.role,
        user_id=user.id,
        display_name=user.display_name or user.username,
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Check a username and password; return the user or raise.

    The failed-attempt counter is committed before raising, so it survives the
    caller's rollback.

    Raises
    ------
    AuthenticationError
        Unknown user, inactive user or wrong password (one generic message).
    AccountLockedError
        The account is locked after repeated failures.
    """
    settings = settings or load_settings()
    now = now or _now()
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or not user.active:
        _hasher_dummy(password)
        raise AuthenticationError(GENERIC_FAILURE)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLockedError(
            f"too many failed sign-ins: the account is locked; try again in {minutes} min"
        )
    if not verify_password(user.password_hash, password):
        user.failed_attempts += 1
        if user.failed_attempts >= settings.lockout_attempts:
            user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
            user.failed_attempts = 0
        session.add(user)
        session.commit()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLockedError(
                "too many failed sign-ins: the account is locked for "
                f"{settings.lockout_minutes} min"
            )
        raise AuthenticationError(GENERIC_FAILURE)
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    session.flush()
    return user


def _hasher_dummy(password: str) -> None:
    """Spend the time of a verification so unknown users are not faster to reject."""
    verify_password(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash("calib-dummy-password")


def session_expired(
    last_activity: dt.datetime, *, settings: Settings | None = None, now: dt.datetime | None = None
) -> bool:
    """True when more than the idle timeout passed since ``last_activity`` (aware UTC)."""
    settings = settings or load_settings()
    now = now or _now()
    return now - last_activity > dt.timedelta(minutes=settings.session_timeout_minutes)


def user_for_email(session: Session, email: str) -> User:
    """The active user whose e-mail matches an OIDC identity (case-insensitive).

    Raises ``AuthenticationError`` when no active account has that e-mail: an
    identity provider proves who someone is, the database says what they may do.
    """
    user = session.exec(
        select(User).where(func.lower(User.email) == email.strip().lower())  # type: ignore[arg-type]
    ).first()
    if user is None or not user.active:
        raise AuthenticationError(
            f"{email} signed in but has no calib account; ask an admin to add one"
        )
    return user


def get_user(session: Session, username: str) -> User:
    """The user called ``username`` or ``NotFoundError``."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFoundError(f"no user called {username!r}")
    return user


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str | None,
    role: str,
    email: str | None = None,
    display_name: str = "",
    person_id: int | None = None,
) -> User:
    """Add an account (``password`` ``None`` for an OIDC-only account)."""
    require(actor, Permission.MANAGE_USERS)
    check_role(role)
    username = username.strip()
    if not username:
        raise InvalidInputError("username must not be empty", field="username")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ConflictError(f"a user called {username!r} already exists")
    user = User(
        username=username,
        email=email,
        display_name=display_name or username,
        role=role,
        password_hash=None if password is None else hash_password(password),
        person_id=person_id,
    )
    return audited_create(session, user, actor)


def list_users(session: Session, actor: Actor) -> list[User]:
    """Every account, by username."""
    require(actor, Permission.MANAGE_USERS)
    return list(session.exec(select(User).order_by(User.username)))


def set_role(session: Session, actor: Actor, username: str, role: str) -> User:
    """Change the role of ``username``."""
    require(actor, Permission.MANAGE_USERS)
    check_role(role)
    return audited_update(session, get_user(session, username), {"role": role}, actor)


def reset_password(session: Session, actor: Actor, username: str, password: str) -> User:
    """Set a new password and unlock the account."""
    require(actor, Permission.MANAGE_USERS)
    user = get_user(session, username)
    return audited_update(
        session,
        user,
        {"password_hash": hash_password(password), "failed_attempts": 0, "locked_until": None},
        actor,
    )
