"""Complaints: the ISO/IEC 17025:2017 7.9 handling process (lab quality system).

Workflow (one step after the other; a closed complaint is immutable)::

    received -> acknowledged -> validated -> investigated -> outcome_approved -> closed

* 7.9.2/7.9.5: receipt is acknowledged; 7.9.3 b: the complaint is validated
  (does it relate to laboratory activities?); a complaint found not valid skips
  the investigation but still gets an approved outcome and a closure notice.
* 7.9.3 c, 7.9.4: investigation and actions; a nonconformity (7.10) and a
  corrective action (8.7) can be raised and are linked to the complaint.
* 7.9.6: the outcome is approved by a person **not involved** in the job:
  the approver's account must be linked to a staff record that is neither the
  job's ``performed_by`` nor its ``authorised_by`` (enforced).
* 7.9.7: a formal closure notice ends the handling.

A complaint opens automatically from the customer form when the overall answer
is 1 (very dissatisfied), or when the comment alleges an error and the customer
ticked "may we contact you".
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session, col, select

from calib.audit import actor_name, audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.quality import open_corrective_action, raise_nonconformity
from calib.records import Job, User
from satisfaction.records import COMPLAINT_STATUSES, Complaint, FeedbackResponse
from uncertainty.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

__all__ = [
    "COMPLAINT_STATUSES",
    "acknowledge_complaint",
    "alleges_error",
    "approve_outcome",
    "close_complaint",
    "get_complaint",
    "investigate_complaint",
    "link_quality_records",
    "list_complaints",
    "open_complaint_from_feedback",
    "record_complaint",
    "validate_complaint",
]

MAX_TEXT = 4000

_ERROR_WORDS = re.compile(
    r"\b(errors?|erroneous|wrong(ly)?|incorrect(ly)?|mistakes?|mistaken|inaccura(te|cy)|"
    r"typos?|misprint(ed)?|faulty|false|not correct|discrepanc(y|ies)|does not match|"
    r"doesn't match|out of tolerance)\b",
    re.IGNORECASE,
)


def alleges_error(comment: str) -> bool:
    """True when a comment alleges an error (keywords such as "wrong", "incorrect", "error").

    >>> alleges_error("The certificate shows the wrong serial number")
    True
    >>> alleges_error("Quick and friendly, thank you")
    False
    """
    return bool(_ERROR_WORDS.search(comment or ""))


def _text(value: str, name: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be text", field=name)
    value = value.strip()
    if required and not value:
        raise InvalidInputError(f"{name} must not be empty", field=name)
    if len(value) > MAX_TEXT or "\x00" in value:
        raise InvalidInputError(
            f"{name} must be at most {MAX_TEXT} characters without NUL, got {len(value)}",
            field=name,
        )
    return value


def _next_reference(session: Session, received_on: dt.date) -> str:
    prefix = f"CMP-{received_on.year}-"
    count = len(
        session.exec(select(Complaint.id).where(col(Complaint.reference).startswith(prefix))).all()
    )
    return f"{prefix}{count + 1:03d}"


def _create(
    session: Session,
    actor: Actor | str,
    *,
    received_on: dt.date,
    description: str,
    job_id: int | None,
    site_id: int | None,
    source: str,
    response_id: int | None = None,
) -> Complaint:
    complaint = Complaint(
        reference=_next_reference(session, received_on),
        job_id=job_id,
        response_id=response_id,
        site_id=site_id,
        received_on=received_on,
        source=source,
        description=description,
    )
    return audited_create(session, complaint, actor)


def record_complaint(
    session: Session,
    actor: Actor,
    *,
    received_on: dt.date,
    description: str,
    job_id: int | None = None,
    site_id: int | None = None,
    source: str = "manual",
) -> Complaint:
    """Record a complaint received by phone, e-mail or letter (status ``received``)."""
    require(actor, Permission.EDIT_RECORDS)
    description = _text(description, "description")
    if job_id is not None:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"no job with id {job_id}")
        site_id = site_id if site_id is not None else job.site_id
    return _create(
        session,
        actor,
        received_on=received_on,
        description=description,
        job_id=job_id,
        site_id=site_id,
        source=source,
    )


def open_complaint_from_feedback(
    session: Session, actor: str, response: FeedbackResponse, *, site_id: int | None
) -> Complaint | None:
    """Open a complaint for a very dissatisfied answer or an alleged error (may contact).

    Called by :func:`satisfaction.service.submit_feedback` in its transaction;
    returns ``None`` when the answer does not call for a complaint.
    """
    reasons = []
    if response.overall == 1:
        reasons.append("overall rating 1 (very dissatisfied)")
    if response.may_contact and alleges_error(response.comment):
        reasons.append("the comment alleges an error and the customer may be contacted")
    if not reasons:
        return None
    description = (
        f"Opened from the feedback form for job {response.job_id}: {'; '.join(reasons)}. "
        f"Customer comment: {response.comment or '(none)'}"
    )
    return _create(
        session,
        actor,
        received_on=response.submitted_at.astimezone(dt.UTC).date(),
        description=description,
        job_id=response.job_id,
        site_id=site_id,
        source="feedback_form",
        response_id=response.id,
    )


def get_complaint(session: Session, actor: Actor, complaint_id: int) -> Complaint:
    """One complaint or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFoundError(f"no complaint with id {complaint_id}")
    return complaint


