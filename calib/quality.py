"""Services for nonconformities and corrective actions (ISO/IEC 17025 7.10, 8.7).

Every domain links its findings here: :func:`raise_nonconformity` takes the table
and id of the record that raised it (an ILC score, a traceability problem, a
satisfaction signal...). A corrective action cannot be closed without a recorded
effectiveness verification (ISO/IEC 17025:2017 8.7.1 e).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.records import CorrectiveAction, Nonconformity
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "close_corrective_action",
    "close_nonconformity",
    "get_corrective_action",
    "list_corrective_actions",
    "list_nonconformities",
    "open_corrective_action",
    "raise_nonconformity",
    "raise_nonconformity_for_finding",
    "record_effectiveness",
]


def _next_reference(session: Session, raised_on: dt.date) -> str:
    prefix = f"NC-{raised_on.year}-"
    count = len(
        session.exec(
            select(Nonconformity.id).where(col(Nonconformity.reference).startswith(prefix))
        ).all()
    )
    return f"{prefix}{count + 1:03d}"


def _new_nonconformity(
    session: Session,
    actor: Actor,
    description: str,
    raised_on: dt.date,
    site_id: int | None,
    severity: str,
    source_table: str | None,
    source_id: str | int | None,
) -> Nonconformity:
    if not description.strip():
        raise InvalidInputError("description must not be empty", field="description")
    if severity not in ("minor", "major"):
        raise InvalidInputError(
            f"severity must be minor or major, got {severity!r}", field="severity"
        )
    nc = Nonconformity(
        reference=_next_reference(session, raised_on),
        raised_on=raised_on,
        raised_by=actor.username,
        description=description,
        severity=severity,
        site_id=site_id,
        source_table=source_table,
        source_id=None if source_id is None else str(source_id),
    )
    return audited_create(session, nc, actor)


def raise_nonconformity(
    session: Session,
    actor: Actor,
    *,
    description: str,
    raised_on: dt.date,
    site_id: int | None = None,
    severity: str = "minor",
    source_table: str | None = None,
    source_id: str | int | None = None,
) -> Nonconformity:
    """Record a nonconformity, linked to the record that raised it."""
    require(actor, Permission.RAISE_NONCONFORMITY)
    return _new_nonconformity(
        session,
        actor,
        description=description,
        raised_on=raised_on,
        site_id=site_id,
        severity=severity,
        source_table=source_table,
        source_id=source_id,
    )


def raise_nonconformity_for_finding(
    session: Session,
    actor: Actor,
    *,
    finding_id: int,
    description: str,
    raised_on: dt.date,
    severity: str,
    site_id: int | None = None,
) -> Nonconformity:
    """Open the nonconformity an assessor's major or minor finding requires.

    An external assessor cannot raise the lab's own nonconformities
    (``raise_nonconformity``), but a finding graded a nonconformity must enter the
    lab's corrective-action process (ISO/IEC 17025:2017 8.7.1; ISO/IEC 17011:2017
    7.8): whoever may raise findings (``add_findings``) opens it, linked to the
    ``assessment_finding`` row.
    """
    require(actor, Permission.ADD_FINDINGS)
    source = ("assessment_finding", finding_id)
    return _new_nonconformity(session, actor, description, raised_on, site_id, severity, *source)


def list_nonconformities(
    session: Session, actor: Actor, *, status: str | None = None
) -> list[Nonconformity]:
    """Nonconformities, newest first, optionally only ``open`` or ``closed`` ones."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Nonconformity).order_by(col(Nonconformity.raised_on).desc())
    if status is not None:
        stmt = stmt.where(Nonconformity.status == status)
    return list(session.exec(stmt))


def open_corrective_action(
    session: Session,
    actor: Actor,
    nonconformity_id: int,
    *,
    opened_on: dt.date,
    root_cause: str,
    actions: str,
    due_on: dt.date | None = None,
) -> CorrectiveAction:
    """Open a corrective action on a nonconformity (root cause and planned actions)."""
    require(actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
    if session.get(Nonconformity, nonconformity_id) is None:
        raise NotFoundError(f"no nonconformity with id {nonconformity_id}")
    ca = CorrectiveAction(
        nonconformity_id=nonconformity_id,
        opened_on=opened_on,
        root_cause=root_cause,
        actions=actions,
        due_on=due_on,
    )
    return audited_create(session, ca, actor)


def get_corrective_action(session: Session, actor: Actor, ca_id: int) -> CorrectiveAction:
    """One corrective action or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    ca = session.get(CorrectiveAction, ca_id)
    if ca is None:
        raise NotFoundError(f"no corrective action with id {ca_id}")
    return ca


def list_corrective_actions(
    session: Session, actor: Actor, *, status: str | None = None
) -> list[CorrectiveAction]:
    """Corrective actions, newest first, optionally only ``open`` or ``closed`` ones."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(CorrectiveAction).order_by(col(CorrectiveAction.opened_on).desc())
    if status is not None:
        stmt = stmt.where(CorrectiveAction.status == status)
    return list(session.exec(stmt))


def record_effectiveness(
    session: Session, actor: Actor, ca_id: int, *, check: str, verified_on: dt.date
) -> CorrectiveAction:
    """Record the effectiveness verification of a corrective action (8.7.1 e)."""
    require(actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
    if not check.strip():
        raise InvalidInputError(
            "effectiveness_check must say how effectiveness was verified",
            field="effectiveness_check",
        )
    ca = get_corrective_action(session, actor, ca_id)
    if verified_on < ca.opened_on:
        raise InvalidInputError(
            f"verified_on {verified_on} is before the action was opened ({ca.opened_on})",
            field="effectiveness_verified_on",
        )
    return audited_update(
        session,
        ca,
        {
            "effectiveness_check": check,
            "effectiveness_verified_on": verified_on,
            "effectiveness_verified_by": actor.username,
        },
        actor,
    )


def close_corrective_action(
    session: Session, actor: Actor, ca_id: int, *, closed_on: dt.date
) -> CorrectiveAction:
    """Close a corrective action; refused without an effectiveness verification.

    Raises
    ------
    ConflictError
        No effectiveness verification is recorded, or the action is already closed.
    """
    require(actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
    ca = get_corrective_action(session, actor, ca_id)
    if ca.status == "closed":
        raise ConflictError(f"corrective action {ca_id} is already closed")
    if not (
        ca.effectiveness_check and ca.effectiveness_verified_on and ca.effectiveness_verified_by
    ):
        raise ConflictError(
            f"corrective action {ca_id} cannot be closed: record an effectiveness "
            "verification first (ISO/IEC 17025 8.7.1 e)"
        )
    if closed_on < ca.effectiveness_verified_on:
        raise InvalidInputError(
            f"closed_on {closed_on} is before the effectiveness verification "
            f"({ca.effectiveness_verified_on})",
            field="closed_on",
        )
    return audited_update(session, ca, {"status": "closed", "closed_on": closed_on}, actor)


def close_nonconformity(session: Session, actor: Actor, nc_id: int) -> Nonconformity:
    """Close a nonconformity once all its corrective actions are closed."""
    require(actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
    nc = session.get(Nonconformity, nc_id)
    if nc is None:
        raise NotFoundError(f"no nonconformity with id {nc_id}")
    open_cas = session.exec(
        select(CorrectiveAction).where(
            CorrectiveAction.nonconformity_id == nc_id, CorrectiveAction.status != "closed"
        )
    ).all()
    if open_cas:
        raise ConflictError(
            f"nonconformity {nc.reference} has {len(open_cas)} open corrective action(s)"
        )
    return audited_update(session, nc, {"status": "closed"}, actor)
