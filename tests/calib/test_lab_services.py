"""Lab-record services (calib.lab, calib.lab_personnel) on SQLite and PostgreSQL.

Positive and negative cases, permission refusals, audit entries, and atomicity (a
refused call inside one transaction stores nothing). The job-logging refusals are
checked against the assessment rules they anticipate (calib/assessment/rules_lab.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from calib.assessment.status import RuleContext, evaluate_rule
from calib.audit import audited_create, verify_audit
from calib.db import session_scope
from calib.lab import (
    approve_procedure,
    create_customer,
    create_procedure,
    instruments_by_job,
    lab_instruments,
    list_jobs,
    log_job,
    procedure_in_force,
    revise_procedure,
    update_customer,
    version_in_force,
)
from calib.lab_personnel import (
    authorisation_matrix,
    create_person,
    grant_authorisation,
    list_authorisations,
    list_qualifications,
    list_trainings,
    record_qualification,
    record_training,
    update_person,
    valid_authorisation,
    withdraw_authorisation,
)
from calib.permissions import Principal
from calib.records import AuditEntry, Authorisation, Job, Lab, Person, Procedure, Site
from uncertainty.errors import ConflictError, InvalidInputError, PermissionDeniedError

ADMIN = Principal("admin", "admin")
MANAGER = Principal("manager", "manager")
STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")
D = dt.date(2026, 6, 1)


@dataclass
class Lab1:
    site: int
    north: int
    alice: int
    bruno: int
    customer: int
    mass: int


def _lab(session: Session) -> Lab1:
    lab = audited_create(session, Lab(name="Lab"), ADMIN)
    main = audited_create(
        session, Site(lab_id=lab.id or 0, code="MAIN", name="Main", is_master=True), ADMIN
    )
    north = audited_create(session, Site(lab_id=lab.id or 0, code="NORTH", name="North"), ADMIN)
    alice = create_person(session, MANAGER, site_id=main.id or 0, name="Alice", email="a@lab.org")
    bruno = create_person(session, MANAGER, site_id=north.id or 0, name="Bruno")
    customer = create_customer(session, MANAGER, name="Apex", contact_email="q@apex.org")
    mass = create_procedure(session, MANAGER, code="CP-MAS", title="Mass", quantity="mass")
    approve_procedure(session, MANAGER, mass.id or 0, effective_from=dt.date(2025, 1, 1))
    return Lab1(
        main.id or 0, north.id or 0, alice.id or 0, bruno.id or 0, customer.id or 0, mass.id or 0
    )


def _entries(session: Session, table: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.table_name == table)))


# --------------------------------------------------------------------------- people


def test_create_and_update_person_are_audited(session: Session) -> None:
    lab = _lab(session)
    person = session.get(Person, lab.alice)
    assert person is not None and person.site_id == lab.site and person.email == "a@lab.org"
    created = [e for e in _entries(session, "person") if e.record_id == str(lab.alice)]
    assert [(e.action, e.actor) for e in created] == [("create", "manager")]
    update_person(session, MANAGER, lab.alice, {"active": False, "job_title": " Metrologist "})
    assert person.active is False and person.job_title == "Metrologist"
    assert _entries(session, "person")[-1].action == "update"
    assert verify_audit(session).ok


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "email": "not-an-address"}, "email"),
        ({"name": "X", "site_id": 999}, "site_id"),
    ],
)
def test_create_person_refuses_bad_input_naming_the_field(
    session: Session, fields: dict[str, object], field: str
) -> None:
    lab = _lab(session)
    with pytest.raises(InvalidInputError) as info:
        create_person(session, MANAGER, **{"site_id": lab.site, **fields})  # type: ignore[arg-type]
    assert info.value.field == field


def test_update_person_refuses_unknown_field_and_bad_active(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(InvalidInputError) as info:
        update_person(session, MANAGER, lab.alice, {"salary": 1})
    assert info.value.field == "salary"
    with pytest.raises(InvalidInputError) as info:
        update_person(session, MANAGER, lab.alice, {"active": "no"})
    assert info.value.field == "active"


@pytest.mark.parametrize("actor", [STAFF, ASSESSOR])
def test_only_managers_manage_people_and_authorisations(session: Session, actor: Principal) -> None:
    lab = _lab(session)
    with pytest.raises(PermissionDeniedError):
        create_person(session, actor, site_id=lab.site, name="Eve")
    with pytest.raises(PermissionDeniedError):
        record_training(session, actor, person_id=lab.alice, title="GUM", completed_on=D)
    with pytest.raises(PermissionDeniedError):
        grant_authorisation(
            session, actor, person_id=lab.alice, procedure_id=lab.mass,
            valid_from=D, valid_until=D,
        )  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        create_customer(session, actor, name="Boreal")
    with pytest.raises(PermissionDeniedError):
        create_procedure(session, actor, code="CP-X", title="X")


# --------------------------------------------------------------------------- competence


def test_training_and_qualification_records(session: Session) -> None:
    lab = _lab(session)
    record_training(session, MANAGER, person_id=lab.alice, title="GUM", completed_on=D, today=D)
    record_training(
        session, MANAGER, person_id=lab.alice, title="17025", completed_on=D - dt.timedelta(days=9)
    )
    record_qualification(
        session, MANAGER, person_id=lab.alice, title="MSc", awarded_on=dt.date(2015, 7, 1)
    )
    assert [t.title for t in list_trainings(session, ASSESSOR, person_id=lab.alice)] == [
        "GUM",
        "17025",
    ]
    assert [q.title for q in list_qualifications(session, ASSESSOR)] == ["MSc"]
    assert len(_entries(session, "training")) == 2 and len(_entries(session, "qualification")) == 1


def test_competence_evidence_refuses_future_dates_and_blank_titles(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(InvalidInputError) as info:
        record_training(
            session, MANAGER, person_id=lab.alice, title="GUM",
            completed_on=D + dt.timedelta(days=1), today=D,
        )  # fmt: skip
    assert info.value.field == "completed_on"
    with pytest.raises(InvalidInputError) as info:
        record_qualification(session, MANAGER, person_id=lab.alice, title=" ", awarded_on=D)
    assert info.value.field == "title"
    with pytest.raises(InvalidInputError) as info:
        record_training(session, MANAGER, person_id=424242, title="GUM", completed_on=D)
    assert info.value.field == "person_id"
    assert _entries(session, "training") == []


# --------------------------------------------------------------------------- authorisations


def _grant(
    session: Session, lab: Lab1, start: dt.date, end: dt.date, **kw: object
) -> Authorisation:
    return grant_authorisation(
        session, MANAGER, person_id=lab.alice, procedure_id=lab.mass,
        valid_from=start, valid_until=end, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_grant_and_withdraw_authorisation(session: Session) -> None:
    lab = _lab(session)
    auth = _grant(
        session, lab, dt.date(2026, 1, 1), dt.date(2027, 12, 31), authorised_by_id=lab.bruno
    )
    assert valid_authorisation(session, lab.alice, "CP-MAS", D) is not None
    (row,) = list_authorisations(session, ASSESSOR, as_of=D)
    assert (row.person, row.procedure_code, row.authorised_by, row.state(D)) == (
        "Alice", "CP-MAS", "Bruno", "current",
    )  # fmt: skip
    withdraw_authorisation(session, MANAGER, auth.id or 0, withdrawn_on=D)
    # not valid from the withdrawal date: ends the day before
    assert auth.valid_until == dt.date(2026, 5, 31)
    assert valid_authorisation(session, lab.alice, "CP-MAS", D) is None
    assert valid_authorisation(session, lab.alice, "CP-MAS", dt.date(2026, 5, 31)) is not None
    assert [e.action for e in _entries(session, "authorisation")] == ["create", "update"]
    with pytest.raises(InvalidInputError) as info:  # already ended
        withdraw_authorisation(session, MANAGER, auth.id or 0, withdrawn_on=dt.date(2026, 7, 1))
    assert info.value.field == "withdrawn_on"


def test_withdrawing_before_the_start_leaves_it_never_valid(session: Session) -> None:
    lab = _lab(session)
    auth = _grant(session, lab, dt.date(2026, 9, 1), dt.date(2027, 8, 31))
    withdraw_authorisation(session, MANAGER, auth.id or 0, withdrawn_on=D)
    assert auth.valid_until == dt.date(2026, 8, 31) < auth.valid_from
    assert list_authorisations(session, ASSESSOR, as_of=dt.date(2026, 9, 1)) == []


def test_grant_refusals(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(InvalidInputError) as info:
        _grant(session, lab, D, D - dt.timedelta(days=1))
    assert info.value.field == "valid_until"
    with pytest.raises(InvalidInputError) as info:
        _grant(session, lab, D, D, authorised_by_id=lab.alice)
    assert info.value.field == "authorised_by_id"
    _grant(session, lab, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ConflictError, match="valid_from"):
        _grant(session, lab, dt.date(2026, 12, 31), dt.date(2027, 12, 31))
    _grant(session, lab, dt.date(2027, 1, 1), dt.date(2027, 12, 31))  # renewal: day after
    update_person(session, MANAGER, lab.alice, {"active": False})
    with pytest.raises(InvalidInputError) as info:
        _grant(session, lab, dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert info.value.field == "person_id"


def test_an_authorisation_covers_every_version_of_the_code(session: Session) -> None:
    """As the assessment rule reads it: authorisations are matched on the procedure code."""
    lab = _lab(session)
    _grant(session, lab, dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    v2 = revise_procedure(session, MANAGER, lab.mass, title="Mass v2")
    approve_procedure(session, MANAGER, v2.id or 0, effective_from=D)
    job = log_job(
        session, STAFF, site_id=lab.site, customer_id=lab.customer, procedure_id=v2.id or 0,
        item_description="1 kg", received_on=D, due_on=D, performed_by_id=lab.alice,
    )  # fmt: skip
    assert job.procedure_id == v2.id


def test_matrix_shows_who_is_authorised_on_the_day(session: Session) -> None:
    lab = _lab(session)
    _grant(session, lab, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    create_procedure(session, MANAGER, code="CP-ELE", title="Voltage")
    matrix = authorisation_matrix(session, ASSESSOR, as_of=D)
    assert matrix.procedures == [("CP-ELE", "Voltage"), ("CP-MAS", "Mass")]
    assert matrix.table() == [
        {"person": "Alice", "CP-ELE": "", "CP-MAS": "until 2026-12-31"},
        {"person": "Bruno", "CP-ELE": "", "CP-MAS": ""},
    ]
    assert matrix.as_dict()["people"][0]["authorised"] == {"CP-MAS": "2026-12-31"}
    assert authorisation_matrix(session, ASSESSOR, as_of=dt.date(2027, 1, 1)).cells == {}
    north = authorisation_matrix(session, ASSESSOR, as_of=D, site_id=lab.north)
    assert north.people == [(lab.bruno, "Bruno")]


# --------------------------------------------------------------------------- customers


def test_customers_unique_names_and_checked_email(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(ConflictError, match="name"):
        create_customer(session, MANAGER, name="  APEX ")
    with pytest.raises(InvalidInputError) as info:
        create_customer(session, MANAGER, name="Boreal", contact_email="boreal")
    assert info.value.field == "contact_email"
    with pytest.raises(InvalidInputError) as info:
        create_customer(session, MANAGER, name="Boreal", vat="x")
    assert info.value.field == "vat"
    updated = update_customer(session, MANAGER, lab.customer, {"name": "Apex", "city": "Lyon"})
    assert updated.city == "Lyon"  # keeping its own name is not a duplicate
    assert [e.action for e in _entries(session, "customer")] == ["create", "update"]
    with pytest.raises(PermissionDeniedError):
        update_customer(session, STAFF, lab.customer, {"city": "Graz"})


# --------------------------------------------------------------------------- procedures


def test_procedure_versions_and_approval(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(ConflictError, match="code"):
        create_procedure(session, MANAGER, code="CP-MAS", title="Again")
    with pytest.raises(ConflictError, match="procedure_id"):
        approve_procedure(session, MANAGER, lab.mass, effective_from=D)  # already approved
    v2 = revise_procedure(session, MANAGER, lab.mass)
    assert (v2.version, v2.status, v2.supersedes_id, v2.effective_from) == (
        2,
        "draft",
        lab.mass,
        None,
    )
    with pytest.raises(ConflictError):
        revise_procedure(session, MANAGER, v2.id or 0)  # a draft is pending
    with pytest.raises(InvalidInputError) as info:
        revise_procedure(session, MANAGER, lab.mass)  # not the latest
    assert info.value.field == "procedure_id"
    with pytest.raises(InvalidInputError) as info:
        approve_procedure(session, MANAGER, v2.id or 0, effective_from=dt.date(2024, 1, 1))
    assert info.value.field == "effective_from"
    with pytest.raises(PermissionDeniedError):
        approve_procedure(session, STAFF, v2.id or 0, effective_from=D)
    approve_procedure(session, MANAGER, v2.id or 0, effective_from=D)
    v1 = session.get(Procedure, lab.mass)
    assert v1 is not None
    assert procedure_in_force(session, v1, D - dt.timedelta(days=1)) is None
    assert "superseded by v2" in str(procedure_in_force(session, v1, D))
    assert "effective only from" in str(procedure_in_force(session, v2, D - dt.timedelta(days=1)))
    assert version_in_force(session, STAFF, "CP-MAS", D).id == v2.id
    assert version_in_force(session, STAFF, "CP-MAS", dt.date(2025, 6, 1)).id == lab.mass
    with pytest.raises(InvalidInputError) as info:
        version_in_force(session, STAFF, "CP-MAS", dt.date(2024, 6, 1))
    assert info.value.field == "procedure"


# --------------------------------------------------------------------------- jobs


def _log(session: Session, lab: Lab1, **overrides: object) -> Job:
    fields: dict[str, object] = {
        "site_id": lab.site,
        "customer_id": lab.customer,
        "procedure_id": lab.mass,
        "item_description": "Weight 1 kg",
        "received_on": D,
        "due_on": D + dt.timedelta(days=10),
        "performed_by_id": lab.alice,
    }
    fields.update(overrides)
    return log_job(session, STAFF, **fields)  # type: ignore[arg-type]


def test_log_job_for_authorised_people_passes_the_assessment_rule(session: Session) -> None:
    lab = _lab(session)
    _grant(session, lab, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    grant_authorisation(
        session, MANAGER, person_id=lab.bruno, procedure_id=lab.mass,
        valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31),
    )  # fmt: skip
    job = _log(session, lab, authorised_by_id=lab.bruno, item_serial=" SN1 ")
    assert (job.status, job.item_serial, job.performed_by_id) == ("in_progress", "SN1", lab.alice)
    assert [e.actor for e in _entries(session, "job")] == ["staff"]
    assert [j.id for j in list_jobs(session, ASSESSOR, procedure_code="CP-MAS")] == [job.id]
    assert list_jobs(session, ASSESSOR, procedure_code="CP-ELE") == []
    assert [j.id for j in list_jobs(session, ASSESSOR, person_id=lab.bruno)] == [job.id]
    ctx = RuleContext(session=session, actor=ASSESSOR, as_of=D)
    for rule in ("authorisations_valid_at_job_date", "procedures_approved_and_current"):
        assert evaluate_rule(ctx, rule, {}).state == "pass", rule


def test_log_job_refuses_what_the_assessment_would_find(session: Session) -> None:
    lab = _lab(session)
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab)  # nobody authorised
    assert info.value.field == "performed_by_id"
    assert "Alice" in str(info.value) and "CP-MAS" in str(info.value)
    _grant(session, lab, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, authorised_by_id=lab.bruno)
    assert info.value.field == "authorised_by_id"
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, received_on=dt.date(2024, 6, 1))  # before the procedure took effect
    assert info.value.field == "procedure_id"
    draft = create_procedure(session, MANAGER, code="CP-NEW", title="New")
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, procedure_id=draft.id)
    assert info.value.field == "procedure_id" and "draft" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, due_on=D - dt.timedelta(days=1))
    assert info.value.field == "due_on"
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, item_description="")
    assert info.value.field == "item_description"
    with pytest.raises(InvalidInputError) as info:
        _log(session, lab, customer_id=999)
    assert info.value.field == "customer_id"
    with pytest.raises(PermissionDeniedError):
        log_job(session, ASSESSOR, site_id=lab.site, customer_id=lab.customer,
                procedure_id=lab.mass, item_description="x", received_on=D, due_on=D,
                performed_by_id=lab.alice)  # fmt: skip
    assert _entries(session, "job") == []


def test_a_refused_write_leaves_the_database_as_it_was(engine: Engine) -> None:
    with session_scope(engine) as session:
        lab = _lab(session)
        _grant(session, lab, dt.date(2026, 1, 1), dt.date(2026, 12, 31))

    def counts() -> tuple[int, int]:
        with Session(engine) as s:
            return (
                s.exec(select(func.count()).select_from(Job)).one(),
                s.exec(select(func.count()).select_from(AuditEntry)).one(),
            )

    before = counts()
    with pytest.raises(InvalidInputError), session_scope(engine) as session:
        _log(session, lab)  # stored
        _log(session, lab, performed_by_id=lab.bruno)  # refused: the whole action rolls back
    assert counts() == before
    with pytest.raises(ConflictError), session_scope(engine) as session:
        create_person(session, MANAGER, site_id=lab.site, name="Carla")
        _grant(session, lab, dt.date(2026, 6, 1), dt.date(2026, 7, 1))  # overlaps
    with Session(engine) as s:
        assert s.exec(select(Person).where(Person.name == "Carla")).first() is None
        assert verify_audit(s).ok


def test_log_job_records_usable_instruments_and_refuses_the_others(demo_engine: Engine) -> None:
    """Demo register on 2026-11-23: REF-TMP-01 current, REF-TMP-02 quarantined,
    WRK-HYG-01 overdue (ISO/IEC 17025:2017 6.4.7, 6.4.9; the job names them, 7.5.1)."""
    from calib.lab_personnel import valid_authorisation
    from calib.records import Customer, JobInstrument

    day = dt.date(2026, 11, 23)  # tests/conftest.py DEMO_AS_OF
    with Session(demo_engine) as s:
        performer = next(
            p
            for p in s.exec(select(Person).where(Person.active))  # type: ignore[arg-type]
            if valid_authorisation(s, int(p.id or 0), "CP-TMP-01", day) is not None
        )
        fields = {
            "site_id": performer.site_id,
            "customer_id": s.exec(select(Customer)).first().id,  # type: ignore[union-attr]
            "procedure_id": version_in_force(s, STAFF, "CP-TMP-01", day).id,
            "item_description": "Thermocouple type R",
            "received_on": day,
            "due_on": day,
            "performed_by_id": performer.id,
        }

    def links() -> int:
        with Session(demo_engine) as s:
            return int(s.exec(select(func.count()).select_from(JobInstrument)).one())

    before = links()
    for codes, reason in [
        (["REF-TMP-01", "REF-TMP-02"], "quarantined"),
        (["WRK-HYG-01"], "overdue"),
        (["NO-SUCH-01"], "no lab instrument"),
    ]:
        with pytest.raises(InvalidInputError) as info, session_scope(demo_engine) as s:
            log_job(s, STAFF, instrument_codes=codes, **fields)  # type: ignore[arg-type]
        assert info.value.field == "instrument_codes" and reason in str(info.value)
    assert links() == before
    with session_scope(demo_engine) as s:
        job = log_job(
            s, STAFF, instrument_codes=["REF-TMP-01", " REF-CAL-01 ", "REF-TMP-01"], **fields
        )  # type: ignore[arg-type]
        job_id = int(job.id or 0)
        assert instruments_by_job(s, ASSESSOR, [job_id]) == {job_id: ["REF-CAL-01", "REF-TMP-01"]}
        created = [e for e in _entries(s, "job_instrument") if e.actor == "staff"]
        assert len(created) == 2
        assert verify_audit(s).ok
    with Session(demo_engine) as s:
        listed = lab_instruments(s, ASSESSOR, as_of=day)
    assert ("REF-TMP-02", "Type R working thermocouple", "quarantined") in listed
    assert all(state != "retired" for _, _, state in listed)