def list_complaints(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    site_id: int | None = None,
) -> list[Complaint]:
    """Complaints, newest first, optionally of one status or site."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Complaint).order_by(col(Complaint.received_on).desc(), col(Complaint.id).desc())
    if status is not None:
        if status not in COMPLAINT_STATUSES:
            raise InvalidInputError(
                f"status must be one of {', '.join(COMPLAINT_STATUSES)}, got {status!r}",
                field="status",
            )
        stmt = stmt.where(Complaint.status == status)
    if site_id is not None:
        stmt = stmt.where(Complaint.site_id == site_id)
    return list(session.exec(stmt))


def _step(complaint: Complaint, allowed_from: tuple[str, ...], step: str, on: dt.date) -> None:
    if complaint.status not in allowed_from:
        raise ConflictError(
            f"complaint {complaint.reference} is {complaint.status}; {step} needs status "
            f"{' or '.join(allowed_from)} (order: {' -> '.join(COMPLAINT_STATUSES)})"
        )
    if not isinstance(on, dt.date) or on < complaint.received_on:
        raise InvalidInputError(
            f"the {step} date {on} is before the complaint was received ({complaint.received_on})",
            field="on",
        )


def acknowledge_complaint(
    session: Session, actor: Actor, complaint_id: int, *, on: dt.date
) -> Complaint:
    """Acknowledge receipt to the complainant (7.9.5)."""
    require(actor, Permission.EDIT_RECORDS)
    complaint = get_complaint(session, actor, complaint_id)
    _step(complaint, ("received",), "acknowledgement", on)
    changes = {"status": "acknowledged", "acknowledged_on": on, "acknowledged_by": actor.username}
    return audited_update(session, complaint, changes, actor)


def validate_complaint(
    session: Session, actor: Actor, complaint_id: int, *, on: dt.date, valid: bool, note: str
) -> Complaint:
    """Decide whether the complaint relates to the lab's activities (7.9.3 b)."""
    require(actor, Permission.EDIT_RECORDS)
    complaint = get_complaint(session, actor, complaint_id)
    _step(complaint, ("acknowledged",), "validation", on)
    changes = {
        "status": "validated",
        "validated_on": on,
        "validated_by": actor.username,
        "is_valid": bool(valid),
        "validation_note": _text(note, "validation_note"),
    }
    return audited_update(session, complaint, changes, actor)


def investigate_complaint(
    session: Session,
    actor: Actor,
    complaint_id: int,
    *,
    on: dt.date,
    findings: str,
    proposed_outcome: str,
) -> Complaint:
    """Record the investigation and the proposed outcome (7.9.3 c, 7.9.4)."""
    require(actor, Permission.EDIT_RECORDS)
    complaint = get_complaint(session, actor, complaint_id)
    _step(complaint, ("validated",), "investigation", on)
    changes = {
        "status": "investigated",
        "investigated_on": on,
        "investigated_by": actor.username,
        "investigation": _text(findings, "investigation"),
        "outcome": _text(proposed_outcome, "outcome"),
    }
    return audited_update(session, complaint, changes, actor)


