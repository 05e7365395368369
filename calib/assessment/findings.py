"""Assessor findings: raise, respond, verify, close; every step audited.

Assessors raise findings (``add_findings``) and verify and close them; the lab
responds (``edit_records``). An assessor never edits lab records: the only
fields an assessor writes are the finding's own statement, verification and
closure. A closed finding is immutable.

A major or minor finding is a nonconformity of the lab: raising it opens a
nonconformity in the lab's quality system (or links one already open), and it
closes only once a corrective action on that nonconformity has been verified
effective (ISO/IEC 17025:2017 8.7.1 e) or the closure records why not.

References
----------
ISO/IEC 17011:2017 7.8 (assessment findings: nonconformities and
observations), 7.9 (lab response and verification); ISO/IEC 17025:2017 8.7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from calib.assessment.catalogue import load_catalogue
from calib.assessment.records import FINDING_GRADES, Finding
from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, allowed, require
from calib.quality import raise_nonconformity, raise_nonconformity_for_finding
from calib.records import CorrectiveAction, Nonconformity
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

NONCONFORMITY_GRADES: tuple[str, ...] = ("major", "minor")
"""Grades that are nonconformities (ISO/IEC 17011:2017 7.8); observations are not."""

__all__ = [
    "NONCONFORMITY_GRADES",
    "FindingLink",
    "close_finding",
    "finding_links",
    "get_finding",
    "link_finding_to_nonconformity",
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


def _open_nonconformity(session: Session, nonconformity_id: int) -> Nonconformity:
    nc = session.get(Nonconformity, nonconformity_id)
    if nc is None:
        raise InvalidInputError(
            f"no nonconformity with id {nonconformity_id}", field="nonconformity_id"
        )
    if nc.status == "closed":
        raise InvalidInputError(
            f"nonconformity {nc.reference} is closed: link an open one or open a new one",
            field="nonconformity_id",
        )
    return nc


def _link(
    session: Session,
    actor: Actor,
    finding: Finding,
    nonconformity_id: int | None,
    on: dt.date,
) -> Finding:
    """Link ``finding`` to an open nonconformity, opening one when none is named."""
    if nonconformity_id is None:
        nc = raise_nonconformity_for_finding(
            session,
            actor,
            finding_id=int(finding.id or 0),
            description=f"Assessment finding {finding.reference} ({finding.clause}): "
            f"{finding.statement}",
            raised_on=on,
            severity=finding.grade,
            site_id=finding.site_id,
        )
    else:
        nc = _open_nonconformity(session, nonconformity_id)
    return audited_update(session, finding, {"nonconformity_id": nc.id}, actor)


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
    nonconformity_id: int | None = None,
) -> Finding:
    """Raise a finding against a requirement of the catalogue (clause defaults to its own).

    A major or minor finding opens a nonconformity in the lab's quality system,
    linked back to the finding, or is linked to the open one ``nonconformity_id``
    names (ISO/IEC 17025:2017 8.7.1); an observation takes none.
    """
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
    if nonconformity_id is not None:
        if grade not in NONCONFORMITY_GRADES:
            raise InvalidInputError(
                "an observation is not a nonconformity: link none", field="nonconformity_id"
            )
        _open_nonconformity(session, nonconformity_id)
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
    finding = audited_create(session, finding, actor)
    if grade in NONCONFORMITY_GRADES:
        finding = _link(session, actor, finding, nonconformity_id, raised_on)
    return finding


def link_finding_to_nonconformity(
    session: Session,
    actor: Actor,
    finding_id: int,
    *,
    linked_on: dt.date,
    nonconformity_id: int | None = None,
) -> Finding:
    """Link a major/minor finding that has no nonconformity yet (opens one if none named).

    For findings raised before the link existed. Assessors (``add_findings``) and
    lab staff (``raise_nonconformity``) may link.
    """
    if not allowed(actor.role, Permission.ADD_FINDINGS):
        require(actor, Permission.RAISE_NONCONFORMITY)
    finding = get_finding(session, actor, finding_id)
    if finding.grade not in NONCONFORMITY_GRADES:
        raise InvalidInputError(
            f"finding {finding.reference} is an observation, not a nonconformity",
            field="finding_id",
        )
    if finding.nonconformity_id is not None:
        raise ConflictError(f"finding {finding.reference} is already linked to a nonconformity")
    if finding.status == "closed":
        raise ConflictError(f"finding {finding.reference} is closed")
    if nonconformity_id is None and not allowed(actor.role, Permission.ADD_FINDINGS):
        # Staff open the nonconformity in their own name (their usual right).
        nc = raise_nonconformity(
            session,
            actor,
            description=f"Assessment finding {finding.reference} ({finding.clause}): "
            f"{finding.statement}",
            raised_on=linked_on,
            site_id=finding.site_id,
            severity=finding.grade,
            source_table="assessment_finding",
            source_id=finding.id,
        )
        nonconformity_id = nc.id
    return _link(session, actor, finding, nonconformity_id, linked_on)


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


@dataclass(frozen=True)
class FindingLink:
    """A finding's nonconformity and the state of its corrective actions."""

    nonconformity: Nonconformity | None
    corrective_actions: tuple[CorrectiveAction, ...]

    @property
    def effective_action(self) -> CorrectiveAction | None:
        """The first corrective action verified effective (8.7.1 e), if any."""
        return next(
            (ca for ca in self.corrective_actions if ca.effectiveness_verified_on is not None),
            None,
        )

    def summary(self) -> str:
        """One line for tables: ``NC-2026-004 open · CA 3 verified effective``."""
        if self.nonconformity is None:
            return ""
        nc = self.nonconformity
        if not self.corrective_actions:
            return f"{nc.reference} {nc.status} · no corrective action"
        effective = self.effective_action
        state = (
            f"CA {effective.id} verified effective {effective.effectiveness_verified_on}"
            if effective is not None
            else f"{len(self.corrective_actions)} CA, effectiveness not verified"
        )
        return f"{nc.reference} {nc.status} · {state}"


