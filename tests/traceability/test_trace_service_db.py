"""Traceability services on SQLite and PostgreSQL: round trip, all-or-nothing import, impact NCs.

The database path must give exactly the documents of the file path (CONTRACTS section 4)
for the same register; an import with any error stores nothing; the impact analysis
raises one nonconformity per impacted certificate, once.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from trace_helpers import base, cert

from calib.audit import audited_update, verify_audit
from calib.db import session_scope
from calib.permissions import Principal
from calib.records import AuditHead, Nonconformity
from calib.trace_entry import create_certificate, create_instrument, record_event
from traceability.chain import check_register
from traceability.impact import impact_analysis
from traceability.intervals import recommend_intervals
from traceability.records import TraceCertificate, TraceImpactItem, TraceInstrument, TracePoint
from traceability.schema import (
    CheckReportDocument,
    ImpactReportDocument,
    IntervalReportDocument,
    load_register,
)
from traceability.service import (
    certificate_findings,
    check_report,
    equipment_status_for_jobs,
    impact,
    import_register,
    interval_report,
    record_customer_notification,
)
from uncertainty.errors import ImmutableRecordError, InvalidInputError, PermissionDeniedError

ADMIN = Principal("tester", "admin")
ASSESSOR = Principal("assessor", "assessor")


def rich_register() -> dict[str, Any]:
    """register_ok plus an amendment, an OOT event, a quarantined use, a cycle and a bad issuer."""
    doc = base()
    doc["accreditation_bodies"].append({"id": "AB-X", "ilac_mra": False})
    doc["issuers"].append(
        {"id": "LAB-X", "kind": "accredited_lab", "accreditation_body": "AB-X",
         "accreditation": {"number": "X-9", "valid_from": "2020-01-01", "valid_until": "2023-01-01"}}
    )  # fmt: skip
    doc["instruments"] += [
        {"id": "DMM-4", "description": "DMM", "role": "working", "calibration_interval_months": 12},
        {"id": "CYC-1", "role": "reference"},
        {"id": "CYC-2", "role": "reference"},
    ]
    pt = copy.deepcopy(cert(doc, "C-101")["points"][0])
    doc["certificates"] += [
        {"id": "C-050A", "instrument": "CAL-2", "issuer": "LAB-A", "calibrated_on": "2024-01-15",
         "issued_on": "2024-02-01", "due": "2025-01-15", "references": ["C-010"],
         "supersedes": "C-050", "points": cert(doc, "C-050")["points"]},
        {"id": "C-102", "instrument": "DMM-4", "issuer": "OWN", "calibrated_on": "2024-06-20",
         "due": "2025-06-20", "references": ["C-050", "C-050A"], "points": [pt]},
        {"id": "C-103", "instrument": "DMM-4", "issuer": "OWN", "calibrated_on": "2024-05-02",
         "due": "2024-06-20", "references": [{"certificate": "C-050A", "quantity": "DC voltage"}],
         "points": [dict(pt, as_found_error=1.5e-3)]},
        {"id": "C-201", "instrument": "CYC-1", "issuer": "OWN", "calibrated_on": "2024-02-01",
         "references": ["C-202"], "points": [pt]},
        {"id": "C-202", "instrument": "CYC-2", "issuer": "OWN", "calibrated_on": "2024-02-01",
         "references": ["C-201"], "points": [pt]},
        {"id": "C-301", "instrument": "STD-1", "issuer": "LAB-X", "calibrated_on": "2024-02-01",
         "points": []},
    ]  # fmt: skip
    doc["events"] = [
        {"instrument": "CAL-2", "kind": "out_of_tolerance", "on": "2024-06-10", "id": "EV-7",
         "quantity": "DC voltage", "value": 10, "unit": "V", "error": 6.2e-5,
         "range_min": 1, "range_max": 11},
    ]  # fmt: skip
    return doc


def _import(engine: Engine, doc: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        import_register(session, ADMIN, doc)


@pytest.mark.parametrize("as_of", ["2024-06-01", "2024-07-01", "2025-06-01"])
def test_database_documents_equal_the_file_documents(engine: Engine, as_of: str) -> None:
    doc = rich_register()
    _import(engine, doc)
    register, day = load_register(doc), dt.date.fromisoformat(as_of)
    with session_scope(engine) as session:
        from_db = check_report(session, ADMIN, as_of=day)
        assert from_db == CheckReportDocument.from_result(check_register(register, day))
        assert from_db.summary.not_traceable > 0
        codes = set(from_db.summary.findings_by_code)
        if as_of == "2024-07-01":
            assert {"REFERENCE_SUPERSEDED", "CHAIN_CYCLE", "REFERENCE_QUARANTINED_AT_USE"} <= codes
        found = impact(session, ADMIN, "CAL-2", dt.date(2024, 6, 10), record=False)
        expected = impact_analysis(register, "CAL-2", dt.date(2024, 6, 10))
        assert found == ImpactReportDocument.from_result(expected)
        assert interval_report(session, ADMIN, "DMM-4") == IntervalReportDocument.from_report(
            recommend_intervals(register, "DMM-4")
        )
        assert verify_audit(session).ok


def test_import_is_all_or_nothing_and_names_the_record_and_field(engine: Engine) -> None:
    doc = rich_register()
    cert(doc, "C-103")["points"][0]["unit"] = "kg"
    with session_scope(engine) as session:
        head = session.execute(select(AuditHead.hash)).scalar()
    with pytest.raises(InvalidInputError) as caught, session_scope(engine) as session:
        import_register(session, ADMIN, doc)
    assert caught.value.field == "certificates[C-103].points[0].unit"
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(TraceCertificate)).scalar() == 0
        assert session.execute(select(AuditHead.hash)).scalar() == head
    for mutate, field in [
        (lambda d: cert(d, "C-050").update(due="2020-01-01"), "certificates[C-050].due"),
        (lambda d: cert(d, "C-101")["references"].append("C-999"), "certificates[C-101].references[1]"),
        (lambda d: cert(d, "C-050")["points"][0].update(expanded_uncertainty=-1), "certificates[C-050].points[0].expanded_uncertainty"),
        (lambda d: d["certificates"].append(copy.deepcopy(cert(d, "C-010"))), "certificates[3].id"),
        (lambda d: d["instruments"][0].update(site="NOWHERE"), "instruments[STD-1].site"),
    ]:  # fmt: skip
        bad = base()
        mutate(bad)
        with pytest.raises(InvalidInputError) as caught, session_scope(engine) as session:
            import_register(session, ADMIN, bad)
        assert caught.value.field == field
    _import(engine, base())
    with pytest.raises(InvalidInputError) as caught, session_scope(engine) as session:
        import_register(session, ADMIN, base())  # already there
    assert caught.value.field == "accreditation_bodies[AB-1].id"
    with pytest.raises(PermissionDeniedError), session_scope(engine) as session:
        import_register(session, ASSESSOR, base())


def test_impact_raises_one_nonconformity_per_impacted_certificate_once(engine: Engine) -> None:
    _import(engine, rich_register())
    with session_scope(engine) as session:
        first = impact(
            session, ADMIN, "CAL-2", dt.date(2024, 6, 10), raised_on=dt.date(2024, 6, 11)
        )
    impacted = [row for row in first.affected if row.impacted]
    assert impacted and all(row.nonconformity for row in impacted)
    assert all(row.customer_notified is None for row in impacted)  # internal certificates
    with session_scope(engine) as session:
        again = impact(session, ADMIN, "CAL-2", dt.date(2024, 6, 10))
        assert again == first
        ncs = session.execute(select(Nonconformity)).scalars().all()
        assert len(ncs) == len(impacted)
        assert {nc.source_table for nc in ncs} == {"trace_certificate"}
        items = session.execute(select(TraceImpactItem)).scalars().all()
        assert len(items) == len(impacted)
        updated = record_customer_notification(
            session, ADMIN, int(items[0].id or 0), status="notified", on=dt.date(2024, 6, 20)
        )
        assert updated.notified_on == dt.date(2024, 6, 20)
        with pytest.raises(InvalidInputError):
            record_customer_notification(session, ADMIN, int(items[0].id or 0), status="maybe")
    with pytest.raises(PermissionDeniedError), session_scope(engine) as session:
        impact(session, ASSESSOR, "CAL-2", dt.date(2024, 6, 10))
    with session_scope(engine) as session:  # read-only analysis is allowed
        assert impact(session, ASSESSOR, "CAL-2", dt.date(2024, 6, 10), record=False).affected
        assert verify_audit(session).ok


def test_released_certificate_is_immutable_and_amended_by_superseding(engine: Engine) -> None:
    _import(engine, base())
    with session_scope(engine) as session:
        create_instrument(session, ADMIN, code="DMM-9", description="DMM", role="working")
        point = {"quantity": "DC voltage", "value": 10, "unit": "V",
                 "expanded_uncertainty": 1.2e-4, "tolerance": 1e-3, "as_left_error": 9.5e-4}  # fmt: skip
        made = create_certificate(
            session, ADMIN, code="C-900", instrument="DMM-9", issuer="OWN",
            calibrated_on=dt.date(2024, 4, 1), due_on=dt.date(2025, 4, 1), points=[point],
            references=[(0, "C-050")], decision_rule="guarded", release=True,
        )  # fmt: skip
        assert made.status == "released"
        with pytest.raises(ImmutableRecordError):
            audited_update(session, made, {"due_on": dt.date(2026, 1, 1)}, ADMIN)
        amended = create_certificate(
            session, ADMIN, code="C-900-A1", instrument="DMM-9", issuer="OWN",
            calibrated_on=dt.date(2024, 4, 1), due_on=dt.date(2025, 4, 1), points=[point],
            references=[(0, "C-050")], supersedes="C-900",
        )  # fmt: skip
        assert amended.supersedes_id == made.id and amended.status == "draft"
        with pytest.raises(InvalidInputError) as caught:
            create_certificate(
                session, ADMIN, code="C-901", instrument="DMM-9", issuer="OWN",
                calibrated_on=dt.date(2024, 4, 1), points=[dict(point, unit="kg")],
            )  # fmt: skip
        assert caught.value.field == "points[0].unit"
        with pytest.raises(InvalidInputError) as caught:
            create_certificate(
                session, ADMIN, code="C-902", instrument="DMM-9", issuer="OWN",
                calibrated_on=dt.date(2023, 1, 1), points=[point], references=[(0, "C-050")],
            )  # fmt: skip
        assert caught.value.field == "references[0]"
        event = record_event(
            session, ADMIN, instrument="DMM-9", kind="quarantine", on=dt.date(2024, 5, 1)
        )
        assert event.id is not None
        inst = session.execute(
            select(TraceInstrument).where(TraceInstrument.code == "DMM-9")
        ).scalar_one()
        assert inst.status == "quarantined"
        report = check_report(session, ADMIN, as_of=dt.date(2024, 6, 1))
        assert "C-900" in {c.id for c in report.certificates}
        assert "C-900-A1" not in {c.id for c in report.certificates}  # drafts are not listed
        assert verify_audit(session).ok


def test_assessment_queries_on_the_demo(demo_engine: Engine) -> None:
    """The demo's deliberate problems reach the assessor's checklist queries."""
    as_of = dt.date(2026, 11, 23)
    with Session(demo_engine) as session:
        equipment = equipment_status_for_jobs(session, ASSESSOR, as_of=as_of)
        assert equipment.items and not equipment.ok
        problems = {f.code for item in equipment.problems for f in item.problems}
        assert problems == {"REFERENCE_EXPIRED_AT_USE", "REFERENCE_QUARANTINED_AT_USE"}
        assert all(item.job_id is not None for item in equipment.items)
        assert "past due, out of service" in equipment.statement
        findings = certificate_findings(session, ASSESSOR, as_of=as_of)
        assert not findings.all_traceable and len(findings.not_traceable) >= 4
        assert findings.uncertainty_problems == ()
        assert "every reported U is at least the CMC" in findings.statement
        points = session.execute(select(func.count()).select_from(TracePoint)).scalar()
        assert points and points > 300
        assert verify_audit(session).ok
