"""Lab records round-trip on SQLite and PostgreSQL through the audited path."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import select

from calib.audit import audited_create, verify_audit
from calib.db import session_scope
from calib.records import (
    Authorisation,
    CorrectiveAction,
    Customer,
    Job,
    Lab,
    Nonconformity,
    Person,
    Procedure,
    Qualification,
    Site,
    Training,
)

D = dt.date(2025, 3, 14)


def test_records_round_trip(engine: Engine) -> None:
    with session_scope(engine) as s:
        lab = audited_create(s, Lab(name="Lab", accreditation_number="A-1"), "t")
        site = audited_create(
            s,
            Site(
                lab_id=lab.id or 0,
                code="M",
                name="Main",
                is_master=True,
                street="1 Way",
                city="Lyon",
                postcode="69007",
                country="FR",
            ),
            "t",
        )
        person = audited_create(
            s, Person(site_id=site.id or 0, name="Ada", email="ada@x.example"), "t"
        )
        audited_create(s, Training(person_id=person.id or 0, title="GUM", completed_on=D), "t")
        audited_create(s, Qualification(person_id=person.id or 0, title="MSc", awarded_on=D), "t")
        proc = audited_create(
            s, Procedure(code="P", title="Gauge blocks", status="approved", effective_from=D), "t"
        )
        audited_create(
            s,
            Authorisation(
                person_id=person.id or 0,
                procedure_id=proc.id or 0,
                valid_from=D,
                valid_until=D + dt.timedelta(days=365),
            ),
            "t",
        )
        cust = audited_create(s, Customer(name="Ünïcode GmbH", country="DE"), "t")
        audited_create(
            s,
            Job(
                site_id=site.id or 0,
                customer_id=cust.id or 0,
                procedure_id=proc.id or 0,
                item_description="GB set",
                received_on=D,
                due_on=D + dt.timedelta(days=10),
                delivered_on=D + dt.timedelta(days=9),
                certificate_number="C-1",
                performed_by_id=person.id,
                status="released",
            ),
            "t",
        )
        nc = audited_create(
            s,
            Nonconformity(
                reference="NC-1",
                raised_on=D,
                raised_by="t",
                description="late",
                source_table="job",
                source_id="1",
            ),
            "t",
        )
        audited_create(
            s, CorrectiveAction(nonconformity_id=nc.id or 0, opened_on=D, root_cause="rc"), "t"
        )
    with session_scope(engine) as s:
        job = s.exec(select(Job)).one()
        assert job.received_on == D
        assert job.delivered_on == D + dt.timedelta(days=9)
        assert job.status == "released"
        assert s.exec(select(Customer)).one().name == "Ünïcode GmbH"
        site_row = s.exec(select(Site)).one()
        assert site_row.is_master is True and site_row.postcode == "69007"
        assert s.exec(select(Authorisation)).one().valid_until == D + dt.timedelta(days=365)
        assert s.exec(select(Nonconformity)).one().source_table == "job"
        report = verify_audit(s)
        assert report.ok, report.problems
        assert report.entries == 11
