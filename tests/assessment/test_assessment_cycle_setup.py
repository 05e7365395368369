"""The certification cycle recorded through the services: steps, order, surveillance.

IECQ FAQ: the steps (applicable standards, certification body, evaluation,
report, certification, surveillance); certification valid for three years;
annual surveillance (ISO/IEC 17021-1:2015 9.6.2.2). A master certificate issued
on 2025-01-01 is valid to 2027-12-31, surveillance due 2026-01-01 and 2027-01-01.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from calib.assessment.certification import add_scope_line, assign_scope_line, issue_certificate
from calib.assessment.cycle_service import (
    add_cycle_step,
    current_cycle,
    record_surveillance,
    start_certification_cycle,
)
from calib.assessment.records import CertificationStepRecord
from calib.audit import audited_create, verify_audit
from calib.permissions import Principal
from calib.records import AuditEntry, Lab, Procedure, Site
from uncertainty.errors import InvalidInputError, PermissionDeniedError

MANAGER = Principal("manager", "manager")
STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")
ISSUED = dt.date(2025, 1, 1)


def _certificates(session: Session) -> tuple[int, int]:
    """A master (head office) and a site certificate issued on ``ISSUED``; their ids."""
    lab = audited_create(session, Lab(name="L"), MANAGER)
    head = audited_create(
        session, Site(lab_id=int(lab.id or 0), code="HQ", name="Head", is_master=True), MANAGER
    )
    other = audited_create(session, Site(lab_id=int(lab.id or 0), code="S2", name="S2"), MANAGER)
    proc = audited_create(session, Procedure(code="P-1", title="p", status="approved"), MANAGER)
    line = add_scope_line(
        session, MANAGER, code="SL-1", measurand="Mass", range_min=1, range_max=10, unit="kg",
        cmc_value=0.8, cmc_unit="mg/kg", procedure_id=proc.id,
    )  # fmt: skip
    assign_scope_line(session, MANAGER, site_id=int(other.id or 0), scope_line_id=int(line.id or 0))
    master = issue_certificate(
        session, MANAGER, number="M-1", site_id=int(head.id or 0), kind="master", issued_on=ISSUED
    )
    site = issue_certificate(
        session, MANAGER, number="M-1-01", site_id=int(other.id or 0), kind="site",
        issued_on=ISSUED, master_certificate_id=master.id,
    )  # fmt: skip
    return int(master.id or 0), int(site.id or 0)


def _field(call: object, *args: object, **kwargs: object) -> str | None:
    with pytest.raises(InvalidInputError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value.field


def test_cycle_starts_on_a_master_certificate(session: Session) -> None:
    master, site = _certificates(session)

    def start(**changes: object) -> object:
        fields: dict[str, object] = {
            "certificate_id": master, "certification_body": "CB", "standards": "ISO/IEC 17025",
        }  # fmt: skip
        fields.update(changes)
        return start_certification_cycle(session, MANAGER, **fields)  # type: ignore[arg-type]

    assert _field(start, certificate_id=site) == "certificate_id"
    assert _field(start, certificate_id=9999) == "certificate_id"
    assert _field(start, certification_body=" ") == "certification_body"
    assert _field(start, standards="") == "standards"
    for who in (STAFF, ASSESSOR):
        with pytest.raises(PermissionDeniedError):
            start_certification_cycle(
                session, who, certificate_id=master, certification_body="CB", standards="S"
            )
    cycle = start()
    assert cycle.certified_on == ISSUED  # type: ignore[attr-defined]
    assert _field(start) == "certificate_id"  # one cycle per master certificate


def test_steps_from_the_controlled_list_in_date_order(session: Session) -> None:
    master, _ = _certificates(session)
    cycle = start_certification_cycle(
        session, MANAGER, certificate_id=master, certification_body="CB", standards="S"
    )
    cid = int(cycle.id or 0)

    def step(key: str, day: dt.date) -> CertificationStepRecord:
        return add_cycle_step(session, MANAGER, cid, key=key, done_on=day)

    assert _field(step, "coffee", dt.date(2024, 6, 1)) == "key"
    assert _field(step, "certification", dt.date(2024, 6, 1)) == "key"
    assert _field(step, "evaluation", dt.date(2025, 1, 2)) == "done_on"  # after certification
    step("evaluation", dt.date(2024, 10, 1))
    assert _field(step, "evaluation", dt.date(2024, 10, 2)) == "key"  # already recorded
    assert _field(step, "applicable_standards", dt.date(2024, 10, 5)) == "done_on"  # after a later
    assert _field(step, "report", dt.date(2024, 9, 30)) == "done_on"  # before an earlier step
    step("applicable_standards", dt.date(2024, 3, 1))
    step("report", dt.date(2024, 11, 15))
    with pytest.raises(PermissionDeniedError):
        add_cycle_step(session, STAFF, cid, key="certification_body", done_on=dt.date(2024, 5, 1))
    assert _field(add_cycle_step, session, MANAGER, 9999, key="report", done_on=ISSUED) == (
        "cycle_id"
    )

    def visit(day: dt.date) -> CertificationStepRecord:
        return record_surveillance(session, MANAGER, cid, done_on=day, note="no finding")

    assert _field(visit, ISSUED) == "done_on"  # surveillance is after certification
    assert _field(visit, dt.date(2028, 1, 1)) == "done_on"  # after expiry 2027-12-31
    assert _field(step, "surveillance_2", dt.date(2026, 2, 1)) == "key"  # surveillance_1 first
    assert _field(step, "recertification", dt.date(2027, 11, 1)) == "key"
    first = visit(dt.date(2026, 1, 20))
    assert first.key == "surveillance_1" and first.note == "no finding"
    assert _field(visit, dt.date(2026, 1, 10)) == "done_on"  # before surveillance_1
    assert visit(dt.date(2027, 1, 15)).key == "surveillance_2"
    assert _field(visit, dt.date(2027, 6, 1)) == "done_on"  # no third surveillance in 3 years
    step("recertification", dt.date(2027, 11, 20))
    found = current_cycle(session, ASSESSOR, as_of=dt.date(2027, 12, 1))
    assert found is not None
    _, timeline = found
    assert timeline.valid_until == dt.date(2027, 12, 31)
    due = {s.key: (s.due, s.state) for s in timeline.steps}
    assert due["surveillance_1"] == (dt.date(2026, 1, 1), "done")
    assert due["surveillance_2"] == (dt.date(2027, 1, 1), "done")
    assert due["certification_body"][1] == "overdue"  # never recorded
    session.flush()
    assert verify_audit(session).ok
    steps = session.exec(
        select(AuditEntry).where(AuditEntry.table_name == "certification_step")
    ).all()
    assert len(steps) == 6 and {e.actor for e in steps} == {"manager"}
