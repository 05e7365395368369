"""The Scopes page judges the certificates valid on its report date; the others are history.

A recertified lab (IECQ 03-1:2023 Annex D: one master at a time; 3-year validity, IECQ FAQ
"Multisite certification") shows the expired master under History, and the consistency
report raises no SEVERAL_MASTERS. The engine side is in test_assessment_scope_history.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from calib.assessment.certification import issue_certificate
from calib.assessment.records import ScopeCertificate
from calib.db import make_engine
from calib.permissions import Principal

MANAGER = Principal("manager", "manager")


def _recertify(demo_url: str) -> None:
    """Give the demo lab the master and site certificates of its previous cycle."""
    engine = make_engine(demo_url)
    with Session(engine) as session:
        current = {c.number: c for c in session.exec(select(ScopeCertificate))}
        master, site = current["IECQ-DEMO-0001"], current["IECQ-DEMO-0001-01"]
        start = master.issued_on.replace(year=master.issued_on.year - 3)
        old = issue_certificate(
            session, MANAGER, number="IECQ-OLD-0001", site_id=master.site_id, kind="master",
            issued_on=start,
        )  # fmt: skip
        assert old.valid_until == master.issued_on - dt.timedelta(days=1)  # no overlap
        issue_certificate(
            session, MANAGER, number="IECQ-OLD-0001-01", site_id=site.site_id, kind="site",
            issued_on=start, master_certificate_id=old.id,
        )  # fmt: skip
        session.commit()
    engine.dispose()


def _history(at: AppTest) -> Any:
    return next(f.value for f in at.dataframe if "Status" in f.value.columns)


def _report_codes(at: AppTest) -> set[str]:
    issues = [f.value for f in at.dataframe if "Clause" in f.value.columns]
    return set(issues[0]["Code"]) if issues else set()


def test_recertification_shows_the_old_master_as_history(
    signed_in_app: Callable[..., AppTest], demo_url: str
) -> None:
    _recertify(demo_url)
    at = signed_in_app("assessor", "assessment_scopes")
    at.date_input(key="scopes_as_of").set_value(dt.date(2026, 11, 23)).run()
    assert not at.exception, at.exception
    history = _history(at)
    assert list(history["Certificate"]) == ["IECQ-OLD-0001", "IECQ-OLD-0001-01"]
    old_end = dt.date(2025, 9, 23)  # the demo master is issued 425 days before 2026-11-23
    assert set(history["Status"]) == {f"expired on {old_end}"}
    assert list(history["Cites"]) == ["", "IECQ-OLD-0001"]
    labels = [e.label for e in at.expander]
    assert any(label.startswith("History: 2 certificate(s)") for label in labels), labels
    current = [label for label in labels if "certificate IECQ-" in label]
    assert len(current) == 2 and all("IECQ-OLD" not in label for label in current), current
    assert any("valid until 2028-09-23" in label for label in current), current
    assert _report_codes(at) == set()
    assert any(s.value.startswith("Consistent") for s in at.success)
    # Back in the old cycle the old certificates are judged and the new ones are history.
    at.date_input(key="scopes_as_of").set_value(dt.date(2024, 6, 1)).run()
    assert not at.exception, at.exception
    history = _history(at)
    assert list(history["Certificate"]) == ["IECQ-DEMO-0001", "IECQ-DEMO-0001-01"]
    assert set(history["Status"]) == {"valid from 2025-09-24"}
    assert "SEVERAL_MASTERS" not in _report_codes(at)
