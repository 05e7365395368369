"""Certificates judged as of the report date: a recertification is not two masters.

IECQ 03-1:2023 Annex D allows one master certificate at a time; certificates are valid
for 3 years (IECQ FAQ "Multisite certification"). After a recertification the expired
master is history, not a second master; two masters valid on the same day are still
SEVERAL_MASTERS. Engine (calib.assessment.scopes) and stored records
(calib.assessment.certification.scope_state, SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from calib.assessment.certification import (
    add_scope_line,
    assign_scope_line,
    issue_certificate,
    scope_state,
)
from calib.assessment.records import ScopeCertificate
from calib.assessment.scopes import Certificate, ScopeLine, Site, consistency_report
from calib.audit import audited_create
from calib.permissions import Principal
from calib.records import Lab, Procedure
from calib.records import Site as SiteRecord

MANAGER = Principal("manager", "manager")
D = dt.date

LINES = [ScopeLine("L1", "DC voltage", 0, 10, "V", "2 µV/V", "P-1")]
SITES = [Site("HQ", "Head", is_head_office=True), Site("S2", "Second")]


def _master(number: str, start: dt.date, end: dt.date) -> Certificate:
    return Certificate(number, "HQ", "master", ("L1",), ("L1",), None, start, end)


def _site(number: str, master: str, start: dt.date, end: dt.date) -> Certificate:
    return Certificate(number, "S2", "site", ("L1",), ("L1",), master, start, end)


RECERTIFIED = [
    _master("M-2020", D(2020, 1, 1), D(2022, 12, 31)),
    _site("S-2020", "M-2020", D(2020, 2, 1), D(2022, 12, 31)),
    _master("M-2023", D(2023, 1, 1), D(2025, 12, 31)),
    _site("S-2023", "M-2023", D(2023, 2, 1), D(2025, 12, 31)),
]


def test_recertification_expired_master_is_history_not_a_second_master() -> None:
    report = consistency_report(LINES, SITES, RECERTIFIED, as_of=D(2024, 6, 1))
    assert report.ok, report.issues
    assert report.history == ("M-2020", "S-2020")
    # Judging every certificate regardless of date is what flagged the recertified lab.
    assert "SEVERAL_MASTERS" in consistency_report(LINES, SITES, RECERTIFIED).codes()


def test_two_overlapping_valid_masters_are_still_flagged() -> None:
    overlapping = [
        _master("M-A", D(2023, 1, 1), D(2025, 12, 31)),
        _master("M-B", D(2024, 1, 1), D(2026, 12, 31)),
        _site("S-A", "M-A", D(2023, 2, 1), D(2025, 12, 31)),
    ]
    report = consistency_report(LINES, SITES, overlapping, as_of=D(2024, 6, 1))
    several = [i for i in report.issues if i.code == "SEVERAL_MASTERS"]
    assert [i.ids for i in several] == [("M-A", "M-B")]
    assert report.history == ()


def test_validity_bounds_are_inclusive_and_before_issue_there_is_no_master() -> None:
    cert = _master("M", D(2023, 1, 1), D(2025, 12, 31))
    assert (cert.valid_on(D(2023, 1, 1)), cert.valid_on(D(2025, 12, 31))) == (True, True)
    assert (cert.valid_on(D(2022, 12, 31)), cert.valid_on(D(2026, 1, 1))) == (False, False)
    # On the last day of the old cycle the old master and its site certificate are judged.
    last_day = consistency_report(LINES, SITES, RECERTIFIED, as_of=D(2022, 12, 31))
    assert last_day.ok and last_day.history == ("M-2023", "S-2023")
    before = consistency_report(LINES, SITES, RECERTIFIED, as_of=D(2019, 6, 1))
    assert before.codes() == {"NO_MASTER"}
    assert "valid on 2019-06-01" in before.issues[0].message
    assert before.history == ("M-2020", "S-2020", "M-2023", "S-2023")


def _stored_lab(session: Session) -> tuple[int, int]:
    lab = audited_create(session, Lab(name="L"), MANAGER)
    head = audited_create(
        session,
        SiteRecord(lab_id=int(lab.id or 0), code="HQ", name="Head", is_master=True),
        MANAGER,
    )
    other = audited_create(
        session, SiteRecord(lab_id=int(lab.id or 0), code="S2", name="Second"), MANAGER
    )
    proc = audited_create(session, Procedure(code="P-1", title="p", status="approved"), MANAGER)
    line = add_scope_line(
        session, MANAGER, code="SL-1", measurand="DC voltage", range_min=0.0, range_max=10.0,
        unit="V", cmc_value=2.0, cmc_unit="µV/V", procedure_id=int(proc.id or 0),
    )  # fmt: skip
    for site in (head, other):
        assign_scope_line(
            session, MANAGER, site_id=int(site.id or 0), scope_line_id=int(line.id or 0)
        )
    return int(head.id or 0), int(other.id or 0)


def _issue(session: Session, number: str, site: int, on: dt.date, master: int | None) -> int:
    cert = issue_certificate(
        session, MANAGER, number=number, site_id=site, issued_on=on,
        kind="master" if master is None else "site", master_certificate_id=master,
    )  # fmt: skip
    return int(cert.id or 0)


def test_stored_recertification_judged_on_the_report_date(session: Session) -> None:
    head, other = _stored_lab(session)
    old = _issue(session, "M-2020", head, D(2020, 1, 1), None)  # valid to 2022-12-31
    _issue(session, "S-2020", other, D(2020, 2, 1), old)
    new = _issue(session, "M-2023", head, D(2023, 1, 1), None)
    _issue(session, "S-2023", other, D(2023, 2, 1), new)
    state = scope_state(session, MANAGER, as_of=D(2024, 6, 1))
    assert state.report.ok, state.report.issues
    assert state.report.history == ("M-2020", "S-2020")
    assert [r.certificate_id for r in state.rendered] == ["M-2020", "S-2020", "M-2023", "S-2023"]
    earlier = scope_state(session, MANAGER, as_of=D(2021, 6, 1))
    assert earlier.report.ok and earlier.report.history == ("M-2023", "S-2023")
    lapsed = scope_state(session, MANAGER, as_of=D(2026, 6, 1))
    assert {"NO_MASTER"} <= lapsed.report.codes()


def test_stored_overlapping_masters_are_still_several(session: Session) -> None:
    head, other = _stored_lab(session)
    first = _issue(session, "M-A", head, D(2023, 1, 1), None)
    _issue(session, "S-A", other, D(2023, 2, 1), first)
    # The service refuses an overlapping master; a record written around it is still caught.
    audited_create(
        session,
        ScopeCertificate(
            number="M-B", site_id=head, kind="master",
            issued_on=D(2024, 1, 1), valid_until=D(2026, 12, 31),
        ),
        MANAGER,
    )  # fmt: skip
    report = scope_state(session, MANAGER, as_of=D(2024, 6, 1)).report
    assert "SEVERAL_MASTERS" in report.codes()
    assert report.history == ()
