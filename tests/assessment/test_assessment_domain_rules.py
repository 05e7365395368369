"""Rules decided by the other domains' records: a conforming and a nonconforming case each.

Satisfaction (ISO/IEC 17025:2017 7.9, 8.6), ILC (7.7.2; ILAC P9), traceability (6.4,
6.5; ILAC P14) and uncertainty (7.6, 7.8.4.1). Records are written through the audit
trail or the domains' own services; the assessment only reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from calib.assessment.status import RuleContext, evaluate_rule, not_installed
from calib.audit import audited_create, audited_delete
from calib.permissions import Principal
from calib.records import CorrectiveAction, Customer, Job, Nonconformity

ADMIN = Principal("tester", "admin")
AS_OF = dt.date(2026, 6, 30)
DATA = Path(__file__).resolve().parents[1] / "traceability" / "data" / "register_ok.json"


@pytest.fixture
def session(empty_sqlite_session: Session) -> Session:
    """These rules are exercised on SQLite only: an empty migrated database per test."""
    return empty_sqlite_session


@pytest.fixture
def lab(session: Session) -> Any:
    from .test_assessment_rules import Lab1

    return Lab1(session)


def _rule(session: Session, rule: str, as_of: dt.date = AS_OF, **params: object) -> Any:
    return evaluate_rule(RuleContext(session=session, actor=ADMIN, as_of=as_of), rule, params)


def _job(session: Session, lab: Any, received: dt.date) -> Job:
    customer = audited_create(session, Customer(name=f"C{received}"), ADMIN)
    return audited_create(
        session,
        Job(
            site_id=int(lab.site.id or 0),
            customer_id=int(customer.id or 0),
            procedure_id=int(lab.procedure.id or 0),
            item_description="item",
            received_on=received,
            due_on=received + dt.timedelta(days=7),
            delivered_on=received + dt.timedelta(days=5),
            status="released",
        ),
        ADMIN,
    )


def test_not_installed_is_missing_not_an_error() -> None:
    outcome = not_installed("equipment_calibrated_at_use", "traceability.service")
    assert outcome.state == "no_data"
    assert "module not installed" in outcome.messages[0]


# --------------------------------------------------------------------------- satisfaction


def test_complaints_handled(session: Session, lab: Any) -> None:
    """ISO/IEC 17025:2017 7.9: complaints closed within max_days."""
    from calib.audit import audited_update
    from satisfaction.records import Complaint

    assert _rule(session, "complaints_handled", max_days=60).state == "pass"  # none received
    complaint = audited_create(
        session,
        Complaint(
            reference="CMP-1",
            site_id=lab.site.id,
            received_on=dt.date(2026, 3, 1),
            description="late certificate",
        ),
        ADMIN,
    )
    outcome = _rule(session, "complaints_handled", max_days=60)
    assert outcome.state == "fail" and "open for 121 days" in outcome.messages[0]
    audited_update(
        session, complaint, {"status": "closed", "closed_on": dt.date(2026, 4, 1)}, ADMIN
    )
    assert _rule(session, "complaints_handled", max_days=60).state == "pass"


def test_feedback_metrics_for_period(session: Session, lab: Any) -> None:
    """ISO/IEC 17025:2017 8.6.2; IECQ 03-2: quality, timeliness and technical accuracy."""
    from satisfaction.records import FeedbackResponse

    params = {
        "period_months": 12,
        "metrics": ["service_quality", "timeliness", "technical_accuracy"],
    }
    assert _rule(session, "feedback_metrics_for_period", **params).state == "no_data"
    at = dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
    audited_create(
        session,
        FeedbackResponse(job_id=int(lab.job.id or 0), submitted_at=at, quality=5, timeliness=4),
        ADMIN,
    )
    outcome = _rule(session, "feedback_metrics_for_period", **params)
    assert outcome.state == "fail" and "technical_accuracy" in outcome.messages[0]
    other = _job(session, lab, dt.date(2026, 5, 1))
    audited_create(
        session,
        FeedbackResponse(job_id=int(other.id or 0), submitted_at=at, technical_accuracy=5),
        ADMIN,
    )
    assert _rule(session, "feedback_metrics_for_period", **params).state == "pass"


def test_feedback_triggers_acted_on(session: Session, lab: Any) -> None:
    from satisfaction.records import SatisfactionSignal

    assert _rule(session, "feedback_triggers_acted_on").state == "pass"  # nothing fired
    unacted = audited_create(
        session,
        SatisfactionSignal(
            rule="p_chart", chart="dissatisfied", period="2026-05", message="m",
            detected_on=dt.date(2026, 6, 1), detected_by="x",
        ),
        ADMIN,
    )  # fmt: skip
    assert _rule(session, "feedback_triggers_acted_on").state == "fail"
    audited_delete(session, unacted, ADMIN)
    nc = audited_create(
        session,
        Nonconformity(
            reference="NC-9", raised_on=dt.date(2026, 6, 1), raised_by="x", description="d"
        ),
        ADMIN,
    )
    ca = audited_create(
        session,
        CorrectiveAction(
            nonconformity_id=int(nc.id or 0),
            opened_on=dt.date(2026, 6, 1),
            due_on=dt.date(2026, 7, 1),
        ),
        ADMIN,
    )
    audited_create(
        session,
        SatisfactionSignal(
            rule="p_chart", chart="dissatisfied", period="2026-06", message="m",
            detected_on=dt.date(2026, 6, 2), detected_by="x", corrective_action_id=ca.id,
        ),
        ADMIN,
    )  # fmt: skip
    assert _rule(session, "feedback_triggers_acted_on").state == "pass"  # acted on, not overdue
    assert _rule(session, "feedback_triggers_acted_on", dt.date(2026, 7, 15)).state == "fail"


# --------------------------------------------------------------------------- ILC


def _round(session: Session, lab: Any, sub_id: int, closes: dt.date) -> Any:
    from ilc.records import PTResult, PTRound, PTScheme

    scheme = audited_create(session, PTScheme(provider="P", name=f"S{closes}"), ADMIN)
    round_ = audited_create(
        session,
        PTRound(
            scheme_id=int(scheme.id or 0), subdiscipline_id=sub_id, site_id=lab.site.id,
            code=f"R-{closes}", measurand="DC voltage", unit="V",
            opened_on=closes - dt.timedelta(days=30), closes_on=closes, status="scored",
        ),
        ADMIN,
    )  # fmt: skip
    result = audited_create(
        session,
        PTResult(
            round_id=int(round_.id or 0), participant="us", value=10.0, is_own_lab=True,
            entered_by="x", entered_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ),
        ADMIN,
    )  # fmt: skip
    return round_, result


def test_pt_plan_covers_subdisciplines(session: Session, lab: Any) -> None:
    """ILAC P9:01/2024 4.2: one participation per sub-discipline within the cycle."""
    from ilc.records import PTPlanItem, PTSubdiscipline

    assert _rule(session, "pt_plan_covers_subdisciplines", cycle_years=4).state == "no_data"
    sub = audited_create(session, PTSubdiscipline(code="DCV", name="DC voltage"), ADMIN)
    audited_create(
        session,
        PTPlanItem(
            subdiscipline_id=int(sub.id or 0), site_id=int(lab.site.id or 0),
            cycle_start=dt.date(2021, 1, 1), cycle_years=4,
        ),
        ADMIN,
    )  # fmt: skip
    outcome = _rule(session, "pt_plan_covers_subdisciplines", cycle_years=4)
    assert outcome.state == "fail" and "overdue" in outcome.messages[0]
    _round(session, lab, int(sub.id or 0), dt.date(2025, 6, 1))
    assert _rule(session, "pt_plan_covers_subdisciplines", cycle_years=4).state == "pass"


def test_unsatisfactory_pt_actions_closed(session: Session, lab: Any) -> None:
    """ISO/IEC 17025:2017 7.7.3, 8.7: an unsatisfactory own result has a closed action."""
    from ilc.records import PTScore, PTSubdiscipline

    assert _rule(session, "unsatisfactory_pt_actions_closed").state == "no_data"
    sub = audited_create(session, PTSubdiscipline(code="DCV", name="DC voltage"), ADMIN)
    round_, result = _round(session, lab, int(sub.id or 0), dt.date(2026, 2, 1))
    audited_create(
        session,
        PTScore(
            round_id=int(round_.id or 0), result_id=int(result.id or 0), participant="us",
            method="reference", doe_convention="covariance", en_limit=1.0, assigned_value=9.0,
            assigned_standard_uncertainty=0.1, deviation=1.0, en=3.0, en_verdict="unsatisfactory",
            scored_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC), scored_by="x",
        ),
        ADMIN,
    )  # fmt: skip
    outcome = _rule(session, "unsatisfactory_pt_actions_closed")
    assert outcome.state == "fail" and "without nonconformity" in outcome.messages[0]
    nc = audited_create(
        session,
        Nonconformity(
            reference="NC-PT", raised_on=dt.date(2026, 2, 2), raised_by="x", description="PT",
            source_table="pt_result", source_id=str(result.id),
        ),
        ADMIN,
    )  # fmt: skip
    audited_create(
        session,
        CorrectiveAction(
            nonconformity_id=int(nc.id or 0), opened_on=dt.date(2026, 2, 3), status="closed",
            closed_on=dt.date(2026, 3, 1), effectiveness_check="re-measured",
            effectiveness_verified_on=dt.date(2026, 3, 1), effectiveness_verified_by="x",
        ),
        ADMIN,
    )  # fmt: skip
    assert _rule(session, "unsatisfactory_pt_actions_closed").state == "pass"


# --------------------------------------------------------------------------- traceability


def _register(session: Session, lab: Any, change: dict[str, Any]) -> None:
    from calib.trace_store import write_register
    from traceability.schema import parse_register

    data = json.loads(DATA.read_text(encoding="utf-8"))
    for cert in data["certificates"]:
        cert.update(change.get(cert["id"], {}))
    write_register(session, ADMIN, parse_register(data), job_ids={"C-101": int(lab.job.id or 0)})


def test_traceability_rules_conforming_register(session: Session, lab: Any) -> None:
    """ISO/IEC 17025:2017 6.4.7, 6.5; ILAC P14: a clean register passes all three rules."""
    as_of = dt.date(2024, 6, 30)
    assert _rule(session, "traceability_chain_valid", as_of).state == "no_data"
    _register(session, lab, {})
    for rule in (
        "equipment_calibrated_at_use",
        "traceability_chain_valid",
        "reported_u_not_below_cmc",
    ):
        outcome = _rule(session, rule, as_of)
        assert outcome.state == "pass", (rule, outcome.messages)


def test_traceability_rules_expired_reference_and_u_below_cmc(session: Session, lab: Any) -> None:
    """A reference used after its due date; a reported U below the issuer's CMC."""
    as_of = dt.date(2025, 6, 30)
    change = {
        "C-101": {
            "calibrated_on": "2025-02-01",
            "due": "2026-02-01",
            "points": [
                {"quantity": "DC voltage", "value": 10, "unit": "V", "expanded_uncertainty": 1e-5,
                 "coverage_factor": 2, "tolerance": None, "as_found_error": None}
            ],
        }
    }  # fmt: skip
    _register(session, lab, change)
    equipment = _rule(session, "equipment_calibrated_at_use", as_of)
    assert equipment.state == "fail" and "C-101" in equipment.messages[0]
    assert _rule(session, "traceability_chain_valid", as_of).state == "fail"
    below = _rule(session, "reported_u_not_below_cmc", as_of)
    assert below.state == "fail" and "C-101" in below.messages[0]


# --------------------------------------------------------------------------- uncertainty


def test_budget_rules(session: Session, lab: Any) -> None:
    """ISO/IEC 17025:2017 7.6.1, 7.8.4.1 a: an approved budget for each procedure in use."""
    from uncertainty.records import UncertaintyBudget

    outcome = _rule(session, "approved_budget_per_procedure")
    assert outcome.state == "fail" and "P-1: no approved uncertainty budget" in outcome.messages[0]
    assert _rule(session, "reports_state_uncertainty").state == "fail"
    audited_create(
        session,
        UncertaintyBudget(
            procedure_id=int(lab.procedure.id or 0), name="P-1 budget", document="{}",
            status="approved", approved_by="m", approved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ),
        ADMIN,
    )  # fmt: skip
    assert _rule(session, "approved_budget_per_procedure").state == "pass"
    assert _rule(session, "reports_state_uncertainty").state == "pass"