def link_quality_records(
    session: Session,
    actor: Actor,
    complaint_id: int,
    *,
    on: dt.date,
    description: str,
    severity: str = "minor",
    root_cause: str | None = None,
    actions: str | None = None,
) -> Complaint:
    """Raise a nonconformity (7.10) for the complaint and, optionally, a corrective action (8.7).

    Both are linked to the complaint (``source_table = satisfaction_complaint``).
    """
    complaint = get_complaint(session, actor, complaint_id)
    if complaint.status == "closed":
        raise ConflictError(f"complaint {complaint.reference} is closed")
    if complaint.nonconformity_id is not None:
        raise ConflictError(
            f"complaint {complaint.reference} already has nonconformity "
            f"{complaint.nonconformity_id}"
        )
    nc = raise_nonconformity(
        session,
        actor,
        description=f"Complaint {complaint.reference}: {_text(description, 'description')}",
        raised_on=on,
        site_id=complaint.site_id,
        severity=severity,
        source_table="satisfaction_complaint",
        source_id=complaint.id,
    )
    changes: dict[str, object] = {"nonconformity_id": nc.id}
    if root_cause is not None or actions is not None:
        ca = open_corrective_action(
            session,
            actor,
            int(nc.id or 0),
            opened_on=on,
            root_cause=_text(root_cause or "", "root_cause"),
            actions=_text(actions or "", "actions"),
        )
        changes["corrective_action_id"] = ca.id
    return audited_update(session, complaint, changes, actor)


def _person_of(session: Session, actor: Actor) -> int | None:
    user = session.exec(select(User).where(User.username == actor.username)).first()
    return None if user is None else user.person_id


def approve_outcome(
    session: Session,
    actor: Actor,
    complaint_id: int,
    *,
    on: dt.date,
    outcome: str | None = None,
) -> Complaint:
    """Approve the outcome to be communicated; the approver was not involved in the job (7.9.6).

    Raises
    ------
    PermissionDeniedError
        The role may not approve, or the approver performed or authorised the job.
    ConflictError
        Wrong step, or the approver's account is not linked to a staff record, so
        independence cannot be verified.
    """
    require(actor, Permission.APPROVE_RECORDS)
    complaint = get_complaint(session, actor, complaint_id)
    allowed = ("investigated", "validated") if complaint.is_valid is False else ("investigated",)
    _step(complaint, allowed, "outcome approval", on)
    if complaint.job_id is not None:
        job = session.get(Job, complaint.job_id)
        involved = (
            {}
            if job is None
            else {job.performed_by_id: "performed", job.authorised_by_id: "authorised"}
        )
        involved.pop(None, None)
        person = _person_of(session, actor)
        if person is None:
            raise ConflictError(
                f"{actor.username} is not linked to a staff record, so it cannot be shown that "
                f"they were not involved in job {complaint.job_id}; the outcome must be "
                "approved by someone not involved (ISO/IEC 17025:2017 7.9.6)"
            )
        if person in involved:
            raise PermissionDeniedError(
                f"{actor.username} {involved[person]} job {complaint.job_id}; the outcome of "
                f"complaint {complaint.reference} must be approved by someone not involved "
                "in the job (ISO/IEC 17025:2017 7.9.6)"
            )
    changes: dict[str, object] = {
        "status": "outcome_approved",
        "outcome_approved_on": on,
        "outcome_approved_by": actor.username,
    }
    if outcome is not None:
        changes["outcome"] = _text(outcome, "outcome")
    elif not complaint.outcome:
        raise InvalidInputError("outcome must not be empty", field="outcome")
    return audited_update(session, complaint, changes, actor)


def close_complaint(
    session: Session, actor: Actor, complaint_id: int, *, on: dt.date, closure_notice: str
) -> Complaint:
    """Record the formal notice of the end of complaint handling (7.9.7); immutable after."""
    require(actor, Permission.EDIT_RECORDS)
    complaint = get_complaint(session, actor, complaint_id)
    _step(complaint, ("outcome_approved",), "closure", on)
    changes = {
        "status": "closed",
        "closed_on": on,
        "closed_by": actor_name(actor),
        "closure_notice": _text(closure_notice, "closure_notice"),
    }
    return audited_update(session, complaint, changes, actor)
