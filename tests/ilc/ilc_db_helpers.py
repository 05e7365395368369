"""Database helpers shared by the ILC service, import and history tests."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from calib.audit import audited_create
from calib.permissions import Principal
from calib.records import Lab, Site
from ilc.records import PTRound
from ilc.service import create_round, create_scheme
from ilc.tabular import ResultRow

ADMIN = Principal("admin-test", "admin")
MANAGER = Principal("manager-test", "manager")
STAFF = Principal("staff-test", "staff")
ASSESSOR = Principal("assessor-test", "assessor")
AS_OF = dt.date(2026, 11, 23)

#: ISO 13528:2022 E.4 (mercury in animal feed, mg/kg): results with U and k as reported.
MERCURY = [
    ResultRow("L04", 0.013, 0.003, 2.0, own_lab=True),
    ResultRow("L23", 0.0135, 0.00108, 1.732),
    ResultRow("L12", 0.0239, 0.0036, 2.0),
    ResultRow("L03", 0.037, 0.013, 2.0),
    ResultRow("L01", 0.053, 0.007, 2.0),
]


def lab_site(session: Session) -> int:
    lab = audited_create(session, Lab(name="Test lab"), ADMIN)
    site = audited_create(
        session, Site(lab_id=int(lab.id or 0), code="MAIN", name="Main", is_master=True), ADMIN
    )
    return int(site.id or 0)


def mercury_round(session: Session, site_id: int, code: str = "E4-2022") -> PTRound:
    scheme = create_scheme(session, ADMIN, provider="ISO 13528", name="Annex E")
    return create_round(
        session,
        STAFF,
        scheme_id=int(scheme.id or 0),
        code=code,
        measurand="Mercury in animal feed",
        unit="mg/kg",
        opened_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 2, 1),
        method="reference",
        reference_value=0.044,
        reference_expanded_uncertainty=0.0082,
        reference_coverage_factor=2.0,
        sigma_pt=0.0066,
        site_id=site_id,
    )
