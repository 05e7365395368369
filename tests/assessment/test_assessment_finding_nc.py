"""Findings linked to the lab's nonconformities and corrective actions (ISO/IEC 17025:2017 8.7).

A major or minor finding opens (or links) a nonconformity; it closes when a
corrective action on it is verified effective (8.7.1 e) or with a recorded reason.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from calib.assessment.findings import (
    close_finding,
    finding_links,
    link_finding_to_nonconformity,
    raise_finding,
    respond_to_finding,
    verify_finding,
)
from calib.assessment.records import Finding
from calib.audit import audited_create, verify_audit
from calib.permissions import Principal
from calib.quality import (
    close_corrective_action,
    close_nonconformity,
    open_corrective_action,
    raise_nonconformity,
    record_effectiveness,
)
from calib.records import AuditEntry, CorrectiveAction, Nonconformity
from uncertainty.errors import ConflictError, InvalidInputError, PermissionDeniedError

MANAGER = Principal("manager", "manager")
STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")
DAY = dt.date(2026, 3, 2)


def _raise(session: Session, grade: str, **kwargs: object) -> Finding:
    return raise_finding(
        session, ASSESSOR, requirement_id="ENV-01", grade=grade, raised_on=DAY,
        statement=f"{grade} finding", **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def _ncs(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Nonconformity)).one())


def _verified(session: Session, finding: Finding) -> int:
    fid = int(finding.id or 0)
    respond_to_finding(session, STAFF, fid, response="done", responded_on=DAY)
    verify_finding(session, ASSESSOR, fid, verification="seen", verified_on=DAY)
    return fid


def test_major_and_minor_findings_open_or_link_a_nonconformity(session: Session) -> None:
    minor = _raise(session, "minor")
    nc = session.get(Nonconformity, minor.nonconformity_id)
    assert nc is not None
    assert (nc.severity, nc.source_table, nc.source_id, nc.raised_by, nc.status) == (
        "minor", "assessment_finding", str(minor.id), "assessor", "open",
    )  # fmt: skip
    assert minor.reference in nc.description and "ISO/IEC 17025:2017 6.3" in nc.description
    observation = _raise(session, "observation")
    assert observation.nonconformity_id is None and _ncs(session) == 1
    own = raise_nonconformity(session, STAFF, description="Logger lapsed", raised_on=DAY)
    major = _raise(session, "major", nonconformity_id=own.id)
    assert major.nonconformity_id == own.id and _ncs(session) == 2  # linked, none opened
    closed = raise_nonconformity(session, STAFF, description="old", raised_on=DAY)
    close_nonconformity(session, MANAGER, int(closed.id or 0))
    findings = session.exec(select(func.count()).select_from(Finding)).one()
    for kwargs in (
        {"grade": "major", "nonconformity_id": 9999},
        {"grade": "minor", "nonconformity_id": closed.id},
        {"grade": "observation", "nonconformity_id": own.id},
    ):
        with pytest.raises(InvalidInputError) as info:
            _raise(session, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == "nonconformity_id"
    assert session.exec(select(func.count()).select_from(Finding)).one() == findings
    with pytest.raises(PermissionDeniedError):
        raise_finding(
            session, STAFF, requirement_id="ENV-01", grade="minor", statement="x", raised_on=DAY
        )
    links = finding_links(session, ASSESSOR, [minor, observation, major])
    assert links[int(minor.id or 0)].summary() == f"{nc.reference} open · no corrective action"
    assert links[int(observation.id or 0)].summary() == ""
    session.flush()
    assert verify_audit(session).ok


def test_closure_needs_an_effective_corrective_action_or_a_reason(session: Session) -> None:
    finding = _raise(session, "minor")
    fid = _verified(session, finding)
    nc_id = int(finding.nonconformity_id or 0)
    with pytest.raises(InvalidInputError) as info:
        close_finding(session, ASSESSOR, fid, closed_on=DAY)
    assert info.value.field == "justification"
    assert session.get(Finding, fid).status == "verified"  # type: ignore[union-attr]
    with pytest.raises(PermissionDeniedError):  # staff do not manage corrective actions
        open_corrective_action(session, STAFF, nc_id, opened_on=DAY, root_cause="r", actions="a")
    ca = open_corrective_action(
        session, MANAGER, nc_id, opened_on=DAY, root_cause="no alarm", actions="alarm added"
    )
    with pytest.raises(InvalidInputError):  # an open action that is not yet verified
        close_finding(session, ASSESSOR, fid, closed_on=DAY)
    checked = dt.date(2026, 4, 30)
    record_effectiveness(
        session, MANAGER, int(ca.id or 0), check="two alarms acted on", verified_on=checked
    )
    with pytest.raises(InvalidInputError) as info:  # verified after the closure date
        close_finding(session, ASSESSOR, fid, closed_on=checked - dt.timedelta(days=1))
    assert info.value.field == "justification"
    link = finding_links(session, ASSESSOR, [finding])[fid]
    assert link.summary().endswith(f"CA {ca.id} verified effective 2026-04-30")
    closed = close_finding(session, ASSESSOR, fid, closed_on=checked)
    assert closed.status == "closed"
    assert closed.closure_note == (
        f"corrective action {ca.id} verified effective on 2026-04-30 by manager: "
        "two alarms acted on"
    )
    close_corrective_action(session, MANAGER, int(ca.id or 0), closed_on=checked)
    session.flush()
    assert verify_audit(session).ok


def test_closure_with_a_reason_and_observations_close_freely(session: Session) -> None:
    finding = _raise(session, "major")
    fid = _verified(session, finding)
    closed = close_finding(
        session, ASSESSOR, fid, closed_on=DAY, justification="checked at next surveillance"
    )
    assert closed.closure_note == "checked at next surveillance"
    observation = _raise(session, "observation")
    assert close_finding(
        session, ASSESSOR, _verified(session, observation), closed_on=DAY
    ).closure_note == ""  # fmt: skip
    assert session.exec(select(func.count()).select_from(CorrectiveAction)).one() == 0


def test_a_finding_without_nonconformity_is_linked_afterwards(session: Session) -> None:
    """Findings raised before the link existed (migration 0003) get one by hand."""
    old = [
        audited_create(
            session,
            Finding(reference=f"F-2025-00{n}", requirement_id="ENV-01", clause="6.3",
                    grade=grade, statement="old", raised_by="assessor", raised_on=DAY),
            ASSESSOR,
        )
        for n, grade in ((1, "minor"), (2, "major"), (3, "observation"))
    ]  # fmt: skip
    by_staff = link_finding_to_nonconformity(session, STAFF, int(old[0].id or 0), linked_on=DAY)
    nc = session.get(Nonconformity, by_staff.nonconformity_id)
    assert nc is not None and nc.raised_by == "staff" and nc.source_id == str(old[0].id)
    by_assessor = link_finding_to_nonconformity(
        session, ASSESSOR, int(old[1].id or 0), linked_on=DAY, nonconformity_id=nc.id
    )
    assert by_assessor.nonconformity_id == nc.id
    with pytest.raises(ConflictError):
        link_finding_to_nonconformity(session, STAFF, int(old[0].id or 0), linked_on=DAY)
    with pytest.raises(InvalidInputError) as info:
        link_finding_to_nonconformity(session, ASSESSOR, int(old[2].id or 0), linked_on=DAY)
    assert info.value.field == "finding_id"
    updates = session.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "assessment_finding", AuditEntry.action == "update"
        )
    ).all()
    assert {e.actor for e in updates} == {"staff", "assessor"}