def finding_links(
    session: Session, actor: Actor, findings: Sequence[Finding]
) -> dict[int, FindingLink]:
    """Each finding's nonconformity and corrective actions, by finding id."""
    require(actor, Permission.VIEW_RECORDS)
    nc_ids = {f.nonconformity_id for f in findings if f.nonconformity_id is not None}
    ncs = {
        nc.id: nc
        for nc in session.exec(select(Nonconformity).where(col(Nonconformity.id).in_(nc_ids)))
    }
    actions: dict[int, list[CorrectiveAction]] = {}
    for ca in session.exec(
        select(CorrectiveAction)
        .where(col(CorrectiveAction.nonconformity_id).in_(nc_ids))
        .order_by(col(CorrectiveAction.id))
    ):
        actions.setdefault(ca.nonconformity_id, []).append(ca)
    return {
        int(f.id or 0): FindingLink(
            ncs.get(f.nonconformity_id) if f.nonconformity_id is not None else None,
            tuple(actions.get(f.nonconformity_id or -1, ())),
        )
        for f in findings
    }


def close_finding(
    session: Session,
    actor: Actor,
    finding_id: int,
    *,
    closed_on: dt.date,
    justification: str = "",
) -> Finding:
    """Close a verified finding (then immutable).

    A major or minor finding closes when a corrective action on its nonconformity
    has been verified effective on or before ``closed_on`` (ISO/IEC 17025:2017
    8.7.1 e); otherwise ``justification`` must say why it closes without one
    (e.g. the effectiveness check needs a year of data). Either is kept in
    ``closure_note``.

    Raises
    ------
    ConflictError
        The finding is not verified.
    InvalidInputError
        ``field="justification"``: no effective corrective action and no reason.
    """
    require(actor, Permission.ADD_FINDINGS)
    finding = get_finding(session, actor, finding_id)
    if finding.status != "verified":
        raise ConflictError(
            f"finding {finding.reference} is {finding.status}: only a verified finding closes"
        )
    note = justification.strip()
    if finding.grade in NONCONFORMITY_GRADES:
        link = finding_links(session, actor, [finding])[finding_id]
        effective = next(
            (
                ca
                for ca in link.corrective_actions
                if ca.effectiveness_verified_on is not None
                and ca.effectiveness_verified_on <= closed_on
            ),
            None,
        )
        if effective is None and not note:
            where = link.nonconformity.reference if link.nonconformity else "no nonconformity"
            raise InvalidInputError(
                f"finding {finding.reference} ({where}) has no corrective action verified "
                "effective: record the effectiveness check first (ISO/IEC 17025:2017 8.7.1 e) "
                "or say why the finding closes without one",
                field="justification",
            )
        if effective is not None:
            verified = (
                f"corrective action {effective.id} verified effective on "
                f"{effective.effectiveness_verified_on} by {effective.effectiveness_verified_by}: "
                f"{effective.effectiveness_check}"
            )
            note = f"{verified}. {note}" if note else verified
    return audited_update(
        session, finding, {"status": "closed", "closed_on": closed_on, "closure_note": note}, actor
    )
