"""Assessor findings: raise, respond, verify, close; every step audited.

Assessors raise findings (``add_findings``) and verify and close them; the lab
responds (``edit_records``). An assessor never edits lab records: the only
fields an assessor writes are the finding's own statement, verification and
closure. A closed finding is immutable.

References
----------
ISO/IEC 17011:2017 7.8 (assessment findings: nonconformities and
observations), 7.9 (lab response and verification); ISO/IEC 17025:2017 8.7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, or_, select

from calib.assessment.catalogue import load_catalogue
from calib.assessment.records import FINDING_GRADES, Finding
from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "close_finding",
    "get_finding",
    "list_findings",
    "raise_finding",
    "respond_to_finding",
    "verify_finding",
]


def _next_reference(session: Session, raised_on: dt.date) -> str:
    prefix = f"F-{raised_on.year}-"
    count = len(
        session.exec(select(Finding.id).where(col(Finding.reference).startswith(prefix))).all()
    )
    return f"{prefix}{count + 1:03d}"


def raise_finding(
    session: Session,
    actor: Actor,
    *,
    requirement_id: str,
    grade: str,
    statement: str,
    raised_on: dt.date,
    site_id: int | None = None,
    evidence_refs: Sequence[str] = (),
    due_on: dt.date | None = None,
    clause: str | None = None,
) -> Finding:
    """Raise a finding against a requirement of the catalogue (clause defaults to its own)."""
    require(actor, Permission.ADD_FINDINGS)
    requirement = load_catalogue().get(requirement_id)
    if grade not in FINDING_GRADES:
        raise InvalidInputError(
            f"grade must be one of {', '.join(FINDING_GRADES)}, got {grade!r}", field="grade"
        )
    if not statement.strip():
        raise InvalidInputError("statement must say what was found", field="statement")
    if due_on is not None and due_on < raised_on:
        raise InvalidInputError(f"due_on {due_on} is before raised_on {raised_on}", field="due_on")
    finding = Finding(
        reference=_next_reference(session, raised_on),
        site_id=site_id,
        requirement_id=requirement.id,
        clause=clause or requirement.clause,
        grade=grade,
        statement=statement,
        evidence_refs="\n".join(ref.strip() for ref in evidence_refs if ref.strip()),
        raised_by=actor.username,
        raised_on=raised_on,
        due_on=due_on,
    )
    return audited_create(session, finding, actor)


def get_finding(session: Session, actor: Actor, finding_id: int) -> Finding:
    """One finding or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFoundError(f"no finding with id {finding_id}")
    return finding


def list_findings(
    session: Session,
    actor: Actor,
    *,
    site_id: int | None = None,
    status: str | None = None,
) -> list[Finding]:
    """Findings, newest first; with ``site_id`` the site's and the lab-wide ones."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Finding).order_by(col(Finding.raised_on).desc(), col(Finding.id).desc())
    if site_id is not None:
        stmt = stmt.where(or_(col(Finding.site_id) == site_id, col(Finding.site_id).is_(None)))
    if status is not None:
        stmt = stmt.where(Finding.status == status)
    return list(session.exec(stmt))


def respond_to_finding(
    session: Session, actor: Actor, finding_id: int, *, response: str, responded_on: dt.date
) -> Finding:
    """The lab's response (cause, correction, corrective action); assessors may not respond."""
    require(actor, Permission.EDIT_RECORDS)
    finding = get_finding(session, actor, finding_id)
    if finding.status not in ("open", "responded"):
        raise ConflictError(
            f"finding {finding.reference} is {finding.status}; it takes no response"
        )
    if not response.strip():
        raise InvalidInputError("response must not be empty", field="response")
    return audited_update(
        session,
        finding,
        {
            "response": response,
            "responded_by": actor.username,
            "responded_on": responded_on,
            "status": "responded",
        },
        actor,
    )


def verify_finding(
    session: Session, actor: Actor, finding_id: int, *, verification: str, verified_on: dt.date
) -> Finding:
    """The assessor's verification of the lab's response."""
    require(actor, Permission.ADD_FINDINGS)
    finding = get_finding(session, actor, finding_id)
    if finding.status != "responded":
        raise ConflictError(
            f"finding {finding.reference} is {finding.status}: verify after the lab responds"
        )
    if not verification.strip():
        raise InvalidInputError("verification must say what was checked", field="verification")
    return audited_update(
        session,
        finding,
        {
            "verification": verification,
            "verified_by": actor.username,
            "verified_on": verified_on,
            "status": "verified",
        },
        actor,
    )


def close_finding(
    session: Session, actor: Actor, finding_id: int, *, closed_on: dt.date
) -> Finding:
    """Close a verified finding (then immutable)."""
    require(actor, Permission.ADD_FINDINGS)
    finding = get_finding(session, actor, finding_id)
    if finding.status != "verified":
        raise ConflictError(
            f"finding {finding.reference} is {finding.status}: only a verified finding closes"
        )
    return audited_update(session, finding, {"status": "closed", "closed_on": closed_on}, actor)
