"""Assessment services on SQLite and PostgreSQL: logger import, findings workflow, scopes.

Writes go through the audit trail (``calib audit verify`` stays intact); assessors
cannot respond to findings (they never edit lab records).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from calib.assessment.certification import (
    add_scope_line,
    assign_scope_line,
    issue_certificate,
    scope_state,
)
from calib.assessment.findings import (
    close_finding,
    raise_finding,
    respond_to_finding,
    verify_finding,
)
from calib.assessment.service import (
    add_limit,
    create_room,
    import_logger_csv,
    list_excursions,
    room_readings,
)
from calib.audit import audited_create, verify_audit
from calib.permissions import Principal
from calib.records import Lab, Procedure, Site
from uncertainty.errors import ConflictError, ImmutableRecordError, PermissionDeniedError

ADMIN = Principal("admin", "admin")
ASSESSOR = Principal("assessor", "assessor")
STAFF = Principal("staff", "staff")

CSV = (
    "Timestamp;Temperature (°C);Humidity [%RH]\n"
    "2026-03-02 08:00:00;20,1;45,0\n"
    "2026-03-02 09:00:00;21,9;46,0\n"
    "2026-03-02 10:00:00;22,3;46,0\n"
    "2026-03-02 11:00:00;20,2;45,0\n"
    "2026-03-02 14:00:00;20,0;44,0\n"
)


def _sites(session: Session) -> tuple[Site, Site]:
    lab = audited_create(session, Lab(name="L"), ADMIN)
    head = audited_create(
        session, Site(lab_id=int(lab.id or 0), code="HQ", name="Head office", is_master=True), ADMIN
    )
    other = audited_create(session, Site(lab_id=int(lab.id or 0), code="S2", name="Site 2"), ADMIN)
    return head, other


def test_logger_import_excursions_and_audit(session: Session) -> None:
    """ISO/IEC 17025:2017 6.3.3: one excursion (09:00-10:00) and one gap (11:00-14:00)."""
    head, _ = _sites(session)
    room = create_room(session, ADMIN, site_id=int(head.id or 0), code="R1", name="Room 1")
    add_limit(
        session,
        ADMIN,
        room_id=int(room.id or 0),
        quantity="temperature",
        unit="degC",
        low=19,
        high=21,
    )
    batch, excursions, flagged = import_logger_csv(
        session,
        STAFF,
        room_id=int(room.id or 0),
        content=CSV.encode(),
        filename="r1.csv",
        as_of=dt.date(2026, 3, 3),
    )
    assert batch.readings == 10 and len(batch.sha256) == 64
    kinds = sorted((e.kind, e.start.hour, e.end.hour) for e in excursions)
    assert kinds == [("no_data", 11, 14), ("out_of_limits", 9, 10)]
    assert flagged == []
    assert len(list_excursions(session, STAFF, room_id=int(room.id or 0))) == 2
    readings = room_readings(session, STAFF, int(room.id or 0), quantity="temperature")
    assert [r.value for r in readings] == [20.1, 21.9, 22.3, 20.2, 20.0]
    assert readings[0].time == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    with pytest.raises(ConflictError):
        import_logger_csv(
            session, STAFF, room_id=int(room.id or 0), content=CSV.encode(), filename="again.csv"
        )
    session.flush()
    assert verify_audit(session).ok


def test_findings_workflow_and_roles(session: Session) -> None:
    head, _ = _sites(session)
    with pytest.raises(PermissionDeniedError):
        raise_finding(
            session, STAFF, requirement_id="ENV-01", grade="minor", statement="x",
            raised_on=dt.date(2026, 3, 1),
        )  # fmt: skip
    finding = raise_finding(
        session, ASSESSOR, requirement_id="ENV-01", grade="major", site_id=head.id,
        statement="No environmental record for the mass room", raised_on=dt.date(2026, 3, 1),
        evidence_refs=["env_room:1"], due_on=dt.date(2026, 4, 1),
    )  # fmt: skip
    assert finding.reference == "F-2026-001"
    assert finding.clause == "ISO/IEC 17025:2017 6.3"
    fid = int(finding.id or 0)
    with pytest.raises(PermissionDeniedError):  # an assessor does not write the lab's response
        respond_to_finding(session, ASSESSOR, fid, response="x", responded_on=dt.date(2026, 3, 2))
    with pytest.raises(ConflictError):  # nothing to verify before the lab responds
        verify_finding(session, ASSESSOR, fid, verification="x", verified_on=dt.date(2026, 3, 2))
    respond_to_finding(
        session, STAFF, fid, response="Logger replaced", responded_on=dt.date(2026, 3, 5)
    )
    with pytest.raises(PermissionDeniedError):
        verify_finding(session, STAFF, fid, verification="x", verified_on=dt.date(2026, 3, 6))
    verify_finding(
        session, ASSESSOR, fid, verification="Records seen", verified_on=dt.date(2026, 3, 10)
    )
    closed = close_finding(
        session, ASSESSOR, fid, closed_on=dt.date(2026, 3, 10),
        justification="effectiveness reviewed at the next surveillance",
    )  # fmt: skip
    assert closed.status == "closed"
    assert closed.closure_note == "effectiveness reviewed at the next surveillance"
    with pytest.raises((ImmutableRecordError, ConflictError)):
        respond_to_finding(session, STAFF, fid, response="late", responded_on=dt.date(2026, 3, 11))
    session.flush()
    assert verify_audit(session).ok


def test_scopes_rendered_from_vocabulary_and_consistency(session: Session) -> None:
    """IECQ 03-1:2023 5.2, Annex D: the master is the union; a site outside is flagged."""
    head, other = _sites(session)
    procedure = audited_create(session, Procedure(code="P-1", title="p", status="approved"), ADMIN)
    lines = [
        add_scope_line(
            session, ADMIN, code=f"SL-{n}", measurand=m, range_min=0.0, range_max=10.0,
            unit=u, cmc_value=0.1, cmc_unit="%", procedure_id=procedure.id,
        )
        for n, m, u in ((1, "DC voltage", "V"), (2, "Mass", "kg"))
    ]  # fmt: skip
    assign_scope_line(
        session, ADMIN, site_id=int(head.id or 0), scope_line_id=int(lines[0].id or 0)
    )
    assign_scope_line(
        session, ADMIN, site_id=int(other.id or 0), scope_line_id=int(lines[1].id or 0)
    )
    master = issue_certificate(
        session, ADMIN, number="M-1", site_id=int(head.id or 0), kind="master",
        issued_on=dt.date(2025, 1, 1),
    )  # fmt: skip
    assert master.valid_until == dt.date(2027, 12, 31)
    state = scope_state(session, ADMIN)
    assert "SITE_NOT_LISTED" in state.report.codes()  # site 2 has no certificate yet
    issue_certificate(
        session, ADMIN, number="M-1-01", site_id=int(other.id or 0), kind="site",
        issued_on=dt.date(2025, 1, 1), master_certificate_id=master.id,
    )  # fmt: skip
    state = scope_state(session, ADMIN)
    assert state.report.ok, state.report.issues
    site_cert = next(r for r in state.rendered if r.certificate_id == "M-1-01")
    assert site_cert.master_id == "M-1"
    assert len(site_cert.scope_of_certification) == 2
    assert len(site_cert.at_this_location) == 1 and "Mass" in site_cert.at_this_location[0]
