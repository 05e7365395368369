"""A published key comparison reproduced to its printed digits: BIPM.RI(II)-K1.Sr-85.

Source (see tests/reference/ilc/bipm_ri_ii_k1_sr85_2020.json for the full citation):
Michotte C et al 2021 Metrologia 58 Tech. Suppl. 06006, the 2020 evaluation of the
BIPM.RI(II)-K1.Sr-85 key comparison, as transcribed by the BIPM in its machine-readable
copy of the report (RomainCoulon/BIPM.RI-II--K1_database, Sr-85_database.json).
KCRV 29983(52) kBq, the power-moderated mean of the eligible SIR results; degrees of
equivalence D_i and U_i (k = 2) printed in MBq to two decimals, with the covariance
of a result that is in the KCRV: u²(D_i) = (1 − 2 w_i) u_i² + u²(KCRV).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ilc.consensus import (
    DoeConvention,
    degrees_of_equivalence,
    power_moderated_mean,
    weighted_mean,
)

DATA = Path(__file__).resolve().parents[1] / "reference" / "ilc" / "bipm_ri_ii_k1_sr85_2020.json"


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def _one_result(entry: dict[str, Any]) -> tuple[float, float]:
    """Several ampoules of one submission: their mean, with the common uncertainty."""
    assert len(set(entry["u"])) == 1, entry["entry"]
    return float(np.mean(entry["A_e"])), float(entry["u"][0])


def _kcrv_inputs(case: dict[str, Any]) -> tuple[list[str], list[float], list[float]]:
    rows = [r for r in case["results"] if r["kcrv"]]
    pairs = [_one_result(r) for r in rows]
    return [r["entry"] for r in rows], [p[0] for p in pairs], [p[1] for p in pairs]


def test_kcrv_is_the_published_power_moderated_mean(case: dict[str, Any]) -> None:
    _, x, u = _kcrv_inputs(case)
    est = power_moderated_mean(x, u)
    assert round(est.value) == case["published"]["kcrv"]
    assert round(est.standard_uncertainty) == case["published"]["kcrv_standard_uncertainty"]
    assert est.weights.sum() == pytest.approx(1.0)
    assert est.tau > 0  # the data are over-dispersed, so s > 0 moderates the weights


def test_other_estimators_do_not_give_the_published_kcrv(case: dict[str, Any]) -> None:
    """Guards that the test above can fail: the plain weighted mean, or counting the
    two LNE-LNHB ampoules as two results, miss the printed KCRV."""
    _, x, u = _kcrv_inputs(case)
    assert round(weighted_mean(x, u).value) != case["published"]["kcrv"]
    rows = [r for r in case["results"] if r["kcrv"]]
    x_split = [a for r in rows for a in r["A_e"]]
    u_split = [s for r in rows for s in r["u"]]
    assert round(power_moderated_mean(x_split, u_split).value) != case["published"]["kcrv"]


def _degrees(case: dict[str, Any], convention: DoeConvention) -> dict[str, tuple[float, float]]:
    entries, x, u = _kcrv_inputs(case)
    est = power_moderated_mean(x, u)
    weight = dict(zip(entries, est.weights.tolist(), strict=True))
    rows = [r for r in case["results"] if r["doe"]]
    pairs = [_one_result(r) for r in rows]
    xs = [p[0] for p in pairs]
    us = [p[1] for p in pairs]
    cov = [weight.get(r["entry"], 0.0) * p[1] ** 2 for r, p in zip(rows, pairs, strict=True)]
    d, ud = degrees_of_equivalence(
        xs,
        us,
        est.value,
        est.standard_uncertainty,
        covariance=cov,
        convention=convention,
    )
    return {
        r["lab"]: (float(di) / 1000.0, 2.0 * float(udi) / 1000.0)  # kBq -> MBq, k = 2
        for r, di, udi in zip(rows, d, ud, strict=True)
    }


def test_degrees_of_equivalence_match_the_published_table(case: dict[str, Any]) -> None:
    published = case["published"]["degrees_of_equivalence"]
    decimals = case["published"]["doe_decimals"]
    got = _degrees(case, "covariance")
    assert set(got) == set(published)
    for lab, row in published.items():
        d, big_u = got[lab]
        assert round(d, decimals) == pytest.approx(row["D_i"], abs=1e-9), lab
        assert round(big_u, decimals) == pytest.approx(row["U_i"], abs=1e-9), lab


def test_without_the_covariance_the_published_uncertainties_are_missed(
    case: dict[str, Any],
) -> None:
    """POLATOM and PTB contributed to the KCRV: ignoring cov(x_i, KCRV) = w_i u_i²
    widens their U_i beyond the printed 0.33 and 0.22 MBq."""
    published = case["published"]["degrees_of_equivalence"]
    got = _degrees(case, "independent")
    for lab in ("POLATOM", "PTB"):
        assert round(got[lab][1], 2) > published[lab]["U_i"], lab
    for lab in ("NIST", "NMIJ"):  # not in the KCRV: no covariance to drop
        assert round(got[lab][1], 2) == pytest.approx(published[lab]["U_i"], abs=1e-9), lab
