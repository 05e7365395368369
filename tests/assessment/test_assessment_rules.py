"""Each rule of the catalogue computed from records: a conforming and a nonconforming case.

A small lab is built per test on a SQLite copy of a migrated template (fast);
services are exercised on PostgreSQL too in test_assessment_services.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from calib.assessment.records import (
    ImpactAssessment,
    ManagementReview,
    MethodValidation,
    QualityDocument,
)
from calib.assessment.status import RuleContext, evaluate_rule, requirement_statuses
from calib.audit import audited_create, audited_update
from calib.permissions import Principal
from calib.records import (
    Authorisation,
    CorrectiveAction,
    Customer,
    Job,
    Lab,
    Nonconformity,
    Person,
    Procedure,
    Site,
    Training,
)

AS_OF = dt.date(2026, 6, 30)
ADMIN = Principal("tester", "admin")


@pytest.fixture
def session(empty_sqlite_session: Session) -> Session:
    """These rules are exercised on SQLite only: an empty migrated database per test."""
    return empty_sqlite_session


class Lab1:
    """A one-site lab: one procedure, two people, one job performed on 2026-06-01."""

    def __init__(self, session: Session) -> None:
        a = ADMIN
        lab = audited_create(session, Lab(name="Test lab"), a)
        self.site = audited_create(
            session, Site(lab_id=int(lab.id or 0), code="HQ", name="HQ", is_master=True), a
        )
        self.procedure = audited_create(
            session,
            Procedure(
                code="P-1", title="Proc", status="approved", effective_from=dt.date(2025, 1, 1)
            ),
            a,
        )
        sid = int(self.site.id or 0)
        self.performer = audited_create(session, Person(site_id=sid, name="Perf"), a)
        self.signer = audited_create(session, Person(site_id=sid, name="Sign"), a)
        customer = audited_create(session, Customer(name="C"), a)
        self.job = audited_create(
            session,
            Job(
                site_id=sid,
                customer_id=int(customer.id or 0),
                procedure_id=int(self.procedure.id or 0),
                item_description="item",
                received_on=dt.date(2026, 6, 1),
                due_on=dt.date(2026, 6, 10),
                delivered_on=dt.date(2026, 6, 5),
                performed_by_id=self.performer.id,
                authorised_by_id=self.signer.id,
                status="released",
            ),
            a,
        )
        self.session = session

    def authorise(self, person: Person, until: dt.date) -> Authorisation:
        return audited_create(
            self.session,
            Authorisation(
                person_id=int(person.id or 0),
                procedure_id=int(self.procedure.id or 0),
                valid_from=dt.date(2025, 1, 1),
                valid_until=until,
            ),
            ADMIN,
        )


def _rule(session: Session, rule: str, **params: object) -> tuple[str, list[str]]:
    ctx = RuleContext(session=session, actor=ADMIN, as_of=AS_OF)
    outcome = evaluate_rule(ctx, rule, params)
    return outcome.state, outcome.messages


def test_authorisations_valid_at_job_date(session: Session) -> None:
    """ISO/IEC 17025:2017 6.2.5 f, 6.2.6: performer and authoriser authorised on the date."""
    lab = Lab1(session)
    assert _rule(session, "authorisations_valid_at_job_date")[0] == "fail"  # nobody authorised
    lab.authorise(lab.performer, dt.date(2027, 1, 1))
    state, messages = _rule(session, "authorisations_valid_at_job_date")
    assert state == "fail" and "authoriser Sign" in messages[0]
    lab.authorise(lab.signer, dt.date(2026, 6, 4))  # lapsed the day before release
    assert _rule(session, "authorisations_valid_at_job_date")[0] == "fail"
    lab.authorise(lab.signer, dt.date(2027, 1, 1))
    assert _rule(session, "authorisations_valid_at_job_date")[0] == "pass"


def test_competence_records_current(session: Session) -> None:
    lab = Lab1(session)
    pid = int(lab.performer.id or 0)
    audited_create(
        session, Training(person_id=pid, title="old", completed_on=dt.date(2023, 1, 1)), ADMIN
    )
    assert _rule(session, "competence_records_current", review_interval_months=24)[0] == "fail"
    audited_create(
        session, Training(person_id=pid, title="new", completed_on=dt.date(2025, 3, 1)), ADMIN
    )
    assert _rule(session, "competence_records_current", review_interval_months=24)[0] == "pass"


def test_procedures_approved_and_current(session: Session) -> None:
    """ISO/IEC 17025:2017 7.2.1.1, 8.3.2: approved, effective, reviewed within the interval."""
    lab = Lab1(session)
    state, messages = _rule(session, "procedures_approved_and_current", review_interval_months=12)
    assert state == "fail" and "not reviewed within 12 months" in messages[0]
    audited_create(
        session,
        MethodValidation(
            procedure_id=int(lab.procedure.id or 0),
            validated_on=dt.date(2026, 1, 10),
            validated_by="x",
        ),
        ADMIN,
    )
    assert _rule(session, "procedures_approved_and_current", review_interval_months=12)[0] == "pass"
    # A newer approved version in force on the job date makes the job's version outdated.
    audited_create(
        session,
        Procedure(
            code="P-1",
            title="Proc",
            version=2,
            supersedes_id=lab.procedure.id,
            status="approved",
            effective_from=dt.date(2026, 5, 1),
        ),
        ADMIN,
    )
    state, messages = _rule(session, "procedures_approved_and_current", review_interval_months=12)
    assert state == "fail" and "superseded by v2" in messages[0]


def test_procedure_changes_revalidated(session: Session) -> None:
    lab = Lab1(session)
    assert _rule(session, "procedure_changes_revalidated")[0] == "pass"  # nothing revised
    v2 = audited_create(
        session,
        Procedure(
            code="P-1",
            title="Proc",
            version=2,
            supersedes_id=lab.procedure.id,
            status="approved",
            effective_from=dt.date(2026, 5, 1),
        ),
        ADMIN,
    )
    assert _rule(session, "procedure_changes_revalidated")[0] == "fail"
    audited_create(
        session,
        MethodValidation(
            procedure_id=int(v2.id or 0), validated_on=dt.date(2026, 4, 20), validated_by="x"
        ),
        ADMIN,
    )
    assert _rule(session, "procedure_changes_revalidated")[0] == "pass"


def _nc(session: Session, site_id: int, raised: dt.date, ref: str) -> Nonconformity:
    return audited_create(
        session,
        Nonconformity(
            site_id=site_id, reference=ref, raised_on=raised, raised_by="x", description="d"
        ),
        ADMIN,
    )


def test_nonconforming_work_controlled(session: Session) -> None:
    """ISO/IEC 17025:2017 7.10.1: an NC older than 30 days has an action or is closed."""
    lab = Lab1(session)
    assert _rule(session, "nonconforming_work_controlled")[0] == "pass"
    nc = _nc(session, int(lab.site.id or 0), dt.date(2026, 4, 1), "NC-1")
    assert _rule(session, "nonconforming_work_controlled")[0] == "fail"
    audited_create(
        session,
        CorrectiveAction(nonconformity_id=int(nc.id or 0), opened_on=dt.date(2026, 4, 5)),
        ADMIN,
    )
    assert _rule(session, "nonconforming_work_controlled")[0] == "pass"


def test_corrective_actions_closed(session: Session) -> None:
    """ISO/IEC 17025:2017 8.7: closed with effectiveness within max_days."""
    lab = Lab1(session)
    nc = _nc(session, int(lab.site.id or 0), dt.date(2026, 1, 1), "NC-1")
    ca = audited_create(
        session,
        CorrectiveAction(nonconformity_id=int(nc.id or 0), opened_on=dt.date(2026, 1, 2)),
        ADMIN,
    )
    state, messages = _rule(session, "corrective_actions_closed", max_days=90)
    assert state == "fail" and "open for" in messages[0]
    audited_update(
        session,
        ca,
        {
            "status": "closed",
            "closed_on": dt.date(2026, 3, 1),
            "effectiveness_check": "ok",
            "effectiveness_verified_on": dt.date(2026, 2, 28),
            "effectiveness_verified_by": "x",
        },
        ADMIN,
    )
    assert _rule(session, "corrective_actions_closed", max_days=90)[0] == "pass"
    assert _rule(session, "corrective_actions_closed", max_days=30)[0] == "fail"


def test_management_review_held(session: Session) -> None:
    Lab1(session)
    assert _rule(session, "management_review_held", interval_months=12)[0] == "no_data"
    audited_create(session, ManagementReview(held_on=dt.date(2025, 1, 10), chaired_by="x"), ADMIN)
    assert _rule(session, "management_review_held", interval_months=12)[0] == "fail"
    audited_create(session, ManagementReview(held_on=dt.date(2026, 2, 10), chaired_by="x"), ADMIN)
    assert _rule(session, "management_review_held", interval_months=12)[0] == "pass"


def test_management_system_documented(session: Session) -> None:
    Lab1(session)
    assert _rule(session, "management_system_documented")[0] == "no_data"
    audited_create(
        session,
        QualityDocument(
            code="QM",
            title="Manual",
            kind="manual",
            status="approved",
            review_due=dt.date(2027, 1, 1),
        ),
        ADMIN,
    )
    assert _rule(session, "management_system_documented")[0] == "pass"
    audited_create(
        session,
        QualityDocument(
            code="QP",
            title="Policy",
            kind="policy",
            status="approved",
            review_due=dt.date(2026, 1, 1),
        ),
        ADMIN,
    )
    assert _rule(session, "management_system_documented")[0] == "fail"


def test_environment_rules(session: Session) -> None:
    """ISO/IEC 17025:2017 6.3.3: complete logging; jobs during an excursion are assessed."""
    from calib.assessment.environment import Reading
    from calib.assessment.service import (
        add_job_location,
        add_limit,
        add_readings,
        assess_impact,
        create_room,
        flag_room_jobs,
    )

    lab = Lab1(session)
    assert _rule(session, "environment_logging_complete")[0] == "no_data"
    assert _rule(session, "environment_within_limits_during_jobs")[0] == "no_data"
    room = create_room(session, ADMIN, site_id=int(lab.site.id or 0), code="R1", name="Room")
    rid = int(room.id or 0)
    add_limit(session, ADMIN, room_id=rid, quantity="temperature", unit="degC", low=19, high=21)
    start = dt.datetime.combine(AS_OF - dt.timedelta(days=365), dt.time(), dt.UTC)
    hours = int((dt.datetime(2026, 6, 30, tzinfo=dt.UTC) - start).total_seconds() // 3600) + 1
    job_start = dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC)
    readings = []
    for h in range(hours):
        t = start + dt.timedelta(hours=h)
        if dt.datetime(2026, 3, 1, tzinfo=dt.UTC) <= t < dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC):
            continue  # a six-hour gap
        value = 22.0 if job_start <= t <= job_start + dt.timedelta(hours=2) else 20.0
        readings.append(Reading("R1", t, "temperature", value, "degC"))
    add_readings(session, ADMIN, room_id=rid, readings=readings, filename="r.csv", sha256="0" * 64)
    state, messages = _rule(session, "environment_logging_complete")
    assert state == "fail" and "2026-03-01" in messages[0]
    add_job_location(
        session,
        ADMIN,
        job_id=int(lab.job.id or 0),
        room_id=rid,
        started_at=job_start,
        finished_at=job_start + dt.timedelta(hours=3),
    )
    state, messages = _rule(session, "environment_within_limits_during_jobs")
    assert state == "fail" and "without a completed impact assessment" in messages[0]
    flagged = flag_room_jobs(session, ADMIN, room_id=rid, as_of=AS_OF)
    assert [ia.job_id for ia in flagged] == [lab.job.id]
    assess_impact(
        session,
        ADMIN,
        int(flagged[0].id or 0),
        assessment="Gauge re-measured after stabilisation; within tolerance",
        decision="no_impact",
        assessed_on=AS_OF,
    )
    assert _rule(session, "environment_within_limits_during_jobs")[0] == "pass"
    assert session.get(ImpactAssessment, flagged[0].id).status == "closed"  # type: ignore[union-attr]
    # A complete log passes.
    add_readings(
        session,
        ADMIN,
        room_id=rid,
        readings=[
            Reading("R1", dt.datetime(2026, 3, 1, h, tzinfo=dt.UTC), "temperature", 20.0, "degC")
            for h in range(6)
        ],
        filename="gap.csv",
        sha256="1" * 64,
    )
    assert _rule(session, "environment_logging_complete")[0] == "pass"


def test_check_standard_rules(session: Session) -> None:
    """Western Electric signals need a nonconformity (7.7.1); Cpk against min_cpk (IECQ 03-2)."""
    from calib.assessment.service import (
        add_check_measurements,
        create_check_standard,
        set_specification_limit,
    )
    from calib.quality import raise_nonconformity

    lab = Lab1(session)
    assert _rule(session, "check_standards_in_control", rule_set="western_electric")[0] == "no_data"
    assert _rule(session, "process_capability", min_cpk=1.33)[0] == "no_data"
    cs = create_check_standard(
        session, ADMIN, site_id=int(lab.site.id or 0), code="CS", name="cs", unit="mg", baseline=10
    )
    base = [0.1, -0.2, 0.3, 0.0, -0.1, 0.2, -0.3, 0.1, 0.0, -0.1]
    days = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=7 * i) for i in range(20)]
    values = base + [0.05, -0.05] * 5
    add_check_measurements(
        session, ADMIN, int(cs.id or 0), [(d, v, None) for d, v in zip(days, values, strict=True)]
    )
    assert _rule(session, "check_standards_in_control", rule_set="western_electric")[0] == "pass"
    add_check_measurements(
        session, ADMIN, int(cs.id or 0), [(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), 3.0, None)]
    )  # beyond 3 sigma: WE1
    state, messages = _rule(session, "check_standards_in_control", rule_set="western_electric")
    assert state == "fail" and "WE1" in messages[0]
    raise_nonconformity(
        session,
        ADMIN,
        description="check standard out of control",
        raised_on=dt.date(2026, 6, 2),
        source_table="check_standard",
        source_id=cs.id,
    )
    assert _rule(session, "check_standards_in_control", rule_set="western_electric")[0] == "pass"
    set_specification_limit(session, ADMIN, int(cs.id or 0), lsl=-10.0, usl=10.0)
    assert _rule(session, "process_capability", min_cpk=1.33)[0] == "pass"
    set_specification_limit(session, ADMIN, int(cs.id or 0), lsl=-1.0, usl=1.0)
    state, messages = _rule(session, "process_capability", min_cpk=1.33)
    assert state == "fail" and "Cpk" in messages[0]


def test_requirement_statuses_cover_the_catalogue(session: Session) -> None:
    """Every requirement gets a status; nothing raises on an almost empty lab."""
    Lab1(session)
    statuses = requirement_statuses(session, ADMIN, as_of=AS_OF)
    from calib.assessment import load_catalogue

    assert [s.requirement_id for s in statuses] == [r.id for r in load_catalogue().requirements]
    assert {s.status for s in statuses} <= {"conforming", "finding", "missing"}
