"""Roles and permissions: who may do what.

Services call :func:`require` before reading or writing, so a page that is not
shown to a role cannot be reached by calling its services either.

=============================  =====  =======  =====  ========
permission                     admin  manager  staff  assessor
=============================  =====  =======  =====  ========
``view_records``               yes    yes      yes    yes
``edit_records``               yes    yes      yes    no
``manage_lab``                 yes    yes      no     no
``approve_records``            yes    yes      no     no
``raise_nonconformity``        yes    yes      yes    no
``manage_corrective_actions``  yes    yes      no     no
``add_findings``               yes    yes      no     yes
``comment``                    yes    yes      yes    yes
``view_audit``                 yes    yes      no     yes
``manage_users``               yes    no       no     no
``approve_budgets``            yes    yes      no     yes
=============================  =====  =======  =====  ========
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from uncertainty.errors import InvalidInputError, PermissionDeniedError

__all__ = [
    "ROLES",
    "ROLE_PERMISSIONS",
    "Actor",
    "Permission",
    "Principal",
    "allowed",
    "check_role",
    "require",
]

ROLES: tuple[str, ...] = ("admin", "manager", "staff", "assessor")


class Permission(StrEnum):
    """What a role may do; services name one of these in :func:`require`."""

    VIEW_RECORDS = "view_records"
    EDIT_RECORDS = "edit_records"
    MANAGE_LAB = "manage_lab"
    APPROVE_RECORDS = "approve_records"
    RAISE_NONCONFORMITY = "raise_nonconformity"
    MANAGE_CORRECTIVE_ACTIONS = "manage_corrective_actions"
    ADD_FINDINGS = "add_findings"
    COMMENT = "comment"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    #: Approve or reject a submitted uncertainty budget (issue 3: "approval only by a
    #: manager or assessor role"; never by the person who submitted it).
    APPROVE_BUDGETS = "approve_budgets"


P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "manager": frozenset(Permission) - {P.MANAGE_USERS},
    "staff": frozenset({P.VIEW_RECORDS, P.EDIT_RECORDS, P.RAISE_NONCONFORMITY, P.COMMENT}),
    "assessor": frozenset(
        {P.VIEW_RECORDS, P.ADD_FINDINGS, P.COMMENT, P.VIEW_AUDIT, P.APPROVE_BUDGETS}
    ),
}


class Actor(Protocol):
    """Anything with a ``username`` and a ``role``: a ``User`` row or a :class:`Principal`."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Principal:
    """A signed-in identity detached from the database (UI session, CLI operator).

    The CLI acts as ``Principal("cli:<os user>", "admin")``.
    """

    username: str
    role: str
    user_id: int | None = None
    display_name: str = ""


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, else raise ``InvalidInputError``."""
    if role not in ROLES:
        raise InvalidInputError(
            f"role must be one of {', '.join(ROLES)}, got {role!r}", field="role"
        )
    return role


def allowed(role: str, permission: Permission) -> bool:
    """True when ``role`` has ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def require(user: Actor | None, permission: Permission) -> None:
    """Raise ``PermissionDeniedError`` unless ``user``'s role has ``permission``."""
    if user is None:
        raise PermissionDeniedError(f"sign in first: {permission.value} needs a signed-in user")
    if not allowed(user.role, permission):
        raise PermissionDeniedError(
            f"role {user.role!r} of {user.username!r} may not {permission.value.replace('_', ' ')}"
        )
