"""Engine behaviour not covered by published examples: edge cases and API."""

from __future__ import annotations

import numpy as np
import pytest

import ilc
from ilc import (
    RoundPoint,
    algorithm_a,
    degrees_of_equivalence,
    evaluate_round,
    grubbs_test,
    history_signals,
    largest_consistent_subset,
    weighted_mean,
)
from uncertainty.errors import InvalidInputError


def test_public_api_is_declared() -> None:
    for name in ilc.__all__:
        assert hasattr(ilc, name), name
    assert "evaluate_round" in ilc.__all__ and "algorithm_a" in ilc.__all__


def test_engine_modules_stay_pure() -> None:
    import subprocess
    import sys

    code = "import ilc, sys; bad = [m for m in ('sqlmodel','sqlalchemy','streamlit','calib') if m in sys.modules]; print(bad)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_weighted_mean_chi2_flags_inconsistent_data() -> None:
    """Cox 2002 procedure A: chi2 = sum((x - y)/u)^2 with nu = n - 1; 1, 2, 10 with u = 1
    gives chi2 = 50.33, p << 0.05."""
    est = weighted_mean([1.0, 2.0, 10.0], [1.0, 1.0, 1.0])
    assert est.chi2 == pytest.approx((1 - 13 / 3) ** 2 + (2 - 13 / 3) ** 2 + (10 - 13 / 3) ** 2)
    assert est.dof == 2 and est.consistent is False


def test_largest_consistent_subset_drops_the_discrepant_result() -> None:
    est = largest_consistent_subset([1.0, 1.2, 0.9, 1.1, 5.0], [0.1, 0.1, 0.1, 0.1, 0.1])
    assert est.used.tolist() == [True, True, True, True, False]
    assert est.consistent is True
    assert est.value == pytest.approx(1.05)


def test_excluded_participant_is_scored_without_covariance() -> None:
    scores = evaluate_round(
        ["A", "B", "C", "D"],
        [1.0, 1.1, 0.9, 3.0],
        [0.2, 0.2, 0.2, 0.2],
        [2.0, 2.0, 2.0, 2.0],
        method="weighted_mean",
        exclude_from_reference=[False, False, False, True],
    )
    assert scores.assigned.value == pytest.approx(1.0)
    assert scores.covariance_applied.tolist() == [True, True, True, False]
    u_ref = scores.assigned.standard_uncertainty
    assert scores.doe_standard_uncertainty[3] == pytest.approx(np.hypot(0.1, u_ref))
    assert scores.doe_standard_uncertainty[0] == pytest.approx(np.sqrt(0.01 - u_ref**2))


def test_doe_conventions_differ_by_twice_the_covariance() -> None:
    _, cov = degrees_of_equivalence([1.0], [0.2], 1.1, 0.1, covariance=[0.005])
    _, ind = degrees_of_equivalence(
        [1.0], [0.2], 1.1, 0.1, covariance=[0.005], convention="independent"
    )
    assert ind[0] ** 2 - cov[0] ** 2 == pytest.approx(0.01)


def test_missing_sigma_pt_gives_no_z_for_reference() -> None:
    scores = evaluate_round(
        ["A"],
        [1.0],
        [0.1],
        [2.0],
        method="reference",
        reference_value=1.0,
        reference_expanded_uncertainty=0.1,
    )
    assert np.isnan(scores.z[0]) and scores.z_verdicts == [None]


def test_result_without_uncertainty_has_no_en_or_zeta() -> None:
    scores = evaluate_round(
        ["A", "B"],
        [1.0, 1.2],
        [np.nan, 0.1],
        [np.nan, 2.0],
        method="reference",
        reference_value=1.0,
        reference_expanded_uncertainty=0.1,
        sigma_pt=0.1,
    )
    assert np.isnan(scores.en[0]) and scores.en_verdicts[0] is None
    assert scores.zeta_verdicts[0] is None and scores.z_verdicts[0] == "satisfactory"


def test_u_without_k_is_bad_input() -> None:
    with pytest.raises(InvalidInputError) as exc:
        evaluate_round(
            ["A"],
            [1.0],
            [0.1],
            [np.nan],
            method="reference",
            reference_value=1.0,
            reference_expanded_uncertainty=0.1,
        )
    assert exc.value.field == "results[0].coverage_factor"


def test_all_equal_results_are_refused_for_algorithm_a() -> None:
    with pytest.raises(InvalidInputError, match="equal"):
        algorithm_a([2.0, 2.0, 2.0, 2.0])


def test_grubbs_finds_the_gross_outlier() -> None:
    result = grubbs_test([10.0, 10.1, 9.9, 10.0, 10.2, 9.8, 10.1, 14.0])
    assert result.outlier is True and result.index == (7,)


def test_history_run_of_nine_and_rsz() -> None:
    pts = [RoundPoint(f"r{i}", z=0.5) for i in range(9)]
    assert [s.code for s in history_signals(pts)] == ["run_of_nine"]
    pts = [RoundPoint(f"r{i}", z=1.6) for i in range(4)]
    codes = [s.code for s in history_signals(pts)]
    assert codes == ["rescaled_sum_z"]  # RSZ = 6.4 / 2 = 3.2
    assert [s.code for s in history_signals([RoundPoint("r", z=-3.0)])] == ["action_z"]
