"""Demo uncertainty budgets for the demo lab's procedures (``calib demo``).

Registered in ``calib.demo.DEMO_EXTENSIONS`` as ``"calib.demo.uncertainty:seed_demo"``.
Budgets (each the budget document of CONTRACTS.md section 1, with its CMC line):

* CP-LEN-01 gauge block by comparison: the end gauge of JCGM 100:2008 H.1 at p = 95.45 %
  (approved);
* CP-MAS-01 10 kg weight: EA-4/02 M:2022 S2 (approved, with one Monte Carlo evaluation);
* CP-ELE-01 DMM at 10 V DC, after the model of EA-4/02 M:2022 S5 (approved);
* CP-TMP-01 type R thermocouple at 1000 degC by comparison (submitted, waiting for review);
* CP-PRS-01 dial pressure gauge at 10 MPa: version 1 approved; version 2 is a draft that
  leaves out the hysteresis contribution, so its U falls below the claimed CMC (the
  mistake an assessor should catch).

CP-TOR-01 (torque wrench) has no budget: the coverage query reports it as missing.
All writes go through :mod:`uncertainty.service` (audited). Evaluations are GUF only,
except one small Monte Carlo run (M = 20 000, seed 17025) so the histogram has data.
"""

from __future__ import annotations

import copy
from typing import Any

from calib.permissions import Principal
from uncertainty.service import (
    CmcLine,
    add_comment,
    approve_budget,
    create_budget,
    evaluate_stored_budget,
    revise_budget,
    submit_budget,
    update_draft,
)

__all__ = ["DEMO_BUDGETS", "seed_demo"]

_STAFF = Principal("staff", "staff")
_MANAGER = Principal("manager", "manager")
_ASSESSOR = Principal("assessor", "assessor")

_GAUGE: dict[str, Any] = {
    "name": "Gauge block 50 mm by comparison (JCGM 100:2008 H.1)",
    "description": "End gauge calibrated against a standard of the same nominal length; "
    "data of JCGM 100:2008 Annex H.1, reported at p = 95.45 %.",
    "model": [
        "d = d_bar + d1 + d2",
        "theta = theta_bar + Delta",
        "l = l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta)",
    ],
    "outputs": {"l": {"unit": "nm"}},
    "inputs": {
        "l_s": {
            "value": 50000623,
            "unit": "nm",
            "expanded_uncertainty": 75,
            "coverage_factor": 3,
            "dof": 18,
            "description": "calibration of the standard (certificate U = 0.075 um, k = 3)",
        },
        "d_bar": {
            "value": 215,
            "unit": "nm",
            "standard_uncertainty": 5.8,
            "dof": 24,
            "description": "mean of 5 comparisons, pooled s = 13 nm",
        },
        "d1": {
            "value": 0,
            "unit": "nm",
            "expanded_uncertainty": 10,
            "coverage_probability": 0.95,
            "dof": 5,
            "description": "random effects of the comparator",
        },
        "d2": {
            "value": 0,
            "unit": "nm",
            "expanded_uncertainty": 20,
            "coverage_factor": 3,
            "dof": 8,
            "description": "systematic effects of the comparator",
        },
        "alpha_s": {
            "value": 11.5e-6,
            "unit": "1/K",
            "distribution": "rectangular",
            "half_width": 2e-6,
            "description": "expansion coefficient of the standard",
        },
        "theta_bar": {
            "value": -0.1,
            "unit": "K",
            "standard_uncertainty": 0.2,
            "description": "mean deviation of the bench from 20 degC",
        },
        "Delta": {
            "value": 0,
            "unit": "K",
            "distribution": "arcsine",
            "half_width": 0.5,
            "description": "cyclic variation of the room temperature",
        },
        "delta_alpha": {
            "value": 0,
            "unit": "1/K",
            "distribution": "rectangular",
            "half_width": 1e-6,
            "dof": 50,
            "description": "difference of expansion coefficients",
        },
        "delta_theta": {
            "value": 0,
            "unit": "K",
            "distribution": "rectangular",
            "half_width": 0.05,
            "dof": 2,
            "description": "temperature difference standard - gauge",
        },
    },
}

