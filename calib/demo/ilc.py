"""Demo proficiency-testing data for ``calib demo`` (registered in ``DEMO_EXTENSIONS``).

Rounds over the last three years for the demo lab's sub-disciplines (DC voltage,
mass, length, temperature, pressure, torque), 8 to 18 participants each, scored with
a reference value, Algorithm A or a weighted mean; one unsatisfactory result of the
lab (thermocouple, 2025) with its nonconformity and a corrective action closed two
months later after an effectiveness verification (a satisfactory follow-up round
IMEKO-TMP-2026 then confirms it); torque PT falls due
within the next months; one DC-voltage round is open for results entry.
Everything goes through :mod:`ilc.service`, so the audit trail stays verifiable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ilc.service import (
    close_round,
    create_round,
    create_scheme,
    create_subdiscipline,
    save_results,
    score_round,
    set_plan_item,
)
from ilc.tabular import ResultRow

if TYPE_CHECKING:
    from sqlmodel import Session

    from calib.demo import DemoContext

__all__ = ["OWN_PARTICIPANT", "seed_demo"]

#: The demo lab's participant code in every round.
OWN_PARTICIPANT = "LAB-07"


@dataclass(frozen=True)
class _Plan:
    sub: str
    code: str
    measurand: str
    unit: str
    days_ago: int
    n: int
    true_value: float
    u_range: tuple[float, float]
    method: str
    sigma_pt: float | None
    own_offset: float  # own deviation in units of its standard uncertainty
    site: int = 0
    status: str = "scored"


_SUBS = [
    ("DCV", "DC voltage", "voltage"),
    ("MAS", "Mass", "mass"),
    ("LEN", "Length (gauge blocks)", "length"),
    ("TMP", "Temperature (thermocouples)", "temperature"),
    ("PRS", "Pressure", "pressure"),
    ("TOR", "Torque", "torque"),
]

_ROUNDS = [
    _Plan("TOR", "DKD-TOR-2023", "Torque 200 N m", "N*m", 1340, 9, 200.02, (0.04, 0.12), "reference", 0.1, 0.4),
    _Plan("DCV", "EURAMET-DCV-2024", "DC voltage 10 V", "V", 960, 12, 10.0000012, (5e-7, 3e-6), "reference", 2e-6, 0.6),
    _Plan("MAS", "PTB-MAS-2024", "Mass 10 kg", "g", 800, 10, 10000.0012, (0.008, 0.03), "reference", 0.02, -0.5),
    _Plan("LEN", "NPL-LEN-2024", "Gauge block 50 mm, central length deviation", "um", 730, 14, 0.142, (0.03, 0.08), "reference", 0.05, 0.3, site=1),
    _Plan("TMP", "IMEKO-TMP-2025", "Thermocouple type R at 1000 degC", "degC", 560, 18, 1000.35, (0.3, 0.9), "robust", 0.5, 11.0),
    _Plan("PRS", "EA-PRS-2025", "Pressure 10 MPa", "MPa", 330, 8, 10.00021, (0.0004, 0.0012), "weighted_mean", 0.001, -0.8, site=1),
    _Plan("DCV", "EURAMET-DCV-2025", "DC voltage 10 V", "V", 300, 15, 10.0000009, (5e-7, 3e-6), "robust", 2e-6, -0.4),
    _Plan("TMP", "IMEKO-TMP-2026", "Thermocouple type R at 1000 degC", "degC", 140, 16, 1000.28, (0.3, 0.9), "robust", 0.5, 0.5),
    _Plan("DCV", "EURAMET-DCV-2026", "DC voltage 10 V", "V", -20, 10, 10.0000015, (5e-7, 3e-6), "reference", 2e-6, 0.2, status="open"),
]  # fmt: skip


def _results(plan: _Plan, rng: np.random.Generator) -> list[ResultRow]:
    rows: list[ResultRow] = []
    low, high = plan.u_range
    for i in range(plan.n):
        name = OWN_PARTICIPANT if i == 3 else f"LAB-{(i * 7 + 11) % 89 + 10:02d}"
        big_u = float(rng.uniform(low, high))
        k = 2.0 if rng.random() < 0.85 else float(rng.choice([1.96, 2.13, 2.45]))
        u = big_u / k
        offset = plan.own_offset * u if name == OWN_PARTICIPANT else float(rng.normal(0.0, u))
        value = float(f"{plan.true_value + offset:.10g}")
        rows.append(
            ResultRow(
                participant=name,
                value=value,
                expanded_uncertainty=float(f"{big_u:.2g}"),
                coverage_factor=k,
                own_lab=name == OWN_PARTICIPANT,
            )
        )
    return rows


def seed_demo(session: Session, context: DemoContext) -> None:
    """Add schemes, the PT plan, nine rounds, their results, scores and actions."""
    from sqlmodel import select

    from calib.audit import audited_update
    from calib.quality import close_corrective_action, close_nonconformity, record_effectiveness
    from calib.records import CorrectiveAction

    actor, as_of = context.actor, context.as_of
    rng = np.random.default_rng((context.seed, 13528))
    schemes = {
        "EURAMET": create_scheme(
            session, actor, provider="EURAMET", name="Supplementary comparisons", website=""
        ),
        "PT": create_scheme(
            session,
            actor,
            provider="Demo PT Provider GmbH",
            name="Calibration PT programme",
            accredited_17043=True,
        ),
    }
    subs = {
        code: create_subdiscipline(session, actor, code=code, name=name, quantity=q)
        for code, name, q in _SUBS
    }
    cycle_start = as_of - dt.timedelta(days=1000)
    site_subs = {0: ("DCV", "MAS", "TMP", "TOR"), 1: ("LEN", "PRS")}
    for index, site_id in enumerate(context.site_ids[:2]):
        for code in site_subs[index]:
            set_plan_item(
                session,
                actor,
                subdiscipline_id=int(subs[code].id or 0),
                site_id=site_id,
                cycle_start=cycle_start,
                cycle_years=4,
                min_rounds=2 if code == "DCV" else 1,
            )
    unsatisfactory_nc: list[tuple[int, dt.date]] = []
    for plan in _ROUNDS:
        closes = as_of - dt.timedelta(days=plan.days_ago)
        true_ref = plan.method == "reference"
        u_ref = plan.u_range[0] / 2
        pt_round = create_round(
            session,
            actor,
            scheme_id=int(schemes["EURAMET" if plan.code.startswith("EURAMET") else "PT"].id or 0),
            code=plan.code,
            measurand=plan.measurand,
            unit=plan.unit,
            opened_on=closes - dt.timedelta(days=75),
            closes_on=closes,
            method=plan.method,
            reference_value=plan.true_value if true_ref else None,
            reference_expanded_uncertainty=float(f"{u_ref:.2g}") if true_ref else None,
            reference_coverage_factor=2.0 if true_ref else None,
            sigma_pt=plan.sigma_pt,
            subdiscipline_id=int(subs[plan.sub].id or 0),
            site_id=context.site_ids[plan.site],
            own_participant=OWN_PARTICIPANT,
            report_on=closes + dt.timedelta(days=45) if plan.status == "scored" else None,
        )
        rows = _results(plan, rng)
        if plan.status == "open":
            rows = rows[: plan.n // 2]
        save_results(
            session,
            actor,
            int(pt_round.id or 0),
            rows,
            now=dt.datetime.combine(closes - dt.timedelta(days=3), dt.time(10), dt.UTC),
        )
        if plan.status == "open":
            continue
        close_round(session, actor, int(pt_round.id or 0))
        outcome = score_round(
            session, actor, int(pt_round.id or 0), as_of=closes + dt.timedelta(days=45)
        )
        scored_on = closes + dt.timedelta(days=45)
        unsatisfactory_nc.extend((int(nc.id or 0), scored_on) for nc in outcome.nonconformities)
    for nc_id, scored_on in unsatisfactory_nc:
        # verified and closed within two months of the score (CA-01 limit: 90 days);
        # the next round of the sub-discipline then confirms it
        verified_on = scored_on + dt.timedelta(days=56)
        for ca in session.exec(
            select(CorrectiveAction).where(CorrectiveAction.nonconformity_id == nc_id)
        ):
            ca_id = int(ca.id or 0)
            audited_update(
                session,
                ca,
                {
                    "root_cause": "Drift of the reference-junction compensation of the "
                    "readout, not detected by the intermediate check.",
                    "actions": "Readout repaired and re-calibrated; intermediate check at "
                    "the silver point added; calibrations since the last satisfactory round "
                    "reviewed (none outside the stated uncertainty).",
                },
                actor,
            )
            record_effectiveness(
                session,
                actor,
                ca_id,
                check="Repaired readout compared with the reference thermocouple at the "
                "silver point: deviation well within its stated uncertainty.",
                verified_on=verified_on,
            )
            close_corrective_action(
                session, actor, ca_id, closed_on=verified_on + dt.timedelta(days=2)
            )
        close_nonconformity(session, actor, nc_id)
