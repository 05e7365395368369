"""Scope lines, site scopes and certificates set up through the services (SQLite, PostgreSQL).

Rules: IECQ 03-1:2023 5.2, 8.1.4, Annex D (the multisite scope rules quoted in
``calib/assessment/scopes.py``); ISO/IEC 17025:2017 7.8.4.1 a) (an uncertainty is
stated in the measurand's unit or relative to it); certificates valid 3 years
(IECQ FAQ).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlmodel import Session, func, select

from calib.assessment.certification import (
    add_scope_line,
    assign_scope_line,
    issue_certificate,
    list_scope_lines,
    retire_scope_line,
    scope_state,
    unassign_scope_line,
)
from calib.assessment.records import ScopeCertificate, ScopeLineRecord, SiteScopeLine
from calib.audit import audited_create, verify_audit
from calib.permissions import Principal
from calib.records import AuditEntry, Lab, Procedure, Site
from uncertainty.errors import ConflictError, InvalidInputError, PermissionDeniedError

MANAGER = Principal("manager", "manager")
STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")


def _lab(session: Session) -> tuple[int, int, int]:
    """Head office, a second site and a procedure; their ids."""
    lab = audited_create(session, Lab(name="L"), MANAGER)
    head = audited_create(
        session, Site(lab_id=int(lab.id or 0), code="HQ", name="Head", is_master=True), MANAGER
    )
    other = audited_create(session, Site(lab_id=int(lab.id or 0), code="S2", name="S2"), MANAGER)
    proc = audited_create(session, Procedure(code="P-1", title="p", status="approved"), MANAGER)
    return int(head.id or 0), int(other.id or 0), int(proc.id or 0)


def _line(session: Session, proc: int | None, **changes: object) -> ScopeLineRecord:
    fields: dict[str, object] = {
        "code": "SL-1", "measurand": "DC voltage", "range_min": 0.0, "range_max": 10.0,
        "unit": "V", "cmc_value": 2.0, "cmc_unit": "µV/V", "procedure_id": proc,
    }  # fmt: skip
    fields.update(changes)
    return add_scope_line(session, MANAGER, **fields)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_scope_line_is_validated_field_by_field_and_nothing_is_stored(session: Session) -> None:
    _, _, proc = _lab(session)
    line = _line(session, proc)
    assert line.cmc == "2 µV/V" and line.active
    temperature = _line(
        session, proc, code="SL-T", measurand="Temperature", range_min=-40.0,
        range_max=150.0, unit="degC", cmc_value=0.3, cmc_unit="K",
    )  # fmt: skip
    assert temperature.cmc == "0.3 K"  # a temperature difference: compatible with degC
    _line(session, proc, code="SL-M", measurand="Mass", unit="kg", cmc_unit="mg")
    stored = _count(session, ScopeLineRecord)
    cases: list[tuple[dict[str, object], str]] = [
        ({"code": " "}, "code"),
        ({"code": "SL-1", "measurand": "Other"}, "code"),
        ({"code": "SL-2", "measurand": ""}, "measurand"),
        ({"code": "SL-2", "range_min": 10.0, "range_max": 10.0}, "range_min"),
        ({"code": "SL-2", "range_min": 12.0}, "range_min"),
        ({"code": "SL-2", "range_max": None}, "range_max"),
        ({"code": "SL-2", "range_min": float("nan")}, "range_min"),
        ({"code": "SL-2", "unit": ""}, "unit"),
        ({"code": "SL-2", "unit": "volts-ish"}, "unit"),
        ({"code": "SL-2", "cmc_value": 0.0}, "cmc_value"),
        ({"code": "SL-2", "cmc_value": -1.0}, "cmc_value"),
        ({"code": "SL-2", "cmc_unit": ""}, "cmc_unit"),
        ({"code": "SL-2", "cmc_unit": "kg"}, "cmc_unit"),  # mass for a voltage
        ({"code": "SL-2", "cmc_unit": "A"}, "cmc_unit"),
        ({"code": "SL-2", "procedure_id": None}, "procedure_id"),
        ({"code": "SL-2", "procedure_id": 9999}, "procedure_id"),
        ({"code": "SL-2"}, "measurand"),  # same wording as SL-1
    ]
    for changes, field in cases:
        with pytest.raises(InvalidInputError) as info:
            _line(session, proc, **changes)
        assert info.value.field == field, (changes, info.value)
    assert _count(session, ScopeLineRecord) == stored


def test_only_managers_set_up_scopes(session: Session) -> None:
    head, _, proc = _lab(session)
    line = _line(session, proc)
    lid = int(line.id or 0)
    for who in (STAFF, ASSESSOR):
        calls: list[Callable[[], object]] = [
            lambda: add_scope_line(
                session, who, code="X", measurand="X", range_min=0, range_max=1, unit="V",
                cmc_value=1, cmc_unit="V", procedure_id=proc,
            ),
            lambda: assign_scope_line(session, who, site_id=head, scope_line_id=lid),
            lambda: retire_scope_line(session, who, lid),
            lambda: issue_certificate(
                session, who, number="C", site_id=head, kind="master", issued_on=dt.date(2025, 1, 1)
            ),
        ]  # fmt: skip
        for call in calls:
            with pytest.raises(PermissionDeniedError):
                call()
    assert [r.code for r in list_scope_lines(session, ASSESSOR)] == ["SL-1"]  # read is fine


def test_site_scopes_certificates_and_consistency(session: Session) -> None:
    """IECQ 03-1:2023 5.2 and Annex D: master at the head office, sites cite it."""
    head, other, proc = _lab(session)
    volt = _line(session, proc)
    mass = _line(session, proc, code="SL-M", measurand="Mass", unit="kg", cmc_unit="mg/kg")
    vid, mid = int(volt.id or 0), int(mass.id or 0)
    assign_scope_line(session, MANAGER, site_id=head, scope_line_id=vid)
    for kwargs, field in (
        ({"site_id": head, "scope_line_id": vid}, "scope_line_id"),  # already there
        ({"site_id": 9999, "scope_line_id": vid}, "site_id"),
        ({"site_id": other, "scope_line_id": 9999}, "scope_line_id"),
    ):
        with pytest.raises(InvalidInputError) as info:
            assign_scope_line(session, MANAGER, **kwargs)
        assert info.value.field == field
    with pytest.raises(InvalidInputError) as info:
        unassign_scope_line(session, MANAGER, site_id=other, scope_line_id=vid)
    assert info.value.field == "scope_line_id"

    def issue(**kwargs: object) -> ScopeCertificate:
        fields: dict[str, object] = {"number": "M-1", "site_id": head, "kind": "master"}
        fields.update({"issued_on": dt.date(2025, 1, 1), **kwargs})
        return issue_certificate(session, MANAGER, **fields)  # type: ignore[arg-type]

    for kwargs, field in (
        ({"number": " "}, "number"),
        ({"kind": "branch"}, "kind"),
        ({"site_id": other}, "site_id"),  # the master goes to the head office
        ({"site_id": 9999}, "site_id"),
        ({"master_certificate_id": 1}, "master_certificate_id"),
        ({"validity_years": 0}, "validity_years"),
    ):
        with pytest.raises(InvalidInputError) as info:
            issue(**kwargs)
        assert info.value.field == field, kwargs
    master = issue()
    assert master.valid_until == dt.date(2027, 12, 31)  # 3 years, IECQ FAQ
    mid_cert = int(master.id or 0)
    site_kwargs: dict[str, object] = {
        "number": "M-1-01", "site_id": other, "kind": "site", "master_certificate_id": mid_cert,
    }  # fmt: skip
    for changes, field in (
        (
            {"number": "M-2", "kind": "master", "site_id": head, "master_certificate_id": None},
            "kind",
        ),
        (  # issued earlier, it would still be valid while M-1 is
            {
                "number": "M-0",
                "kind": "master",
                "site_id": head,
                "master_certificate_id": None,
                "issued_on": dt.date(2024, 6, 1),
            },
            "kind",
        ),
        ({"number": "M-1"}, "number"),
        ({"master_certificate_id": None}, "master_certificate_id"),
        ({"site_id": head}, "site_id"),  # the head office holds the master
        ({"issued_on": dt.date(2024, 12, 31)}, "issued_on"),
        ({}, "site_id"),  # site S2 has no scope lines yet
    ):
        with pytest.raises(InvalidInputError) as info:
            issue(**{**site_kwargs, **changes})
        assert info.value.field == field, changes
    assign_scope_line(session, MANAGER, site_id=other, scope_line_id=mid)
    site_cert = issue(**{**site_kwargs, "issued_on": dt.date(2026, 6, 1)})
    assert site_cert.valid_until == master.valid_until  # expires with the master
    with pytest.raises(InvalidInputError) as info:
        issue(**{**site_kwargs, "number": "M-1-02"})
    assert info.value.field == "site_id"
    state = scope_state(session, ASSESSOR)
    assert state.report.ok, state.report.issues
    rendered = {r.certificate_id: r for r in state.rendered}
    assert rendered["M-1-01"].master_id == "M-1"
    assert rendered["M-1-01"].at_this_location == (
        "Mass, 0 kg to 10 kg, CMC 2 mg/kg (procedure P-1)",
    )
    assert len(rendered["M-1"].scope_of_certification) == 2  # the union of the site scopes

    # Retiring a line takes it out of every scope; the master line then covers one site.
    retire_scope_line(session, MANAGER, mid)
    assert _count(session, SiteScopeLine) == 1
    state = scope_state(session, ASSESSOR)
    assert [line.id for line in state.lines] == ["SL-1"]
    after = {r.certificate_id: r for r in state.rendered}
    assert after["M-1-01"].at_this_location == () and state.site_scopes["S2"] == []
    with pytest.raises(ConflictError):
        retire_scope_line(session, MANAGER, mid)
    with pytest.raises(InvalidInputError) as info:
        assign_scope_line(session, MANAGER, site_id=other, scope_line_id=mid)
    assert info.value.field == "scope_line_id"
    session.flush()
    assert verify_audit(session).ok
    actions = {
        (e.table_name, e.action)
        for e in session.exec(select(AuditEntry).where(AuditEntry.actor == "manager"))
    }
    assert {
        ("scope_line", "create"),
        ("scope_line", "update"),
        ("site_scope_line", "create"),
        ("site_scope_line", "delete"),
        ("scope_certificate", "create"),
    } <= actions