_WEIGHT: dict[str, Any] = {
    "name": "Weight 10 kg, class F1 (EA-4/02 M:2022 S2)",
    "description": "Substitution weighing against an F1 reference standard; EA-4/02 S2.",
    "model": "m_X = m_S + dm_D + dm + dm_C + dB",
    "outputs": {"m_X": {"unit": "g"}},
    "inputs": {
        "m_S": {
            "value": 10000.005,
            "unit": "g",
            "expanded_uncertainty": 0.045,
            "coverage_factor": 2,
            "description": "reference standard, U = 45 mg (k = 2)",
        },
        "dm_D": {
            "value": 0,
            "unit": "mg",
            "distribution": "rectangular",
            "half_width": 15,
            "description": "drift of the standard since its calibration",
        },
        "dm": {
            "value": 20,
            "unit": "mg",
            "standard_uncertainty": 14.43,
            "description": "observed difference, mean of 3, pooled s = 25 mg",
        },
        "dm_C": {
            "value": 0,
            "unit": "mg",
            "distribution": "rectangular",
            "half_width": 10,
            "description": "eccentricity and magnetic effects",
        },
        "dB": {
            "value": 0,
            "unit": "mg",
            "distribution": "rectangular",
            "half_width": 10,
            "description": "air buoyancy",
        },
    },
}

_DMM: dict[str, Any] = {
    "name": "DMM 6.5 digit at 10 V DC",
    "description": "Error of indication against a multifunction calibrator; model of "
    "EA-4/02 M:2022 S5 (E_X = V_iX - V_S + dV_iX - dV_S), lab data at 10 V.",
    "model": "E_X = V_iX - V_S + dV_iX - dV_S",
    "outputs": {"E_X": {"unit": "uV"}},
    "inputs": {
        "V_iX": {
            "unit": "V",
            "observations": [
                10.00011,
                10.00012,
                10.00013,
                10.00012,
                10.00012,
                10.00011,
                10.00013,
                10.00012,
                10.00012,
                10.00012,
            ],
            "description": "indication of the DMM, 10 readings",
        },
        "V_S": {
            "value": 10.0,
            "unit": "V",
            "expanded_uncertainty": 20e-6,
            "coverage_factor": 2,
            "description": "calibrator output, certificate",
        },
        "dV_S": {
            "value": 0,
            "unit": "uV",
            "distribution": "rectangular",
            "half_width": 30,
            "description": "calibrator drift and temperature (1-year specification)",
        },
        "dV_iX": {
            "value": 0,
            "unit": "uV",
            "distribution": "rectangular",
            "half_width": 5,
            "description": "resolution of the DMM (10 uV digit)",
        },
    },
}

_THERMOCOUPLE: dict[str, Any] = {
    "name": "Type R thermocouple at 1000 degC by comparison",
    "description": "Comparison with a reference thermocouple in a tube furnace; the "
    "deviation of the EMF from the IEC 60584-1 value is turned into temperature.",
    "model": "t_X = t_S + dt_S + dt_F + (V_X + dV_X - V_R) / C_X",
    "outputs": {"t_X": {"unit": "degC"}},
    "inputs": {
        "t_S": {
            "value": 1000.5,
            "unit": "degC",
            "expanded_uncertainty": 0.3,
            "coverage_factor": 2,
            "description": "reference thermocouple, certificate",
        },
        "dt_S": {
            "value": 0,
            "unit": "K",
            "distribution": "rectangular",
            "half_width": 0.1,
            "description": "drift of the reference since its calibration",
        },
        "dt_F": {
            "value": 0,
            "unit": "K",
            "distribution": "rectangular",
            "half_width": 0.3,
            "description": "temperature non-uniformity of the furnace",
        },
        "V_X": {
            "unit": "uV",
            "observations": [10512.1, 10511.8, 10512.4, 10512.0, 10511.9],
            "description": "EMF of the thermocouple, 5 readings",
        },
        "dV_X": {
            "value": 0,
            "unit": "uV",
            "distribution": "rectangular",
            "half_width": 2,
            "description": "voltmeter and reference junction",
        },
        "C_X": {
            "value": 13.6,
            "unit": "uV/K",
            "distribution": "rectangular",
            "half_width": 0.2,
            "description": "Seebeck coefficient at 1000 degC",
        },
    },
    "constants": {
        "V_R": {
            "value": 10506,
            "unit": "uV",
            "description": "IEC 60584-1 EMF of type R at 1000 degC",
        }
    },
}

_PRESSURE: dict[str, Any] = {
    "name": "Dial pressure gauge at 10 MPa",
    "description": "Error of indication against a pressure balance (increasing and "
    "decreasing pressure).",
    "model": "e = p_i + dp_res - p_S - dp_h",
    "outputs": {"e": {"unit": "kPa"}},
    "inputs": {
        "p_i": {
            "unit": "MPa",
            "observations": [10.01, 10.015, 10.01, 10.005, 10.01],
            "description": "indication, 5 readings",
        },
        "dp_res": {
            "value": 0,
            "unit": "MPa",
            "distribution": "rectangular",
            "half_width": 0.005,
            "description": "reading resolution (1/5 division)",
        },
        "p_S": {
            "value": 10.0003,
            "unit": "MPa",
            "expanded_uncertainty": 0.0008,
            "coverage_factor": 2,
            "description": "pressure balance, certificate",
        },
        "dp_h": {
            "value": 0,
            "unit": "kPa",
            "distribution": "rectangular",
            "half_width": 10,
            "description": "hysteresis (half the up/down difference)",
        },
    },
}

#: (procedure code, document, CMC line, final status) of each demo budget.
DEMO_BUDGETS: list[tuple[str, dict[str, Any], CmcLine, str]] = [
    (
        "CP-LEN-01",
        _GAUGE,
        CmcLine(
            measurand="Length of gauge blocks",
            range_min=0.5,
            range_max=100,
            range_unit="mm",
            cmc_expanded_uncertainty=68,
            cmc_unit="nm",
        ),
        "approved",
    ),
    (
        "CP-MAS-01",
        _WEIGHT,
        CmcLine(
            measurand="Mass (conventional), 10 kg",
            range_min=1,
            range_max=20,
            range_unit="kg",
            cmc_expanded_uncertainty=58,
            cmc_unit="mg",
        ),
        "approved",
    ),
    (
        "CP-ELE-01",
        _DMM,
        CmcLine(
            measurand="DC voltage, DMM indication at 10 V",
            cmc_expanded_uncertainty=40,
            cmc_unit="uV",
        ),
        "approved",
    ),
    (
        "CP-TMP-01",
        _THERMOCOUPLE,
        CmcLine(
            measurand="Temperature, type R thermocouple",
            range_min=950,
            range_max=1050,
            range_unit="degC",
            cmc_expanded_uncertainty=0.5,
            cmc_unit="K",
        ),
        "submitted",
    ),
    (
        "CP-PRS-01",
        _PRESSURE,
        CmcLine(
            measurand="Gauge pressure, dial gauges",
            range_min=-20,
            range_max=20,
            range_unit="kPa",
            cmc_expanded_uncertainty=13,
            cmc_unit="kPa",
        ),
        "approved",
    ),
]


def seed_demo(session: Any, context: Any) -> None:
    """Add the demo budgets (``session``: a ``sqlmodel.Session``; ``context``: a
    ``calib.demo.DemoContext``; typed ``Any`` to keep this module free of sqlmodel).
    """
    for code, document, line, status in DEMO_BUDGETS:
        procedure_id = context.procedure_ids.get(code)
        if procedure_id is None:
            continue
        budget = create_budget(
            session, _STAFF, procedure_id=procedure_id, document=document, line=line
        )
        budget_id = int(budget.id or 0)
        evaluate_stored_budget(session, _STAFF, budget_id)
        submit_budget(session, _STAFF, budget_id)
        if status == "approved":
            approve_budget(session, _MANAGER, budget_id)
        if code == "CP-MAS-01":
            evaluate_stored_budget(
                session, _STAFF, budget_id, monte_carlo=True, trials=20_000, seed=17025
            )
            add_comment(
                session,
                _ASSESSOR,
                budget_id,
                "Drift of the standard (15 mg) is taken from two calibrations only; "
                "please keep the calibration history of m_S with the budget.",
            )
        if code == "CP-PRS-01":
            revision = revise_budget(session, _STAFF, budget_id)
            changed = copy.deepcopy(document)
            del changed["inputs"]["dp_h"]
            changed["model"] = "e = p_i + dp_res - p_S"
            changed["description"] = "Revision 2: readings from the new comparator."
            update_draft(session, _STAFF, int(revision.id or 0), document=changed)
            evaluate_stored_budget(session, _STAFF, int(revision.id or 0))
